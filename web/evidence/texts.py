"""The evidence area's UI texts: key -> (Chinese, English); added to the catalogue by `web.i18n.add_texts`.

The English of each domain message is the default in ``workflows.evidence.MESSAGES`` (a test
checks the two agree).
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "evidence.type_not_allowed": (
        "{name}：不支持上传此类文件（允许：{allowed}）。",
        "{name}: this type of file cannot be uploaded (allowed: {allowed})",
    ),
    "evidence.content_mismatch": (
        "{name}：文件内容与扩展名 .{extension} 不符。",
        "{name}: the content is not a .{extension} file",
    ),
    "evidence.empty": ("{name}：文件为空。", "{name}: the file is empty"),
    "evidence.too_large": ("{name}：文件超过 {limit}。", "{name}: the file is larger than {limit}"),
    "evidence.nul_in_name": ("文件名含有 NUL 字符。", "a file name contains a NUL character"),
    "evidence.too_many": (
        "每次提交最多 {max} 个文件，本次 {count} 个。",
        "at most {max} files per submission, got {count}",
    ),
    "evidence.not_found": ("佐证材料 {id} 不存在。", "evidence {id} does not exist"),
    "evidence.not_holder": (
        "只有领取此任务的人才能上传佐证材料。",
        "only the person who holds this task may attach evidence to it",
    ),
    "evidence.wrong_measure": ("整改措施 {id} 不属于此任务的问题。", "measure {id} is not part of this task's problem"),
    "evidence.file_missing": (
        "佐证材料“{name}”的文件已不在存储中，请联系系统管理员。",
        "the file of evidence \"{name}\" is no longer in the store; please tell an administrator",
    ),
}
