"""gunicorn's settings for Rectiflow: ``gunicorn -c deploy/gunicorn.conf.py web.wsgi:app``.

Read by the container (deploy/compose.yaml), the systemd unit (deploy/systemd/rectiflow-web.service)
and the deployment test (tests/deploy/test_processes.py). Only the server is set here; Rectiflow's own
settings come from ``RECTIFLOW_*`` variables and the instance file (web/config.py). Variables read:

``WEB_CONCURRENCY``  worker processes (default: 2 × CPUs + 1, ``web.workers.web_workers``)
``GUNICORN_BIND``    address to listen on (default ``0.0.0.0:8000``)
``GUNICORN_THREADS`` threads per worker (default 4; ``RECTIFLOW_DB_POOL_SIZE`` should be threads + 1)
``PROMETHEUS_MULTIPROC_DIR`` where the workers' metrics files live; emptied when the server starts
``RECTIFLOW_LOG_FORMAT``  ``json``: gunicorn's own log and access lines are JSON objects too (web.logging_setup)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from web.workers import web_workers

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = web_workers(os.environ)
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# The heartbeat file of each worker: on a memory file system, so a slow disk never makes a worker look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# A request longer than this is a stuck worker (an import of a large plan takes a few seconds).
timeout = 120
graceful_timeout = 30
keepalive = 5
# Logs to stdout/stderr: the container runtime or journald keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's default line, plus the request id the app answered with (the id in the audit rows it wrote).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %({x-request-id}o)s'
if os.environ.get("RECTIFLOW_LOG_FORMAT", "").strip().lower() == "json":
    # The root logger is left without a handler: the app installs its own (JSON, with request ids) on it.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "web.logging_setup.JsonFormatter"}},
        "handlers": {
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": []},
    }
proc_name = "rectiflow-web"
# No control socket: it would be created in $HOME, which the service user may not have (or share).
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Empty the metrics folder: files left by the workers of an earlier run would be counted again."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # only prometheus-client's files, whatever else the folder holds
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Tell the metrics a worker is gone (prometheus-client's multiprocess mode keeps its gauges otherwise)."""
    try:
        from web.metrics import gunicorn_child_exit
    except ImportError:  # metrics not installed in this build
        return
    gunicorn_child_exit(server, worker)
