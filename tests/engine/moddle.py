"""Read diagrams with bpmn-moddle, the model layer of bpmn.io and Camunda Modeler (tools/bpmn-check)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "tools" / "bpmn-check"


def moddle_lines(diagrams: Iterable[Path]) -> list[str]:
    """One line per diagram (``<file>: ok (N diagram elements)``) or per warning; skips the test (fails it
    when RECTIFLOW_REQUIRE_MODELER=1) if node or the checker's packages are missing."""
    node = shutil.which("node")
    if node is None or not (CHECK / "node_modules" / "bpmn-moddle").is_dir():
        message = "node and tools/bpmn-check/node_modules are needed (scripts/test installs them)"
        if os.environ.get("RECTIFLOW_REQUIRE_MODELER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    result = subprocess.run([node, str(CHECK / "check.mjs"), *map(str, diagrams)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert not result.stderr.strip(), result.stderr
    return result.stdout.splitlines()
