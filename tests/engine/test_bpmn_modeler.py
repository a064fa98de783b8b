"""The diagrams open in bpmn.io / Camunda Modeler: their model layer (bpmn-moddle) reads them without warnings."""

from __future__ import annotations

from ..conftest import BPMN_DIR
from .moddle import moddle_lines


def test_every_diagram_reads_cleanly_in_bpmn_moddle():
    diagrams = sorted(BPMN_DIR.glob("*.bpmn"))
    lines = moddle_lines(diagrams)
    assert lines == [line for line in lines if ": ok (" in line], "\n".join(lines)
    assert len(lines) == len(diagrams)
