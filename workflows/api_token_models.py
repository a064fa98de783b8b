"""Personal API tokens: how an OA system, a 督查督办 platform or a script acts as a person through the JSON API.

Only a hash of each token is stored; the token itself is shown once, when it is created.
Re-exported by ``workflows.models``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.types import UtcDateTime


class ApiToken(Base):
    """One personal token. ``token_hash`` is the SHA-256 of the token (hex); ``prefix`` its first characters,
    to tell tokens apart in lists. A revoked token (``revoked_at``) authenticates nobody."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
