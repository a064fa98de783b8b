"""Whether a deployment's settings are fit to run for real: what ``rectiflow check-config`` reports.

``load_config`` (web/config.py) refuses values Rectiflow cannot run with at all; these checks
judge values it can run with but should not in production: a secret key anyone could know, a
SQLite file shared by several web workers, mail sent in the clear, a folder it cannot write.
Each finding says what is wrong and how to fix it, naming the ``RECTIFLOW_<KEY>`` variable.

Pure: nothing here reads files beyond asking whether a folder is writable, opens a connection
or prints; the database checks live with the command (web/cli/config_check.py). A finding's
message never holds a secret (``redact``).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import make_url

from .config import DEFAULTS, ENV_PREFIX, INSTANCE_FILE, ConfigError
from .workers import VARIABLE as WORKERS_VARIABLE
from .workers import web_workers

Severity = Literal["error", "warning"]
MIN_SECRET_LENGTH = 32
# Keys that Rectiflow's own scripts, tests, benchmarks and docs use, and the placeholders every
# tutorial shows: a server signing sessions with one of them lets anyone forge a session.
KNOWN_SECRETS = frozenset({
    "dev", "development", "devkey", "dev-key", "debug", "test", "testing", "test-key", "test-secret-key",
    "browser-test-key", "serve-test-key", "production-secret", "from-file", "bench", "x", "key",
    "secret", "secret-key", "secretkey", "secret_key", "mysecret", "my-secret-key", "supersecret",
    "super-secret-key", "your-secret-key", "yoursecretkey", "change-me", "changeme", "change_me",
    "replace-me", "please-change-me", "default", "password", "rectiflow", "zhenggai",
})
# Words that give a value away as a placeholder, however long it is made ("change-me-please-…").
PLACEHOLDER_WORDS = ("changeme", "replaceme", "placeholder", "yoursecret", "notsecret", "insecure", "example")
GENERATE = "python -c 'import secrets; print(secrets.token_hex(32))'"
# Names http_post must never be allowed to reach: cloud metadata services hand out credentials.
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "169.254.169.254", "fd00:ec2::254"})
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")


@dataclass(frozen=True)
class Finding:
    """One problem of the settings: how bad (``error`` stops a deployment), which key, and what to do."""

    severity: Severity
    key: str
    message: str

    def line(self) -> str:
        """As ``check-config`` prints it: ``error SECRET_KEY: …``."""
        return f"{self.severity} {self.key}: {self.message}"


def error(key: str, message: str) -> Finding:
    """A finding that makes the deployment unfit to run."""
    return Finding("error", key, message)


def warning(key: str, message: str) -> Finding:
    """A finding worth fixing that does not stop a deployment."""
    return Finding("warning", key, message)


def env(key: str) -> str:
    """The environment variable that sets ``key``."""
    return ENV_PREFIX + key


def config_error_finding(exc: ConfigError) -> Finding:
    """A setting ``load_config`` refuses, as a finding on the key its message names."""
    message = str(exc)
    key = next((name for name in re.findall(r"[A-Z][A-Z0-9_]+", message)
                if name.removeprefix(ENV_PREFIX) in DEFAULTS), None)
    if key is None:
        return error("CONFIG", message)
    key = key.removeprefix(ENV_PREFIX)
    if ENV_PREFIX not in message:
        message += f" (set by {env(key)} or in {INSTANCE_FILE})"
    return error(key, message)


def check_settings(config: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> list[Finding]:
    """Every finding on ``config`` (as ``load_config`` returns it), for ``environ``'s number of web workers."""
    findings: list[Finding] = []
    try:
        workers: int | None = web_workers(environ)
    except ValueError as exc:
        workers = None
        findings.append(error(WORKERS_VARIABLE, f"{exc} (gunicorn's own variable: how many web workers to start)"))
    findings += check_secret_key(config.get("SECRET_KEY"))
    findings += check_database_url(str(config["DATABASE_URL"]), workers, environ)
    findings += check_mail(config)
    findings += check_cookies(config)
    findings += check_scheduler(config, workers)
    findings += check_evidence_dir(Path(config["EVIDENCE_DIR"]))
    findings += check_http_post_hosts(config)
    return findings


def check_secret_key(secret: str | bytes | None) -> list[Finding]:
    """SECRET_KEY set, not a known or placeholder value, and long enough not to be guessed."""
    fix = f"set {env('SECRET_KEY')} to a random value of {MIN_SECRET_LENGTH} characters or more ({GENERATE})"
    if not secret:
        return [error("SECRET_KEY", "not set: every start, and every web worker, makes up a key of its own, so "
                                    "sign-ins end at each restart and a worker refuses the sessions another "
                                    f"signed; {fix}")]
    text = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret
    plain = re.sub(r"[^a-z0-9]", "", text.lower())
    if text.strip().lower() in KNOWN_SECRETS or any(word in plain for word in PLACEHOLDER_WORDS):
        return [error("SECRET_KEY", "a well-known or placeholder value (from Rectiflow's examples, tests or a "
                                    f"tutorial): anyone who knows it can forge a signed-in session; {fix}")]
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < 8:
        return [error("SECRET_KEY", f"too weak (shorter than {MIN_SECRET_LENGTH} characters, or made of a few "
                                    f"characters repeated): it can be guessed and sessions forged; {fix}")]
    return []


def check_database_url(url: str, workers: int | None, environ: Mapping[str, str] = os.environ) -> list[Finding]:
    """No SQLite in memory; no SQLite file under several web workers (``workers``, None: unknown)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return []
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:") or parsed.query.get("mode") == "memory":
        return [error("DATABASE_URL", "SQLite in memory: each process gets an empty database of its own and "
                                      "everything is lost when it stops; set "
                                      f"{env('DATABASE_URL')} to a PostgreSQL database (or a SQLite file)")]
    if workers is not None and workers > 1:
        told = f"{WORKERS_VARIABLE}={workers}" if (environ.get(WORKERS_VARIABLE) or "").strip() else (
            f"{workers}, gunicorn's default for {os.cpu_count() or 1} CPUs")
        return [error("DATABASE_URL", f"a SQLite file with several web workers ({told}): each worker writes the "
                                      "one file in turn, so under load requests wait and fail with 'database "
                                      f"is locked'; use PostgreSQL ({env('DATABASE_URL')}=postgresql://user@host"
                                      f"/rectiflow) or run a single worker ({WORKERS_VARIABLE}=1)")]
    return []


def check_mail(config: Mapping[str, Any]) -> list[Finding]:
    """Mail leaves the machine only encrypted. (A host without MAIL_SENDER is refused by ``load_config``.)"""
    host = str(config.get("SMTP_HOST") or "").strip()
    security = str(config.get("SMTP_SECURITY") or "starttls").strip().lower()
    if not host or security != "none" or is_loopback(host):
        return []
    return [error("SMTP_SECURITY", f"none: reminders go to the mail server {host} unencrypted, where anyone on "
                                   "the way can read or change them (names, problems, deadlines); set "
                                   f"{env('SMTP_SECURITY')}=starttls (port 587) or ssl (port 465), or send "
                                   "through a mail relay on this machine (SMTP_HOST=127.0.0.1)")]


def check_cookies(config: Mapping[str, Any]) -> list[Finding]:
    """The session cookie travels over HTTPS only."""
    if config.get("SESSION_COOKIE_SECURE"):
        return []
    return [warning("SESSION_COOKIE_SECURE", "false: browsers also send the session cookie over plain HTTP, where "
                                             "it can be stolen and the session taken over; serve Rectiflow over "
                                             "HTTPS (a TLS proxy in front) and set "
                                             f"{env('SESSION_COOKIE_SECURE')}=true")]


def check_scheduler(config: Mapping[str, Any], workers: int | None) -> list[Finding]:
    """SCHEDULER_ENABLED does not make gunicorn's web workers fire timers (web/scheduler.py)."""
    if not config.get("SCHEDULER_ENABLED") or workers is None or workers < 2:
        return []
    # create_app never starts the scheduler, so that N workers do not each fire every timer: only
    # 'rectiflow serve' (a single process) runs one in-process. Under gunicorn the setting does nothing.
    return [warning("SCHEDULER_ENABLED", f"true, but the {workers} gunicorn web workers never run the timer "
                                         "scheduler (each would fire every timer again): run 'rectiflow scheduler' "
                                         "as a process of its own beside them (several may run on PostgreSQL), "
                                         f"and set {env('SCHEDULER_ENABLED')}=false to say so")]


def check_evidence_dir(folder: Path) -> list[Finding]:
    """The evidence folder exists and is writable, or can be created (nothing is created here)."""
    fix = f"create it, let the user Rectiflow runs as write to it, or set {env('EVIDENCE_DIR')} to another folder"
    if folder.exists():
        if not folder.is_dir():
            return [error("EVIDENCE_DIR", f"{folder} is a file, not a folder: evidence cannot be kept; {fix}")]
        if not os.access(folder, os.W_OK | os.X_OK):
            return [error("EVIDENCE_DIR", f"{folder} is not writable: every upload of evidence would fail; {fix}")]
        return []
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return [error("EVIDENCE_DIR", f"{folder} does not exist and cannot be created ({parent} is not a "
                                      f"writable folder): every upload of evidence would fail; {fix}")]
    return []


def check_http_post_hosts(config: Mapping[str, Any]) -> list[Finding]:
    """When ``http_post`` is enabled: its allowed hosts are real hosts, not this machine or a metadata service."""
    services = _names(config.get("SERVICES"))
    if "http_post" not in services:
        return []
    findings = []
    for entry in _names(config.get("HTTP_POST_HOSTS")):
        host = _host_of(entry)
        if "/" in entry or "*" in entry:
            findings.append(warning("HTTP_POST_HOSTS", f"'{entry}' never matches: list a host name or host:port, "
                                                       f"without scheme, path or wildcard ({env('HTTP_POST_HOSTS')})"))
        elif host in METADATA_HOSTS or _address_kind(host) in ("link-local", "unspecified", "multicast"):
            findings.append(error("HTTP_POST_HOSTS", f"'{entry}' lets diagrams post to a cloud metadata or "
                                                     "non-routable address, which can leak the server's "
                                                     f"credentials; remove it from {env('HTTP_POST_HOSTS')}"))
        elif is_loopback(host) or _address_kind(host) == "private":
            findings.append(warning("HTTP_POST_HOSTS", f"'{entry}' is this machine or the internal network: "
                                                       "anyone who can deploy a diagram can post to its "
                                                       "services; allow only the hosts meant to be called "
                                                       f"({env('HTTP_POST_HOSTS')})"))
    return findings


def is_loopback(host: str) -> bool:
    """``host`` is this machine by its name or address (no name is looked up)."""
    name = host.strip().strip("[]").lower()
    return name in ("localhost", "localhost.localdomain", "ip6-localhost") or name.endswith(".localhost") or (
        _address_kind(name) == "loopback")


def redact(text: str, secrets: Iterable[str | bytes | None]) -> str:
    """``text`` without the given secret values, nor the password of any URL in it."""
    for secret in secrets:
        value = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret
        # A short "secret" ("dev", "secret") is no secret, and would blank out every word holding it.
        if value and len(value) >= 8:
            text = text.replace(value, "***")
    return _URL_PASSWORD.sub(r"\1***@", text)


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [str(name).strip().lower() for name in value or () if str(name).strip()]


def _host_of(entry: str) -> str:
    if entry.startswith("["):  # [::1]:8080
        return entry[1:].partition("]")[0]
    if entry.count(":") == 1:
        return entry.partition(":")[0]
    return entry


def _address_kind(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    for kind in ("loopback", "link-local", "unspecified", "multicast", "private"):
        if getattr(address, "is_" + kind.replace("-", "_")):
            return kind
    return None
