"""``serve``: the web app on Werkzeug's server, with the timer scheduler in the background."""

from __future__ import annotations

import logging

import click
from flask import Flask
from werkzeug import serving

from web.dev_server import RequestHandler
from web.logging_setup import configure_logging
from web.scheduler import start_background

from .app_context import pass_serving_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="fire timers in the background")
@pass_serving_app
def serve(app: Flask, host: str, port: int, scheduler: bool) -> None:
    """Run the web app (and the timer scheduler)."""
    app.config["SCHEDULER_ENABLED"] = scheduler  # the option decides, over the setting
    if configure_logging(app.config["LOG_FORMAT"]):
        # Werkzeug's line per request goes through the same handler (text or JSON) rather than its own.
        logging.getLogger("werkzeug").setLevel(logging.INFO)
    started = start_background(app)
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]
    state = f"scheduler on, every {interval}s" if started else "scheduler off"
    click.echo(f"Rectiflow listening on http://{host}:{port}/  ({state})")
    try:
        # run_simple rather than app.run, which does nothing under `flask --app web.app serve`;
        # RequestHandler: a Server header without the Werkzeug and Python versions.
        serving.run_simple(host, port, app, use_reloader=False, threaded=True, request_handler=RequestHandler)
    finally:
        if started:
            started.shutdown(wait=False)


COMMANDS = [serve]
