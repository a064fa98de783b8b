"""Admin UI texts (texts_people): key -> (Chinese, English); added to the catalogue by ``web.i18n.add_texts``."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {}
