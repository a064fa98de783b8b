"""Rectiflow's settings: every key, its default and where it can be overridden.

Sources, later ones winning:

1. ``DEFAULTS`` below;
2. the instance file ``instance/rectiflow.cfg`` (Python assignments of upper-case names), if present;
3. environment variables ``RECTIFLOW_<KEY>`` for the keys in ``DEFAULTS``, e.g.
   ``RECTIFLOW_DATABASE_URL=postgresql://rectiflow@db/rectiflow``,
   ``RECTIFLOW_SCHEDULER_ENABLED=true`` (true/false, 1/0, yes/no, on/off),
   ``RECTIFLOW_SCHEDULER_INTERVAL_SECONDS=30``, ``RECTIFLOW_LANGUAGES=zh_CN,en``;
4. the mapping handed to ``create_app`` (tests).

A bad value stops the start-up with a ``ConfigError`` naming the key, rather
than failing later in the middle of a request or a scheduler run.

Keys:

``DATABASE_URL``
    SQLAlchemy URL. A relative SQLite path is taken from the current directory
    and made absolute, so the app and the CLI find the same file. How long to wait is
    part of the URL, in the drivers' own parameters: SQLite waits ``?timeout=SECONDS``
    (default 30, ``engine.db.SQLITE_BUSY_TIMEOUT_SECONDS``) for another process's write
    lock before a command gives up with "the database file … is locked by another process";
    PostgreSQL waits ``?connect_timeout=SECONDS`` (default 5,
    ``engine.db.PG_CONNECT_TIMEOUT_SECONDS``) for a connection before "cannot reach PostgreSQL".
``SECRET_KEY``
    Signs the session cookie and CSRF tokens. ``None``: a random key per start, so
    sessions end at every restart and are not shared between workers (outside debug
    mode a warning is logged) — set one in production.
``SCHEDULER_ENABLED``, ``SCHEDULER_INTERVAL_SECONDS``
    Whether the background job that fires due timers runs, and how often (seconds, >= 1).
``UPLOAD_DIR``
    A folder for uploads other than evidence (unused by evidence since ``EVIDENCE_DIR``);
    relative paths are made absolute from the current directory.
``EVIDENCE_DIR`` (``<instance folder>/evidence``)
    Where evidence files (佐证材料) are kept, once per content, named by SHA-256
    (``ab/cdef…``); relative paths are made absolute from the current directory.
``EVIDENCE_MAX_BYTES`` (20 MB), ``EVIDENCE_MAX_FILES`` (10)
    The largest evidence file in bytes, and the most files one submission may carry
    (whole numbers >= 1); a larger file or more files are refused and nothing is kept.
``EVIDENCE_EXTENSIONS`` (pdf, doc, docx, xls, xlsx, jpg, jpeg, png, zip)
    The file types evidence may be, by extension (a list, or comma-separated in the
    environment). Only types whose content Rectiflow can check are accepted here: each
    upload must also begin like its type (a ``.png`` holding HTML is refused).
``MAX_CONTENT_LENGTH`` (10 × 20 MB + 1 MB)
    Largest request body in bytes; larger requests get HTTP 413. The default lets one
    submission carry ``EVIDENCE_MAX_FILES`` files of ``EVIDENCE_MAX_BYTES`` and its form.
``DOCX_MAX_XML_BYTES`` (20 MB)
    Largest uncompressed size of a .docx plan (its XML and other parts, from the zip
    directory and checked while unpacking); larger ones are refused before they are
    read, which bounds the memory an import takes (about 13 times this). >= 1.
``BABEL_DEFAULT_LOCALE``, ``LANGUAGES``
    The UI's default language and the languages a user may switch to.
``SESSION_COOKIE_HTTPONLY``, ``SESSION_COOKIE_SAMESITE``, ``SESSION_COOKIE_SECURE``
    Session cookie hardening; set ``SESSION_COOKIE_SECURE`` when served over HTTPS.
``WTF_CSRF_ENABLED``
    CSRF protection of every POST form (Flask-WTF); only tests turn it off.
``LOGIN_MAX_FAILURES_PER_ACCOUNT`` (5), ``LOGIN_MAX_FAILURES_PER_ADDRESS`` (20), ``LOGIN_FAILURE_WINDOW_SECONDS`` (900)
    Wrong passwords within the window that lock a login name, or a client address
    (higher: an office may share one address), against signing in. Unknown login
    names are counted like real ones.
``LOGIN_LOCKOUT_SECONDS`` (60), ``LOGIN_LOCKOUT_MAX_SECONDS`` (3600)
    How long the first lock lasts; each further lock within the maximum of the last
    one lasts twice as long, up to the maximum. While locked, even the right password
    is refused. The maximum must be at least the first lock.
``SESSION_MAX_AGE_SECONDS`` (43200)
    How long a sign-in lasts at most, whatever the cookie says (sessions are also
    ended by logging out, a password change or deactivation). This and the five
    ``LOGIN_*`` keys are whole numbers >= 1.

``DISPLAY_TIMEZONE`` (``Asia/Shanghai``)
    The IANA time zone in which pages show dates and times (``web.formatting``); the
    database keeps UTC. An unknown zone stops the start-up.
``WARNING_WINDOW_DAYS`` (10)
    Days before a deadline from which the inbox shows it yellow (inside the window)
    rather than green; 0 turns yellow off. A whole number >= 0. A measure turning
    yellow also reminds its officers (临期预警, ``workflows.reminders``).
``REMINDER_REPEAT_DAYS`` (7), ``VERIFICATION_WAIT_DAYS`` (7)
    Days between the reminders of a measure that stays overdue (to its officers and
    its responsible leader), and how long a problem may wait for verification before
    supervision is reminded. Whole numbers >= 1.

``SMTP_HOST`` (none: reminders are not mailed), ``SMTP_PORT`` (25, 587 or 465 by security)
    The mail server that reminders are sent through (``web.mailer``). Without a host,
    reminders are only shown in the app and by ``rectiflow reminders``.
``SMTP_SECURITY`` (``starttls``)
    ``starttls`` (port 587), ``ssl`` (implicit TLS, port 465) or ``none`` (port 25).
    Certificates are checked against the system's trust store.
``SMTP_USERNAME``, ``SMTP_PASSWORD`` (none)
    Sign-in at the mail server: both or neither, and never with ``SMTP_SECURITY=none``.
``MAIL_SENDER``
    The From address of reminders, e.g. ``整改通 <zhenggai@example.gov.cn>``; needed
    when ``SMTP_HOST`` is set.
``MAIL_MAX_ATTEMPTS`` (5), ``MAIL_RETRY_SECONDS`` (60)
    How many times a reminder's mail is tried, and the wait after the first failure,
    doubled after each further one (60 s, 120 s, 240 s …); after the last attempt the
    reminder shows its mail as failed. One failing address never holds back the others.
    Whole numbers >= 1.

``FEEDBACK_RATE_LIMIT`` (5), ``FEEDBACK_RATE_WINDOW_SECONDS`` (3600)
    How many opinions (意见建议) one client address may send from the public page within the
    window; more are refused with a message and not stored. Addresses are kept only as a
    hash keyed with ``SECRET_KEY``. Whole numbers >= 1.
``FEEDBACK_MAX_BYTES`` (65536)
    Largest body of a feedback post in bytes (the text holds at most 2,000 characters); a
    larger one is refused with the form and a message, before it is read. >= 1.
``API_RATE_LIMIT`` ("600/minute"), ``API_RATE_LIMIT_ANON`` ("120/minute")
    JSON API requests per personal token, and per address without one (the browser session);
    more are answered 429 with ``Retry-After``. E.g. "10/second;600/hour" (checked by ``web.api``).
``SERVICES`` (notify, set_deadline), ``HTTP_POST_HOSTS`` (none): what service tasks may call (web.service_settings).
``READY_REQUIRE_SCHEDULER`` (true)
    Whether ``/ready`` also needs a scheduler heartbeat heard within three tick intervals; turn it
    off where no ``rectiflow scheduler`` runs (``rectiflow serve`` runs its own and beats too).
``METRICS_TOKEN`` (none: ``/metrics`` answers 404)
    The bearer token Prometheus sends to scrape ``/metrics`` (16 characters or more; web.metrics).
``LOG_FORMAT`` (``text``)
    ``text`` or ``json`` (one object per line with time, level, logger, message and request id),
    for web workers and ``rectiflow scheduler`` (web.logging_setup).

Test-only keys (not read from files or the environment): ``DB_ENGINE`` (an
already built SQLAlchemy engine) and ``ENGINE_CLOCK`` (the workflow engine's clock).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config, current_app
from sqlalchemy.engine import make_url

from workflows.evidence_store import DEFAULT_EXTENSIONS as DEFAULT_EVIDENCE_EXTENSIONS

from .config_validation import ConfigError, validate

ENV_PREFIX = "RECTIFLOW_"
INSTANCE_FILE = "rectiflow.cfg"
# Objects only tests hand to create_app (see its _OBJECT_KEYS); never read from a file or the environment.
TEST_ONLY_KEYS = ("DB_ENGINE", "ENGINE_CLOCK")

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "sqlite:///rectiflow.db",
    "SECRET_KEY": None,
    "SCHEDULER_ENABLED": False,
    "SCHEDULER_INTERVAL_SECONDS": 60,
    "UPLOAD_DIR": "uploads",
    "EVIDENCE_DIR": None,  # None: <instance folder>/evidence
    "EVIDENCE_MAX_BYTES": 20 * 1024 * 1024,
    "EVIDENCE_MAX_FILES": 10,
    "EVIDENCE_EXTENSIONS": list(DEFAULT_EVIDENCE_EXTENSIONS),
    "MAX_CONTENT_LENGTH": 10 * 20 * 1024 * 1024 + 1024 * 1024,
    "DOCX_MAX_XML_BYTES": 20 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "LANGUAGES": ["zh_CN", "en"],
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "WTF_CSRF_ENABLED": True,
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    "LOGIN_LOCKOUT_SECONDS": 60,
    "LOGIN_LOCKOUT_MAX_SECONDS": 60 * 60,
    "SESSION_MAX_AGE_SECONDS": 12 * 60 * 60,
    "DISPLAY_TIMEZONE": "Asia/Shanghai",
    "WARNING_WINDOW_DAYS": 10,
    "REMINDER_REPEAT_DAYS": 7,
    "VERIFICATION_WAIT_DAYS": 7,
    "SMTP_HOST": None,
    "SMTP_PORT": None,  # None: 25, 587 or 465 by SMTP_SECURITY
    "SMTP_SECURITY": "starttls",
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "MAIL_SENDER": None,
    "MAIL_MAX_ATTEMPTS": 5,
    "MAIL_RETRY_SECONDS": 60,
    "FEEDBACK_RATE_LIMIT": 5,
    "FEEDBACK_RATE_WINDOW_SECONDS": 60 * 60,
    "FEEDBACK_MAX_BYTES": 64 * 1024,
    "API_RATE_LIMIT": "600/minute",
    "API_RATE_LIMIT_ANON": "120/minute",
    "SERVICES": ["notify", "set_deadline"], "HTTP_POST_HOSTS": [],  # web.service_settings
    "DB_POOL_SIZE": 5,  # PostgreSQL connections kept open per process: a web worker's threads + 1
    "READY_REQUIRE_SCHEDULER": True, "METRICS_TOKEN": None, "LOG_FORMAT": "text",  # web.health, web.metrics
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def load_config(
    overrides: Mapping[str, Any] | None = None, *, instance_path: str | Path | None = None
) -> dict[str, Any]:
    """The settings: defaults, then the instance file, then ``RECTIFLOW_*`` variables, then ``overrides``.

    ``instance_path`` is the folder that may hold ``rectiflow.cfg`` (``None``: no instance file).
    Raises ``ConfigError`` on a value that cannot work.
    """
    config = Config(str(instance_path or os.getcwd()), DEFAULTS)
    if instance_path is not None:
        try:
            config.from_pyfile(str(Path(instance_path) / INSTANCE_FILE), silent=True)
        except Exception as exc:  # a syntax error in the file must stop the start-up readably
            raise ConfigError(f"cannot read {Path(instance_path) / INSTANCE_FILE}: {exc}") from exc
        smuggled = [key for key in TEST_ONLY_KEYS if key in config]
        if smuggled:  # e.g. a movable clock in production: refuse rather than quietly ignore
            raise ConfigError(f"{', '.join(smuggled)} in {Path(instance_path) / INSTANCE_FILE}: "
                              "test-only, handed to create_app by tests alone")
    config.update(_from_environment(os.environ))
    if overrides:
        config.update(overrides)
    settings = dict(config)
    validate(settings)
    settings["DATABASE_URL"] = _absolute_sqlite_url(settings["DATABASE_URL"])
    settings["UPLOAD_DIR"] = str(Path(settings["UPLOAD_DIR"]).expanduser().resolve())
    evidence_dir = settings["EVIDENCE_DIR"] or Path(instance_path or os.getcwd()) / "evidence"
    settings["EVIDENCE_DIR"] = str(Path(evidence_dir).expanduser().resolve())
    return settings


def warning_window_days() -> int:
    """How many days before a deadline the current app starts warning (``WARNING_WINDOW_DAYS``)."""
    days: int = current_app.config["WARNING_WINDOW_DAYS"]
    return days


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        name = ENV_PREFIX + key
        if name in environ:
            values[key] = _parse(name, environ[name].strip(), default)
    return values


def _parse(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw or None  # an empty SECRET_KEY means "none set"


def _absolute_sqlite_url(url: str) -> str:
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:"):  # URI filenames are left as written
        return url
    path = Path(database).expanduser()
    if path.is_absolute():
        return url
    return parsed.set(database=str(path.resolve())).render_as_string(hide_password=False)
