"""Publishing progress reports (整改进展情况公布): immutable, numbered snapshots of what the public may read.

``publish`` renders a round's progress report from its ledger as it stands (``workflows.report``;
withheld problems, ``Problem.publishable`` false, are left out by the report itself) and stores
the HTML, the Markdown and the figures as a new ``Publication`` version. The public page reads
only these rows, never the live ledger: what the public saw, and when, stays on record even
after the ledger moves on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import Actor, ConflictError
from engine.audit import record

from .deadlines import china_date
from .errors import Message, NotFoundError
from .history import people_names
from .models import InspectionRound, Publication
from .plans import get_round
from .report import build_report, render_html, render_markdown

PUBLISHED = "report_published"  # the audit entry's action
MAX_TITLE = 300


@dataclass(frozen=True)
class PublicationSummary:
    """A publication without its body: for lists."""

    id: int
    round_id: int
    version: int
    title: str
    published_by: str
    published_at: datetime


@dataclass(frozen=True)
class RoundPublications:
    """A round and its publications, newest first (empty: never published), with who published them."""

    round: InspectionRound
    publications: list[PublicationSummary]
    publisher_names: dict[str, str]  # login -> name (a login without a person is left out)


@dataclass(frozen=True)
class PublicRound:
    """What the public page shows of one round: its latest publication in full, earlier ones listed."""

    latest: Publication
    earlier: list[PublicationSummary]


def publish(session: Session, round_id: int, actor: Actor, *, now: datetime, on: date | None = None) -> Publication:
    """Snapshot ``round_id``'s progress report as its next publication version, dated ``on``
    (default: today in China), audited. ``NotFoundError`` for an unknown round; ``ConflictError``
    when someone published the same round at the same moment (the version is taken)."""
    round_ = get_round(session, round_id)
    report = build_report(session, round_, on=on or china_date(now))
    version = (session.scalar(select(func.max(Publication.version)).where(Publication.round_id == round_.id))
               or 0) + 1
    stats = report.stats
    publication = Publication(
        round_id=round_.id, version=version, title=report.title[:MAX_TITLE],
        html=render_html(report, standalone=False), markdown=render_markdown(report),
        figures={**asdict(stats), "rate": stats.rate, "date": report.date.isoformat()},
        published_by=actor.key, published_at=now,
    )
    try:
        with session.begin_nested():
            session.add(publication)
            session.flush()
    except IntegrityError:
        raise ConflictError(f"round {round_.id} was published by someone else just now; reload and check") from None
    record(session, at=now, actor=actor.key, action=PUBLISHED,
           detail={"round_id": round_.id, "publication_id": publication.id, "version": version,
                   "problems": stats.problems, "withheld": stats.withheld})
    session.flush()
    return publication


def _summaries(session: Session, *conditions: ColumnElement[bool]) -> list[PublicationSummary]:
    rows = session.execute(
        select(Publication.id, Publication.round_id, Publication.version, Publication.title,
               Publication.published_by, Publication.published_at)
        .where(*conditions)
        .order_by(Publication.round_id.desc(), Publication.version.desc())
    ).all()
    return [PublicationSummary(*row) for row in rows]


def publication_overview(session: Session) -> list[RoundPublications]:
    """Every round (newest first) with its publications, newest first: the publishing page."""
    rounds = list(session.scalars(select(InspectionRound).order_by(InspectionRound.id.desc())))
    by_round: dict[int, list[PublicationSummary]] = {}
    summaries = _summaries(session)
    for summary in summaries:
        by_round.setdefault(summary.round_id, []).append(summary)
    names = people_names(session, {summary.published_by for summary in summaries})
    return [RoundPublications(round_, by_round.get(round_.id, []), names) for round_ in rounds]


def public_rounds(session: Session) -> list[PublicRound]:
    """The public page: each published round's latest publication, the most recently published first,
    with its earlier versions listed. Rounds never published do not appear at all."""
    summaries = _summaries(session)
    latest_ids: dict[int, int] = {}
    earlier: dict[int, list[PublicationSummary]] = {}
    for summary in summaries:  # newest version first within each round
        if summary.round_id not in latest_ids:
            latest_ids[summary.round_id] = summary.id
        else:
            earlier.setdefault(summary.round_id, []).append(summary)
    if not latest_ids:
        return []
    latest = session.scalars(select(Publication).where(Publication.id.in_(latest_ids.values()))
                             .order_by(Publication.published_at.desc(), Publication.id.desc()))
    return [PublicRound(pub, earlier.get(pub.round_id, [])) for pub in latest]


def get_publication(session: Session, publication_id: int) -> Publication:
    """One publication, or ``NotFoundError``."""
    publication = session.get(Publication, publication_id)
    if publication is None:
        raise NotFoundError(Message("publication.not_found", "this publication does not exist"))
    return publication


def other_versions(session: Session, publication: Publication) -> list[PublicationSummary]:
    """The other publications of the same round, newest first."""
    return _summaries(session, Publication.round_id == publication.round_id, Publication.id != publication.id)
