"""Command-line commands: ``flags`` (filled in by issue 10's work)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
