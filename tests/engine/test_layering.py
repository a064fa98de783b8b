"""engine/ is the sansio of this project: importing it (and the domain) pulls in no web framework.

Jinja2 is allowed: it is a template library, and the report's HTML renderer (workflows/report/html.py)
uses it without Flask so that ``rectiflow report --format html`` and the web page share one template;
and ``werkzeug.security`` hashes passwords in workflows/people.py.
"""

from __future__ import annotations

import subprocess
import sys

from ..conftest import ROOT

MODULES = ["engine", "engine.runtime", "workflows.tasks", "workflows.plan_import", "workflows.ledger",
           "workflows.report"]
CHECK = f"""
import importlib, sys
for name in {MODULES!r}:
    importlib.import_module(name)
print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_login', 'flask_wtf', 'flask_babel')))
"""


def test_engine_and_workflows_import_without_flask():
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
