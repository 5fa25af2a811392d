"""The command line as a user runs it, for the integration tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def crmagent(*args: str | Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """``python -m crmagent ARGS``, output captured; the exit status is the test's to check."""
    return subprocess.run(
        [sys.executable, "-m", "crmagent", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def new_key(home: Path, *args: str) -> str:
    """``crmagent key create ARGS`` under ``home``: the key it prints as its last line."""
    made = crmagent("key", "create", *args, "--home", home)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]
