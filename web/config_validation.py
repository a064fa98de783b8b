"""Checking settings: every value Rectiflow cannot run with is refused at start-up, naming its key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from workflows.evidence_store import FILE_TYPES as EVIDENCE_FILE_TYPES

from .logging_setup import LOG_FORMATS
from .mailer import smtp_settings
from .service_settings import service_registry

SUPPORTED_LANGUAGES = ("zh_CN", "en")


class ConfigError(Exception):
    """A setting has a value Rectiflow cannot run with; the message names the setting."""


def validate(settings: dict[str, Any]) -> None:
    """Refuse (``ConfigError``, naming the key) a value Rectiflow cannot run with; normalises some in place."""
    url = settings.get("DATABASE_URL")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("DATABASE_URL must not be empty")
    try:
        make_url(url)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {url!r}") from None
    _validate_url_timeouts(make_url(url).query)
    for key, minimum in (("SCHEDULER_INTERVAL_SECONDS", 1), ("MAX_CONTENT_LENGTH", 1), ("DOCX_MAX_XML_BYTES", 1),
                         ("DB_POOL_SIZE", 1)):
        value = settings.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{key} must be a whole number, got {value!r}")
        if value < minimum:
            raise ConfigError(f"{key} must be at least {minimum}, got {value}")
    for key in ("SCHEDULER_ENABLED", "WTF_CSRF_ENABLED", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SECURE"):
        if not isinstance(settings.get(key), bool):
            raise ConfigError(f"{key} must be true or false, got {settings.get(key)!r}")
    languages = settings.get("LANGUAGES")
    if not isinstance(languages, list | tuple) or not languages:
        raise ConfigError(f"LANGUAGES must list at least one of {', '.join(SUPPORTED_LANGUAGES)}")
    unknown = [lang for lang in languages if lang not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ConfigError(
            f"LANGUAGES: unknown language {', '.join(map(str, unknown))}; "
            f"supported: {', '.join(SUPPORTED_LANGUAGES)}"
        )
    settings["LANGUAGES"] = list(languages)
    if settings.get("BABEL_DEFAULT_LOCALE") not in languages:
        raise ConfigError(
            f"BABEL_DEFAULT_LOCALE {settings.get('BABEL_DEFAULT_LOCALE')!r} is not one of LANGUAGES"
        )
    if settings.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict", "None", None):
        raise ConfigError("SESSION_COOKIE_SAMESITE must be Lax, Strict or None")
    secret = settings.get("SECRET_KEY")
    if secret is not None and not (isinstance(secret, str | bytes) and secret):
        raise ConfigError("SECRET_KEY must be a non-empty string")
    upload_dir = settings.get("UPLOAD_DIR")
    if not isinstance(upload_dir, str | Path) or not str(upload_dir).strip():
        raise ConfigError("UPLOAD_DIR must not be empty")
    _validate_sign_in(settings)
    _validate_evidence(settings)
    _validate_display(settings)
    _validate_reminders(settings)
    _validate_operations(settings)


def _validate_url_timeouts(query: Mapping[str, Any]) -> None:
    # SQLite's busy timeout may be a fraction of a second; libpq takes whole seconds.
    for name, kind, what in (("timeout", float, "a number"), ("connect_timeout", int, "a whole number")):
        raw = query.get(name)
        if raw is None:
            continue
        try:
            seconds = kind(raw)
        except (TypeError, ValueError):
            seconds = -1
        if not seconds >= 0:  # also refuses NaN
            raise ConfigError(f"DATABASE_URL: {name} must be {what} of seconds >= 0, got {raw!r}")


def _validate_sign_in(settings: dict[str, Any]) -> None:
    for key in _SIGN_IN_KEYS:
        value = settings.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{key} must be a whole number, got {value!r}")
        if value < 1:
            raise ConfigError(f"{key} must be at least 1, got {value}")
    if settings["LOGIN_LOCKOUT_MAX_SECONDS"] < settings["LOGIN_LOCKOUT_SECONDS"]:
        raise ConfigError("LOGIN_LOCKOUT_MAX_SECONDS must be at least LOGIN_LOCKOUT_SECONDS")


def _validate_display(settings: dict[str, Any]) -> None:
    zone = settings.get("DISPLAY_TIMEZONE")
    if not isinstance(zone, str) or not _is_time_zone(zone):
        raise ConfigError(f"DISPLAY_TIMEZONE is not a known time zone (e.g. Asia/Shanghai): {zone!r}")
    window = settings.get("WARNING_WINDOW_DAYS")
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        raise ConfigError(f"WARNING_WINDOW_DAYS must be a whole number >= 0, got {window!r}")


def _validate_reminders(settings: dict[str, Any]) -> None:
    for key in ("REMINDER_REPEAT_DAYS", "VERIFICATION_WAIT_DAYS", "MAIL_MAX_ATTEMPTS", "MAIL_RETRY_SECONDS"):
        value = settings.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{key} must be a whole number >= 1, got {value!r}")
    try:
        smtp_settings(settings)
        service_registry(settings)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _validate_evidence(settings: dict[str, Any]) -> None:
    for key in ("EVIDENCE_MAX_BYTES", "EVIDENCE_MAX_FILES", "FEEDBACK_RATE_LIMIT", "FEEDBACK_RATE_WINDOW_SECONDS",
                "FEEDBACK_MAX_BYTES"):
        value = settings.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{key} must be a whole number >= 1, got {value!r}")
    folder = settings.get("EVIDENCE_DIR")
    if folder is not None and (not isinstance(folder, str | Path) or not str(folder).strip()):
        raise ConfigError("EVIDENCE_DIR must be a folder (or unset for <instance folder>/evidence)")
    raw = settings.get("EVIDENCE_EXTENSIONS")
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple | set | frozenset) or not all(isinstance(e, str) for e in raw):
        raise ConfigError(f"EVIDENCE_EXTENSIONS must list file extensions, got {raw!r}")
    extensions = sorted({e.strip().lower().lstrip(".") for e in raw} - {""})
    unknown = [e for e in extensions if e not in EVIDENCE_FILE_TYPES]
    if unknown or not extensions:
        raise ConfigError(
            f"EVIDENCE_EXTENSIONS: {', '.join(unknown) or 'none given'}; "
            f"supported (their content can be checked): {', '.join(EVIDENCE_FILE_TYPES)}"
        )
    settings["EVIDENCE_EXTENSIONS"] = extensions


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown name, a path, a folder of zones
        return False
    return True


_SIGN_IN_KEYS = (
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS",
    "LOGIN_LOCKOUT_SECONDS",
    "LOGIN_LOCKOUT_MAX_SECONDS",
    "SESSION_MAX_AGE_SECONDS",
)


def _validate_operations(settings: dict[str, Any]) -> None:
    if settings.get("LOG_FORMAT") not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {settings.get('LOG_FORMAT')!r}")
    if not isinstance(settings.get("READY_REQUIRE_SCHEDULER"), bool):
        raise ConfigError("READY_REQUIRE_SCHEDULER must be true or false, "
                          f"got {settings.get('READY_REQUIRE_SCHEDULER')!r}")
    token = settings.get("METRICS_TOKEN")
    if token is not None and not (isinstance(token, str) and len(token.strip()) >= 16):
        raise ConfigError("METRICS_TOKEN must be a string of at least 16 characters (or unset: /metrics off)")
