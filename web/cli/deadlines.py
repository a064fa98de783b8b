"""Deadline commands: ``extend`` (a leader approves a measure's deadline extension)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
