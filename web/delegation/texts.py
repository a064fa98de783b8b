"""The delegation area's UI texts: key -> (Chinese, English); added to the catalogue by `web.i18n.add_texts`.

The ``reassign.*`` keys are the domain's refusals (``workflows.reassign.MESSAGES``); their English
is the command line's, word for word (a test checks).
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "delegation.title": ("转办任务", "Reassign a task"),
    "delegation.intro": (
        "将此任务转交给可以办理它的其他人员，并说明理由。转办后任务由对方办理，转办记录写入审计日志。",
        "Hand this task to someone else who can work on it, with a reason. They will hold it, "
        "and the audit log keeps the record.",
    ),
    "delegation.task": ("任务", "Task"),
    "delegation.holder": ("当前办理人", "Held by"),
    "delegation.unclaimed": ("尚未领取", "Not claimed yet"),
    "delegation.to": ("转办给", "Hand to"),
    "delegation.choose": ("请选择人员", "Choose a person"),
    "delegation.reason": ("转办理由", "Reason"),
    "delegation.reason_hint": ("必填，不超过 {max} 字。", "Required, at most {max} characters."),
    "delegation.submit": ("转办", "Reassign"),
    "delegation.nobody": ("没有其他可以办理此任务的人员。", "No one else can work on this task."),
    "delegation.closed": ("此任务已办结或已取消，不能转办。",
                          "This task is finished or cancelled; it cannot be reassigned."),
    "delegation.done": ("已转办给 {name}。", "Reassigned to {name}."),
    "delegation.back": ("返回任务", "Back to the task"),
    "reassign.reason_required": ("请填写转办理由。", "a reason is required to reassign a task"),
    "reassign.reason_too_long": ("转办理由不能超过 {max} 字。", "the reason must have at most {max} characters"),
    "reassign.reason_unstorable": ("转办理由含有无法保存的字符。",
                                   "the reason contains characters that cannot be stored"),
    "reassign.target_required": ("请选择转办给谁。", "choose the person to hand the task to"),
    "reassign.no_such_person": ("没有登录名为“{login}”的在职人员。", "no active person with login '{login}'"),
    "reassign.already_holder": ("{name} 已经是此任务的办理人。", "{name} already holds this task"),
    "reassign.not_eligible": (
        "{name} 不能办理此任务：只能转办给可以领取该任务的人员。",
        "{name} cannot work on this task: only someone who could claim it may take it",
    ),
}
