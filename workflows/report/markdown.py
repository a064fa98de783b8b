"""The report as Markdown, with everything users typed escaped.

Problem titles and measures are typed by people (or imported from their documents), so a
title such as ``<script>`` or ``1. *x*`` must stay text: HTML is entity-escaped, Markdown's
punctuation backslash-escaped, and a line cannot start a heading or a list by accident.
"""

from __future__ import annotations

import re

from .model import Report

_MD_PREFIX = {"title": "# ", "h1": "## ", "h2": "### ", "h3": "#### "}
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]{}|~])")


def _md_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL_RE.sub(r"\\\1", text)
    text = re.sub(r"^([#+\-=])", r"\\\1", text)  # not a heading, list item or underline
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", text)  # not an ordered list


def render_markdown(report: Report) -> str:
    """Markdown: ``#`` title, ``##`` 一、, ``###`` 第X部分, ``####`` problems; text is escaped."""
    out = []
    for block in report.blocks():
        text = _md_escape(block.text)
        out.append(_MD_PREFIX.get(block.kind, "") + text)
    return "\n\n".join(out) + "\n"
