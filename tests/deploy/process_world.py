"""The compose deployment run as plain processes on this machine, and an HTTP client for it.

No container runtime here, so each container becomes a process started the way the image starts it:
the Dockerfile's ENTRYPOINT with the compose service's command, in the image's WORKDIR, with the image's
ENV and then the service's environment. The container's file system is mapped onto this machine:
``/app`` (the code) is the repository, ``/opt/venv/bin`` the test interpreter's virtualenv,
``/var/lib/rectiflow`` and ``/tmp`` folders of the test. What cannot be the same is substituted, and each
substitution first checks what it replaces: the database URL (compose: the ``db`` service; here a fresh
PostgreSQL database) and the web's address (compose: port 8000 of the container; here a free port).
``WEB_CONCURRENCY`` is added as an operator would in deploy/rectiflow.env.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import make_url

from ..conftest import ROOT
from .definitions import Service, compose, dockerfile, image_environment, only, service

WAIT_SECONDS = 60.0  # generous: a busy two-core machine starts three Python processes at once
WEB_WORKERS = 2
# What a client sees when the worker serving its request is killed: a reset or a closed connection.
CONNECTION_LOST = (OSError, http.client.HTTPException)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (gunicorn's workers, for its master)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


class Deployment:
    """The web and the schedulers of deploy/compose.yaml as processes on ``database_url``; killed at ``close``."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.database_url = database_url
        self.folder = folder
        self.port = free_port()
        # What `docker compose` would read from the shell or deploy/.env.
        self.variables = {"POSTGRES_PASSWORD": "unused-here", "RECTIFLOW_SECRET_KEY": secrets.token_hex(32),
                          "RECTIFLOW_SCHEDULER_INTERVAL_SECONDS": "1"}
        self.document = compose(self.variables)
        [*_, final] = dockerfile()
        self.entrypoint = only(final, "ENTRYPOINT").exec_form()
        self.workdir = only(final, "WORKDIR").arguments
        self.image_env = image_environment(final)
        self.paths = {"/app": ROOT, "/opt/venv/bin": Path(sys.executable).parent,
                      "/var/lib/rectiflow": folder / "instance", "/tmp": folder / "tmp"}
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    # --- from the definitions to processes ---

    def host_path(self, value: str) -> str:
        """``value`` with a container path replaced by where it lives here."""
        for prefix in sorted(self.paths, key=len, reverse=True):
            if value == prefix or value.startswith(prefix + "/"):
                return str(self.paths[prefix]) + value[len(prefix):]
        return value

    def service(self, name: str) -> Service:
        return service(self.document, name)

    def environment(self, definition: Service) -> dict[str, str]:
        """The process environment of a container of ``definition``."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("RECTIFLOW_", "GUNICORN_", "PROMETHEUS_")) and key != "WEB_CONCURRENCY"}
        for key, value in self.image_env.items():
            # Each container path is mapped once: a mapped path may itself start like one (a checkout under /tmp).
            if key == "PATH":
                env[key] = ":".join(os.environ.get("PATH", "") if part == "$PATH" else self.host_path(part)
                                    for part in value.split(":"))
            else:
                env[key] = self.host_path(value)
        env.update({key: self.host_path(value) for key, value in definition.environment.items()})
        compose_url = make_url(definition.environment["RECTIFLOW_DATABASE_URL"])
        assert compose_url.host in self.document["services"], f"{definition.name}: {compose_url} is no service"
        env["RECTIFLOW_DATABASE_URL"] = self.database_url
        if "GUNICORN_BIND" in definition.environment:
            container_port = definition.environment["GUNICORN_BIND"].rpartition(":")[2]
            published = [str(p).rpartition(":")[2] for p in definition.spec.get("ports", [])]
            assert container_port in published, f"{definition.name} listens on {container_port}, publishes {published}"
            env["GUNICORN_BIND"] = f"127.0.0.1:{self.port}"
            env["WEB_CONCURRENCY"] = str(WEB_WORKERS)
        return env

    def _spawn(self, label: str, definition: Service, command: list[str]) -> subprocess.Popen[bytes]:
        log = self.folder / f"{label}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [self.host_path(self.entrypoint[0]), *self.entrypoint[1:], *command],
                cwd=self.host_path(self.workdir), env=self.environment(definition), stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)  # a process group of its own, killed whole
        self.processes[label] = process
        self.logs[label] = log
        return process

    def start_web(self) -> None:
        """The web service's container (one replica)."""
        web = self.service("web")
        assert web.replicas == 1
        self._spawn("web", web, web.command)

    def start_schedulers(self) -> None:
        """Every replica of the scheduler service. Compose starts them beside the web, and their entrypoint
        polls until the web's init-db has made the schema current; the test starts them once gunicorn listens
        (the schema is current then), sparing two cores the polling, and their entrypoint still checks the
        schema before ``rectiflow scheduler``."""
        scheduler = self.service("scheduler")
        for replica in range(1, scheduler.replicas + 1):
            self._spawn(f"scheduler-{replica}", scheduler, scheduler.command)

    # --- watching and killing ---

    @property
    def web(self) -> subprocess.Popen[bytes]:
        return self.processes["web"]

    def schedulers(self) -> list[subprocess.Popen[bytes]]:
        return [p for label, p in self.processes.items() if label.startswith("scheduler-")]

    def workers(self) -> set[int]:
        return children(self.web.pid)

    def wait_for(self, condition: Callable[[], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
        """Poll ``condition`` until it is truthy (and return it); fail with every log after ``seconds``."""
        give_up = time.monotonic() + seconds
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > give_up:
                raise AssertionError(f"not within {seconds:.0f} s: {what}\n{self.output()}")
            time.sleep(0.1)  # polling, not timing: the condition decides

    def wait_until_listening(self) -> None:
        """gunicorn listens: the web's entrypoint has checked the settings and migrated the database."""
        def listening() -> bool:
            assert self.web.poll() is None, f"the web process ended ({self.web.returncode}):\n{self.output()}"
            return "Listening at:" in self.logs["web"].read_text(errors="replace")
        self.wait_for(listening, "gunicorn listening")

    def wait_until_serving(self) -> None:
        """The web answers /health and runs its two workers; fails at once if the web process ended."""
        def up() -> bool:
            assert self.web.poll() is None, f"the web process ended ({self.web.returncode}):\n{self.output()}"
            try:
                return Http(self.port).get("/health")[0] == 200 and len(self.workers()) == WEB_WORKERS
            except OSError:
                return False
        self.wait_for(up, "the web serving /health with its workers")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL one process (no clean-up, no rollback sent: the database sees the connection drop)."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=WAIT_SECONDS)

    def kill_worker(self) -> tuple[int, set[int]]:
        """SIGKILL a web worker that holds a client's connection (is serving a request: each request has its own
        connection), or any worker after a few tries; wait for gunicorn to replace it. The killed pid and the
        workers after."""
        busy: set[int] = set()
        give_up = time.monotonic() + 3
        while not busy and time.monotonic() < give_up:
            busy = self._serving()
        victim = min(busy or self.workers())
        os.kill(victim, signal.SIGKILL)

        def replaced() -> set[int] | None:
            now = self.workers()
            return now if len(now) == WEB_WORKERS and victim not in now else None
        return victim, self.wait_for(replaced, "gunicorn replacing the killed worker")

    def _serving(self) -> set[int]:
        """The workers holding an established connection on the web's port."""
        established = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError), open(table) as rows:
                for row in list(rows)[1:]:
                    fields = row.split()  # sl, local address:port, remote, state, …, inode (10th)
                    if int(fields[1].rpartition(":")[2], 16) == self.port and fields[3] == "01":
                        established.add(f"socket:[{fields[9]}]")
        serving = set()
        for pid in self.workers():
            with contextlib.suppress(OSError):
                if established & {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}:
                    serving.add(pid)
        return serving

    def output(self) -> str:
        """The tail of every process's log, for an assertion message."""
        return "\n".join(f"--- {label}\n{log.read_text(errors='replace')[-2500:]}" for label, log in self.logs.items())

    def _kill_group(self, process: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=WAIT_SECONDS)

    def close(self) -> None:
        """Kill every process group this deployment started (gunicorn's workers with their master)."""
        for process in self.processes.values():
            self._kill_group(process)


class Http:
    """One client of the web on 127.0.0.1: a connection per request (so any worker may answer), cookies kept."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None,
                token: str | None = None) -> tuple[int, bytes]:
        sent = {"Accept": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        elif self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            return response.status, content
        finally:
            connection.close()

    def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        status, content = self.request("GET", path, token=token)
        return status, _json_or_text(content)

    def post_json(self, path: str, payload: Any, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if self.csrf and not token:
            headers["X-CSRFToken"] = self.csrf
        status, content = self.request("POST", path, json.dumps(payload).encode(), headers, token)
        return status, _json_or_text(content)

    def post_file(self, path: str, field: str, filename: str, content: bytes, token: str) -> tuple[int, Any]:
        boundary = uuid.uuid4().hex
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n")
        body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, answer = self.request("POST", path, body, headers, token)
        return status, _json_or_text(answer)

    def personal_token(self, login: str, password: str) -> str:
        """Sign in through the login page (its CSRF token, the session cookie) and create a personal API token."""
        status, page = self.request("GET", "/login", headers={"Accept": "text/html"})
        assert status == 200, status
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:500]
        self.csrf = match.group(1).decode()
        form = urlencode({"login": login, "password": password, "csrf_token": self.csrf}).encode()
        status, page = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status in (302, 303), (login, status, page[:500])
        status, created = self.post_json("/api/v1/tokens", {"name": "deployment test"})
        assert status == 201, (login, status, created)
        return str(created["token"])


def _json_or_text(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content.decode(errors="replace")


class Traffic(threading.Thread):
    """Another client reading ``path`` in a loop until ``stop``, so a killed worker is likely to be serving."""

    def __init__(self, port: int, path: str, token: str) -> None:
        super().__init__(daemon=True)
        self.client, self.path, self.token = Http(port), path, token
        self.answers: Counter[int] = Counter()  # status -> how many
        self.lost = 0  # requests whose connection was lost
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.answers[self.client.get(self.path, token=self.token)[0]] += 1
            except CONNECTION_LOST:
                self.lost += 1
            self.stopping.wait(0.02)  # steady, and far below the API's rate limit per token

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=WAIT_SECONDS)
