"""Test-wide rules: only loopback network. A test that reaches further fails on purpose."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address: object) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        ok = ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise OSError(f"tests may only use loopback; refused connection to {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core. Many tests spend their time waiting (on a subprocess,
    a socket, a Retry-After) rather than computing, so a second worker per core fills those waits
    (2 cores: 48 s with 2 workers, 40 s with 4)."""
    return 2 * (os.cpu_count() or 1)


# ---------------------------------------------------------------------------------------------
# Backends. `pytest` runs on SQLite; `pytest --backend=postgresql` (with HIREBOT_TEST_POSTGRES_URL,
# the URL of a throwaway cluster's maintenance database: .ci/test starts one) runs the same tests on
# PostgreSQL: every Store a test opens on a SQLite file opens instead a PostgreSQL database of its
# own, named after that file (so reopening the "same file" reopens the same database), dropped
# when the test ends. Tests that read a SQLite file with sqlite3 itself (backups, a file another
# process wrote) are marked ``sqlite_only`` and skipped there.

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                     help="database the suite runs on (postgresql needs HIREBOT_TEST_POSTGRES_URL)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: reads or writes a SQLite file directly; skipped on PostgreSQL")
    if config.getoption("--backend") == "postgresql" and not os.environ.get("HIREBOT_TEST_POSTGRES_URL"):
        raise pytest.UsageError("--backend=postgresql needs HIREBOT_TEST_POSTGRES_URL (bash .ci/test starts a cluster)")


@pytest.fixture(autouse=True)
async def _backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    if request.config.getoption("--backend") != "postgresql":
        yield "sqlite"
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("reads a SQLite file directly")
    from tests import databases

    async with databases.postgres_for_sqlite_paths(monkeypatch) as created:
        yield created
