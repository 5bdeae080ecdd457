"""Ports for servers the tests start in other processes."""

from __future__ import annotations

import random
import socket
from pathlib import Path


def free_port() -> int:
    """A port for a server another process will bind: free now, and outside the kernel's
    ephemeral range. Every bind to port 0 (FakeSlack, other workers' servers) draws from that
    range, and once took the port picked this way before ``hirebot run`` could bind it (CI:
    "address already in use"). Drawn with the system's randomness: test seeding must not give
    the parallel workers the same sequence."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    draw = random.SystemRandom()
    for _ in range(200 if low > 10_000 else 0):
        port = draw.randrange(low - 8_000, low)
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))  # where hirebot binds
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
