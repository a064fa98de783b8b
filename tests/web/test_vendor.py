"""Browser libraries from npm are served from this site, and nothing else of ``node_modules`` is."""

from __future__ import annotations

import pytest
from flask import Flask

from web import vendor

pytestmark = pytest.mark.skipif(not vendor.installed("echarts.js"), reason="web/assets is not installed (npm ci)")


def test_each_whitelisted_library_is_served_with_its_type(app: Flask) -> None:
    client = app.test_client()
    for name in vendor.FILES:
        response = client.get(f"/vendor/{name}")
        assert response.status_code == 200, name
        expected = "text/css" if name.endswith(".css") else "javascript"
        assert expected in response.content_type, (name, response.content_type)
        assert response.headers["Cache-Control"].startswith("public, max-age="), name
        response.close()


@pytest.mark.parametrize("path", ["/vendor/package.json", "/vendor/..%2Fpackage-lock.json",
                                  "/vendor/bpmn-js%2Fpackage.json", "/vendor/echarts.min.js"])
def test_anything_else_is_not_found(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 404
