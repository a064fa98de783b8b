"""The ledger area's UI texts: key -> (Chinese, English); added to the catalogue by ``web.i18n.add_texts``."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {}
