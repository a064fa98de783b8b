"""Opinions from the public page (意见建议): checked, rate-limited per address, stored with their triage started.

Nobody signs in to send one, so everything here is hostile until proven otherwise: every field is
bounded and must be storable text, the sender's address is kept only as a keyed hash (enough to
count their recent posts, useless for finding them), and a post beyond the per-address limit is
refused before anything is written. The row and its ``feedback_triage`` instance are written in
one transaction (``workflows.feedback.start_triage``), so no opinion waits without a task.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Actor, WorkflowEngine
from engine.models import column_length

from .errors import DomainError, Message, ValidationError
from .feedback import start_triage
from .form_fields import Field, FormErrors, Kind, clean_value
from .models import Publication, PublicFeedback

# Who starts a triage instance: nobody signed in (recorded as such in the audit log).
PUBLIC_ACTOR = Actor("public")
MAX_NAME = column_length(PublicFeedback, "name")  # 50
MAX_CONTACT = column_length(PublicFeedback, "contact")  # 100
MAX_TEXT = 2000

# Catalogue key -> English default; the web translates every key (web/public/texts.py).
MESSAGES: dict[str, str] = {
    "feedback.required": "please write your {label}",
    "feedback.too_long": "{label} is longer than {max} characters",
    "feedback.not_text": "{label} must be text",
    "feedback.unstorable": "{label} contains characters that cannot be stored",
    "feedback.rate_limited": "too many messages from your address; please try again later",
}
LABELS: dict[str, str] = {
    "label.public_feedback.name": "name",
    "label.public_feedback.contact": "contact",
    "label.public_feedback.text": "opinion or suggestion",
}
FIELDS = (
    Field("name", Kind.TEXT, "label.public_feedback.name", max_length=MAX_NAME),
    Field("contact", Kind.TEXT, "label.public_feedback.contact", max_length=MAX_CONTACT),
    Field("text", Kind.TEXTAREA, "label.public_feedback.text", required=True, max_length=MAX_TEXT),
)
# The generic form messages name the field's key for the command line; the public is told in plain words.
_PLAIN = {"form.required": "feedback.required", "form.too_long": "feedback.too_long",
          "form.not_text": "feedback.not_text", "form.nul_character": "feedback.unstorable",
          "form.lone_surrogate": "feedback.unstorable"}


@dataclass(frozen=True)
class IntakePolicy:
    """How many opinions one address may send within ``window`` (``FEEDBACK_RATE_LIMIT`` per
    ``FEEDBACK_RATE_WINDOW_SECONDS``), and the key its address is hashed with."""

    per_address: int = 5
    window: timedelta = timedelta(hours=1)
    secret: bytes = b""


class RateLimited(DomainError):
    """The address has sent as many opinions as the window allows; nothing was stored."""

    def __init__(self) -> None:
        super().__init__(Message("feedback.rate_limited", MESSAGES["feedback.rate_limited"]))


def address_hash(address: str | None, secret: bytes) -> str:
    """A keyed SHA-256 of the sender's address (64 hex digits): the same address gives the same
    hash under one key, and the hash cannot be turned back into the address without it."""
    return hmac.new(secret, f"feedback-address:{address or ''}".encode(), hashlib.sha256).hexdigest()


def _refuse(key: str, **params: object) -> ValidationError:
    plain = _PLAIN.get(key, key)
    return ValidationError(Message(plain, MESSAGES.get(plain, "{label} cannot be accepted"), params))


def clean_feedback(name: object, contact: object, text: object) -> dict[str, str | None]:
    """The three fields cleaned (trimmed, empty optional ones as None); ``FormErrors`` naming each
    refused field otherwise."""
    cleaned: dict[str, str | None] = {}
    errors: dict[str, Message] = {}
    for field, value in zip(FIELDS, (name, contact, text), strict=True):
        try:
            cleaned[field.name] = clean_value(field, value, required=field.required, refuse=_refuse,
                                              label=Message(field.label_key, LABELS[field.label_key]))
        except ValidationError as refused:
            assert refused.message is not None
            errors[field.name] = refused.message
    if errors:
        raise FormErrors(errors)
    return cleaned


def recent_count(session: Session, hashed: str, *, since: datetime) -> int:
    """How many opinions the address with hash ``hashed`` sent since ``since``."""
    return session.scalar(select(func.count()).select_from(PublicFeedback)
                          .where(PublicFeedback.address_hash == hashed, PublicFeedback.submitted_at >= since)) or 0


def submit_feedback(session: Session, engine: WorkflowEngine, *, name: object, contact: object, text: object,
                    address: str | None, publication_id: int | None, now: datetime,
                    policy: IntakePolicy) -> PublicFeedback:
    """Store one opinion and start its triage; ``FormErrors`` for refused fields, ``RateLimited`` when
    the address has used up its window. Either way nothing is written.

    ``publication_id`` names the report it was sent from (an unknown one is ignored: it is only a
    hint for supervision, and a hidden field anyone can change).
    """
    cleaned = clean_feedback(name, contact, text)
    hashed = address_hash(address, policy.secret)
    if recent_count(session, hashed, since=now - policy.window) >= policy.per_address:
        raise RateLimited()
    publication = session.get(Publication, publication_id) if publication_id is not None else None
    feedback = PublicFeedback(
        publication_id=publication.id if publication else None,
        round_id=publication.round_id if publication else None,
        name=cleaned["name"], contact=cleaned["contact"], text=cleaned["text"] or "",
        address_hash=hashed, submitted_at=now,
    )
    session.add(feedback)
    session.flush()
    start_triage(session, engine, feedback, PUBLIC_ACTOR)
    return feedback
