"""The gazetteer's compact index is cached between processes, and a cache is never required."""

from pathlib import Path

import pytest

from bot.parsing import places


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(places, "_GAZ", None)
    monkeypatch.setenv("HIREBOT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_first_use_writes_the_index_and_the_next_process_reads_it(fresh: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    built = places.gazetteer()
    files = list(fresh.glob("gazetteer-*.json"))
    assert len(files) == 1
    monkeypatch.setattr(places, "_GAZ", None)
    monkeypatch.setattr(places, "_build_index", lambda: pytest.fail("rebuilt although cached"))
    cached = places.gazetteer()
    assert cached == built
    assert cached.cities["brisbane"][0] == "AU" and cached.codes["TX"] == "US"


def test_an_unwritable_cache_location_still_parses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setattr(places, "_GAZ", None)
    monkeypatch.setenv("HIREBOT_CACHE_DIR", str(blocker / "cache"))
    assert places.country_of_place("Calgary, Alberta") == "CA"


def test_a_corrupt_cache_is_rebuilt(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    places.gazetteer()
    path = next(fresh.glob("gazetteer-*.json"))
    path.write_text('{"city_names": ["x"], "city_cc": []')
    monkeypatch.setattr(places, "_GAZ", None)
    assert places.city_info("Brisbane") is not None
    assert places._read_index(path) is not None  # written again, whole
