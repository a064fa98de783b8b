"""What every API route shares: the blueprint, who is calling, JSON errors and cursor paging.

(Skeleton: the API's engineer fills it in.)
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_api(app: Flask) -> None:
    """Register the API on ``app``."""
    app.register_blueprint(bp)
