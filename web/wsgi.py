"""The WSGI entry point for gunicorn and other servers: ``gunicorn web.wsgi:app``.

The app is built from the configuration (web/config.py: defaults, the instance file,
``RECTIFLOW_*`` variables) when a worker imports this module. It never starts the timer
scheduler: that is ``rectiflow scheduler``, in processes of its own (deploy/compose.yaml).
"""

from __future__ import annotations

from .app import create_app

app = create_app()
