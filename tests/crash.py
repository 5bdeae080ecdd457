"""Crash a child Python process with SIGKILL at a chosen moment (kill -9 tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parents[1]


def kill_9_when(script: str, ready: Callable[[], bool], timeout: float = 60, settle: float = 0.0) -> None:
    """Run ``script`` in a new interpreter; SIGKILL it once ``ready()`` (then ``settle`` s more).
    Fails if the child exits by itself first or ``ready`` never comes."""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert proc.poll() is None, "the child died before it was killed"
            assert time.monotonic() < deadline, "the child never got ready"
            time.sleep(0.01)
        time.sleep(settle)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
