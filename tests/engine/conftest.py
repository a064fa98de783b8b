"""Engine test fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def tripwires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A sentinel path that must not appear and ``os.system``/``os.popen`` that must not be called."""
    calls: list[Any] = []

    def record(*args: Any, **kwargs: Any) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(os, "system", record)
    monkeypatch.setattr(os, "popen", record)
    sentinel = tmp_path / "pwned"
    yield sentinel
    assert calls == [], "os.system/os.popen was called"
    assert not sentinel.exists(), "the sentinel file was created"
