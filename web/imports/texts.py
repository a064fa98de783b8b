"""The imports area's UI texts: key -> (Chinese, English); added to the catalogue by ``web.i18n.add_texts``.

``imports.error.*`` are the keyed messages of ``workflows.import_drafts`` / ``import_draft_edits`` /
``import_draft_ledger`` (their English default is the command line's text).
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "imports.title": ("导入整改方案或台账", "Import a plan or ledger"),
    "imports.intro": (
        "上传整改方案或整改进展情况（.docx、.txt、本单位的 Excel 台账 .xlsx），或从本系统导出并修改后的台账工作簿"
        "（.xlsx）。上传后先预览、更正，确认后才会保存。",
        "Upload a rectification plan or progress report (.docx, .txt, or your office's own Excel ledger .xlsx), "
        "or a ledger workbook exported from here and edited (.xlsx). "
        "You review and correct it first; nothing is saved until you confirm.",
    ),
    "imports.file": ("选择文件", "File"),
    "imports.file_hint": (
        "支持 .docx、.txt、.xlsx（方案，最大 {plan} MB；本系统导出的台账按台账更新）",
        "Accepted: .docx, .txt, .xlsx (plans, up to {plan} MB; a workbook exported from here updates its ledger)",
    ),
    "imports.upload": ("上传并预览", "Upload and preview"),
    "imports.drafts": ("我的待确认导入", "My drafts awaiting confirmation"),
    "imports.no_drafts": ("暂无待确认的导入。", "No drafts awaiting confirmation."),
    "imports.kind.plan": ("整改方案", "Plan"),
    "imports.kind.ledger": ("台账", "Ledger"),
    "imports.uploaded_at": ("上传于 {time}", "uploaded {time}"),
    "imports.open": ("打开", "Open"),
    "imports.read_lines": (
        "读取到的内容（前 {count} 行）",
        "What was read (first {count} lines)",
    ),
    "imports.nothing_hint": (
        "文件中没有识别出任何问题。请确认这是整改方案或整改进展情况，问题标题形如“1.针对……问题”或“（一）关于……问题”。",
        "No problem was recognised. Check that this is a plan or progress report with problem headings such "
        "as “1.针对……问题” or “（一）关于……问题”.",
    ),
    "imports.no_file": ("请选择要上传的文件。", "Choose a file to upload."),
    "imports.too_large_page": (
        "上传的文件太大（上限 {limit} MB），未保存任何内容。请压缩或拆分后重新上传。",
        "The upload is too large (limit {limit} MB); nothing was saved. Reduce or split it and upload again.",
    ),
    "imports.back": ("返回导入页面", "Back to the import page"),
    "imports.uploaded": (
        "已读取“{name}”，请核对后确认。",
        "Read “{name}”; review it, then confirm.",
    ),
    "imports.preview_title": ("导入预览：{name}", "Import preview: {name}"),
    "imports.counts": (
        "{parts} 个方面，{problems} 个问题，{measures} 项措施",
        "{parts} parts, {problems} problems, {measures} measures",
    ),
    "imports.round_title": ("将创建轮次：{title}", "Round to be created: {title}"),
    "imports.meta.group": ("巡察组", "Inspecting group"),
    "imports.meta.unit": ("被巡察单位", "Inspected unit"),
    "imports.meta.feedback": ("反馈日期", "Feedback date"),
    "imports.stated": ("文中所称数字与解析结果", "Figures stated in the text vs parsed"),
    "imports.stated.item": ("项目", "Item"),
    "imports.stated.text": ("文中所称", "Stated"),
    "imports.stated.parsed": ("解析结果", "Parsed"),
    "imports.stated.parts": ("方面", "Parts"),
    "imports.stated.problems": ("问题", "Problems"),
    "imports.stated.measures": ("措施", "Measures"),
    "imports.stated.none": ("文中未说明", "not stated"),
    "imports.mismatches": ("对不上的数字", "Figures that do not reconcile"),
    "imports.unassigned": ("未能归类的行（{count}）", "Lines not placed ({count})"),
    "imports.unassigned_none": ("所有行均已归类。", "Every line was placed."),
    "imports.empty_problems": (
        "问题 {numbers} 还没有整改措施，确认前请移入或拆分一项措施。",
        "Problem(s) {numbers} have no measures yet; move or split one into them before confirming.",
    ),
    "imports.source": ("原文", "Source text"),
    "imports.line": ("第 {no} 行", "line {no}"),
    "imports.tree": ("解析结果", "Parsed plan"),
    "imports.part": ("第{no}部分", "Part {no}"),
    "imports.problem_measures": ("{count} 项措施", "{count} measures"),
    "imports.long_term": ("长期坚持", "long-term"),
    "imports.deadline": ("整改时限", "Deadline"),
    "imports.leader": ("责任领导", "Responsible leader"),
    "imports.lead_unit": ("牵头单位", "Lead unit"),
    "imports.units": ("责任单位", "Responsible units"),
    "imports.units_hint": ("多个单位用“、”分隔", "separate units with 、"),
    "imports.none": ("未填", "not given"),
    "imports.edit": ("更正", "Correct"),
    "imports.rename": ("改名", "Rename"),
    "imports.save": ("保存", "Save"),
    "imports.fill": ("补填时限和责任", "Deadline and owners"),
    "imports.move": ("移到其他问题", "Move to another problem"),
    "imports.move_to": ("目标问题", "Target problem"),
    "imports.split": ("拆分", "Split"),
    "imports.split_after": ("在此句后拆分", "Split after this sentence"),
    "imports.split_texts": ("或填写拆分后的两段", "or give the two texts"),
    "imports.split_first": ("第一项", "First"),
    "imports.split_second": ("第二项", "Second"),
    "imports.merge": ("与下一项合并", "Merge with the next"),
    "imports.promote": ("设为问题", "Make a problem"),
    "imports.promote_part": ("放入", "Into"),
    "imports.confirm": ("确认导入", "Confirm import"),
    "imports.confirm_hint": (
        "确认后将创建轮次并启动全部 {problems} 个问题的整改流程。",
        "Confirming creates the round and starts the lifecycle of all {problems} problems.",
    ),
    "imports.cancel": ("取消导入", "Cancel import"),
    "imports.cancelled": (
        "已取消导入“{name}”，未保存任何内容。",
        "Cancelled “{name}”; nothing was saved.",
    ),
    "imports.edited": ("已更正。", "Corrected."),
    "imports.confirmed": (
        "已导入：轮次 {round}，启动 {launched} 个整改流程。",
        "Imported: round {round}, {launched} lifecycles started.",
    ),
    "imports.confirmed_ledger": (
        "已按台账更新轮次 {round}。",
        "Round {round} updated from the ledger.",
    ),
    "imports.already": ("此导入已于 {time} 确认。", "This import was confirmed {time}."),
    "imports.go_ledger": ("查看台账", "Open the ledger"),
    "imports.warning": ("提示", "Note"),
    "imports.ledger_changes": (
        "台账修改（{measures} 项措施，{fields} 处）",
        "Ledger changes ({measures} measures, {fields} fields)",
    ),
    "imports.ledger_new": (
        "将新建轮次“{title}”：{parts} 个方面，{problems} 个问题，{measures} 项措施",
        "New round “{title}”: {parts} parts, {problems} problems, {measures} measures",
    ),
    "imports.field": ("字段", "Field"),
    "imports.old": ("原值", "Old"),
    "imports.new": ("新值", "New"),
    "imports.field.part": ("方面", "Part"),
    "imports.field.problem": ("问题", "Problem"),
    "imports.field.measure": ("整改措施", "Measure"),
    "imports.field.deadline": ("整改时限", "Deadline"),
    "imports.field.deadline_text": ("时限原文", "Deadline wording"),
    "imports.field.leader": ("责任领导", "Responsible leader"),
    "imports.field.lead_unit": ("牵头单位", "Lead unit"),
    "imports.field.units": ("责任单位", "Responsible units"),
    "imports.error.suffix": (
        "“{name}”不是 .docx、.txt 或 .xlsx 文件，无法导入。",
        "'{name}' is not a .docx, .txt or .xlsx file",
    ),
    "imports.error.empty": ("“{name}”是空文件，未保存任何内容。", "'{name}' is empty"),
    "imports.error.too_large": (
        "“{name}”超过 {limit} MB，无法导入。",
        "'{name}' is larger than {limit} MB",
    ),
    "imports.error.binary": (
        "“{name}”不是文本文件（含有二进制内容），无法导入。",
        "'{name}' is not a text file",
    ),
    "imports.error.not_docx": (
        "“{name}”不是有效的 Word（.docx）文档，无法导入。",
        "'{name}' is not a Word (.docx) document",
    ),
    "imports.error.not_xlsx": (
        "“{name}”不是有效的 Excel 台账工作簿（.xlsx）。",
        "'{name}' is not an Excel (.xlsx) ledger workbook",
    ),
    "imports.error.nothing_found": (
        "“{name}”中没有识别出任何问题，未保存任何内容。",
        "no problems were found in '{name}'",
    ),
    "imports.error.ledger_errors": (
        "“{name}”有 {count} 处错误，未导入任何内容：",
        "'{name}' has {count} error(s); nothing was imported",
    ),
    "imports.error.no_changes": (
        "“{name}”与现有台账一致，没有需要导入的修改。",
        "'{name}' makes no change to the ledger",
    ),
    "imports.error.no_draft": (
        "导入草稿 {id} 不存在（可能已取消）。",
        "import draft {id} does not exist (cancelled?)",
    ),
    "imports.error.confirmed": (
        "导入草稿 {id} 已经确认过，不会重复导入。",
        "import draft {id} was already confirmed",
    ),
    "imports.error.stale": (
        "此草稿已在其他窗口中修改，请刷新页面后重试。",
        "the draft was changed in another window; reload the page and try again",
    ),
    "imports.error.ledger_moved": (
        "预览之后台账已被修改：请取消此导入并重新上传工作簿。",
        "the ledger changed since this preview: cancel it and upload the workbook again",
    ),
    "imports.error.no_item": ("没有编号为 {number} 的条目。", "there is no item {number}"),
    "imports.error.same_problem": (
        "措施 {number} 已属于问题 {to}。",
        "measure {number} already belongs to problem {to}",
    ),
    "imports.error.split_point": (
        "措施 {number} 不能在此处拆分。",
        "measure {number} cannot be split there",
    ),
    "imports.error.no_next": (
        "措施 {number} 是该问题的最后一项，没有可合并的下一项。",
        "measure {number} is the last of its problem",
    ),
    "imports.error.no_line": (
        "第 {line} 行不在未归类的行中。",
        "line {line} is not among the unplaced lines",
    ),
    "imports.error.deadline_or_long_term": (
        "请填写整改时限或勾选长期坚持，不能两者都选。",
        "give a deadline or mark the measure long-term, not both",
    ),
    "imports.error.empty_text": ("内容不能为空。", "the text must not be empty"),
    "imports.error.bad_date": (
        "日期格式不正确，例如 2026-06-30。",
        "the date must look like 2026-06-30",
    ),
    "imports.error.empty_problems": (
        "问题 {numbers} 没有整改措施：请先移入或拆分一项措施。",
        "problem(s) {numbers} have no measures: move or split one into them",
    ),
    # why the importer left a line unplaced (``UnassignedLine.reason``, English in the parser)
    "imports.reason.part_intro": ("位于方面标题与第一个问题之间", "between a part heading and its first problem"),
    "imports.reason.between": ("问题清单中不含问题的段落", "a section of the problem list with no problems"),
    "imports.reason.no_list": ("文中未识别出问题清单", "no problem list was recognised in the document"),
    "imports.empty_tree": (
        "未识别出问题：台账为空，已读取本轮的基本信息和文中所列数字。",
        "No problems recognised: the ledger is empty; the round's details and stated figures were read.",
    ),
    "imports.doubtful": ("存疑条目（{count}）：请逐条核对", "Doubtful items ({count}): check each one"),
    "imports.doubtful_tag": ("存疑", "doubtful"),
    # which rule placed a doubtful item (``rules.RULES``, English in the parser)
    "imports.rule.part-numbered": ("“第X部分”标题", "a 第X部分 heading"),
    "imports.rule.part-aspect": ("“……方面”标题", "a heading naming a 方面 of problems"),
    "imports.rule.part-parent": ("下级标题均为问题的标题", "a heading whose sub-headings are problems"),
    "imports.rule.part-implicit": ("无方面标题，全部问题归为一组", "problems without part headings, as one group"),
    "imports.rule.part-list-heading": (
        "仅因上级标题点明问题清单而识别为方面",
        "a sub-heading of the heading that names the problem list",
    ),
    "imports.rule.problem-heading": ("“针对/关于……问题”标题", "a 针对…问题 / 关于…问题 heading"),
    "imports.rule.problem-label": ("“问题一：”标签", "a 问题一： label"),
    "imports.rule.problem-fields": ("带整改措施、责任单位、时限等字段的标题", "a heading with labelled fields"),
    "imports.rule.problem-numbered": ("与相邻问题编号方式相同", "numbered like the problems beside it"),
    "imports.rule.problem-numbered-bare": (
        "与相邻问题编号方式相同，但其下没有整改措施",
        "numbered like the problems beside it, but with no measures under it",
    ),
    "imports.rule.problem-list-heading": (
        "仅因上级标题点明问题清单而识别为问题",
        "taken for a problem only because the heading above it names the problem list",
    ),
    "imports.rule.problem-inline": ("段落中列举的问题（一是……；二是……）", "a problem listed inside a paragraph"),
    "imports.rule.measure-marker": ("列表项（一是、（1）、1.、第一……）", "a list item (一是, （1）, 1., 第一…)"),
    "imports.rule.measure-paragraph": ("无列表标记的段落，整段作为一项措施", "a paragraph without markers"),
    "imports.rule.measure-fragment": ("列表项过短，不像一项措施", "a list item too short to be a measure"),
}
