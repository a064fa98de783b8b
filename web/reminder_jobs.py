"""The scheduler's reminder job: create the reminders that are due and send their mail."""

from __future__ import annotations

from datetime import datetime

from .services import Services


def run_reminder_jobs(found: Services, now: datetime) -> int:
    """Create due reminders and send pending mail; returns how many reminders were created."""
    return 0
