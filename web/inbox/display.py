"""How an inbox row's days left read, in the reader's language (its step: ``web.steps``)."""

from __future__ import annotations

from workflows.warnings import DeadlineWarning

from ..i18n import t


def days_text(warning: DeadlineWarning) -> str:
    """"剩 5 天", "今日到期", "逾期 3 天" or "未设时限"; "长期整改" for a long-term item without a date."""
    days = warning.days_left
    if days is None:
        return t("inbox.long_term") if warning.colour == "blue" else t("inbox.days.none")
    if warning.overdue or days < 0:
        return t("inbox.days.overdue", days=-days) if days < 0 else t("inbox.days.overdue_today")
    if days == 0:
        return t("inbox.days.today")
    return t("inbox.days.one_left") if days == 1 else t("inbox.days.left", days=days)
