"""The reminders area's UI texts: key -> (Chinese, English); added to the catalogue by `web.i18n.add_texts`.

The reminders themselves (subject, body) are stored in Chinese, as they were mailed.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "reminders.title": ("督办提醒", "Reminders"),
    "reminders.nav": ("提醒", "Reminders"),
    "reminders.badge_title": ("未读提醒：{count} 条", "Unread reminders: {count}"),
    "reminders.summary": ("未读 {unread} 条，共 {total} 条", "{unread} unread of {total}"),
    "reminders.unread": ("未读", "Unread"),
    "reminders.read_on": ("已读于 {time}", "read {time}"),
    "reminders.mark_read": ("标为已读", "Mark as read"),
    "reminders.mark_all_read": ("全部标为已读", "Mark all as read"),
    "reminders.marked": ("已将 {count} 条提醒标为已读。", "Marked {count} reminder(s) as read."),
    "reminders.nothing_to_mark": ("没有未读提醒。", "There are no unread reminders."),
    "reminders.open_item": ("去办理", "Open"),
    "reminders.details": ("详情", "Details"),
    "reminders.empty": (
        "暂无提醒。整改措施临近或超过时限、问题待核实过久或被挂牌督办时，提醒会显示在这里。",
        "No reminders yet. They appear here when a measure nears or passes its deadline, a problem "
        "waits too long for verification, or a problem is flagged for supervision.",
    ),
    "reminders.reason.warning": ("临期预警", "Deadline near"),
    "reminders.reason.overdue": ("逾期督办", "Overdue"),
    "reminders.reason.overdue_again": ("逾期再次督办", "Still overdue"),
    "reminders.reason.awaiting_verification": ("待核实", "Awaiting verification"),
    "reminders.reason.flagged": ("挂牌督办", "Flagged"),
    "reminders.mail.pending": ("邮件待发送", "Mail pending"),
    "reminders.mail.sent": ("邮件已发送", "Mailed"),
    "reminders.mail.failed": ("邮件发送失败", "Mail failed"),
    "reminders.pager": ("分页", "Pages"),
    "reminders.prev": ("上一页", "Previous"),
    "reminders.next": ("下一页", "Next"),
    "reminders.page_of": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
}
