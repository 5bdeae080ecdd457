"""Bad input: never a traceback, always a valid object, always fast."""

import json
import os
import random
import subprocess
import sys
import time

import pytest

from bot.parsing import ParsedPosting, parse_posting
from bot.parsing.model import FIELDS

EMPTY = ParsedPosting().to_dict()


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \u00a0\n", "\x00\x01\x02", "\ufeff"])
def test_empty_and_whitespace_give_empty_object(text: str) -> None:
    assert parse_posting(text).to_dict() == EMPTY


def test_binary_junk_is_survived() -> None:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(50_000)).decode("latin-1")
    out = parse_posting(junk).to_dict()
    assert set(out) == set(FIELDS)
    json.dumps(out)


def test_two_megabyte_paste_is_parsed_quickly() -> None:
    block = ("Requirements:\n- 3+ years of Python experience\n- Bachelor's degree\n"
             + ("lorem ipsum dolor " * 40 + "\n") * 20)
    big = (block * 200)[: 2 * 1024 * 1024]
    start = time.process_time()
    out = parse_posting(big)
    elapsed = time.process_time() - start
    assert elapsed < 1.0, elapsed
    assert out.min_years_experience == 3
    assert len(out.requirements) <= 60


def test_one_enormous_line_is_survived() -> None:
    out = parse_posting("x" * 3_000_000)
    assert out.to_dict() == EMPTY


def test_non_english_posting_returns_valid_object_without_guessing() -> None:
    text = ("Développeur Backend (H/F)\nNous recherchons un développeur pour rejoindre notre équipe.\n"
            "Missions :\n- Concevoir des API\n- Écrire des tests\nProfil :\n- 3 ans d'expérience en Python\n")
    out = parse_posting(text).to_dict()
    assert set(out) == set(FIELDS)
    assert out["salary"] is None
    assert "Python" in out["languages"] or out["languages"] == []


def test_cli_reads_non_utf8_file_with_replacement(tmp_path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Ingénieur logiciel\nRequirements:\n- 2+ years of C++ – café\n".encode("latin-1", "replace"))
    run = subprocess.run([sys.executable, "-m", "handlers.cli", "parse", "--json", str(path)],
                         capture_output=True, text=True, timeout=30, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["min_years_experience"] == 2


def test_cli_reads_stdin_and_prints_exactly_one_json_object() -> None:
    run = subprocess.run([sys.executable, "-m", "handlers.cli", "parse", "--json", "-"], input="Senior Nurse\n",
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert list(data) == list(FIELDS)
    assert data["seniority"] == "senior"


def test_cli_missing_file_is_a_clear_error_not_a_traceback() -> None:
    run = subprocess.run([sys.executable, "-m", "handlers.cli", "parse", "/nonexistent/x.txt"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "cannot read" in run.stderr and "Traceback" not in run.stderr
