"""Test-wide rules: only loopback network. A test that reaches further fails on purpose."""

from __future__ import annotations

import ipaddress
import os
import socket

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
