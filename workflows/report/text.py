"""The report as plain text: one paragraph a line, in the seed's format.

``plan_import.parse_text`` reads this rendering back into the same tree, which is how the
round trip tests prove that nothing is lost between the ledger and the published report.
"""

from __future__ import annotations

from .model import Report


def render_text(report: Report) -> str:
    """Plain text, one paragraph a line, in the seed's format (readable by ``plan_import``)."""
    return "\n".join(block.text for block in report.blocks()) + "\n"
