"""The task forms as the command line tells them: ``complete --help`` and ``task show``.

Both read the forms' one declaration (``workflows.forms.describe``), so what the help lists is
what ``complete`` accepts and what the web page renders.
"""

from __future__ import annotations

from typing import Any

from workflows import forms

TASK_REF_HELP = ("ID_OR_NUMBER is a task id (17) or a ledger number of the round (--round, default the "
                 "newest): 2.2.1 is measure 1 of problem 2 of part 2, 2.2 the problem's own step "
                 "(verification, look-back, long-term follow-up).")


def field_notes(form_key: str) -> list[tuple[str, str, str]]:
    """Each field of ``form_key``: its data name, its label, and what it takes (type, required, conditions)."""
    described = forms.describe(form_key)
    notes = []
    for name, spec in described["properties"].items():
        notes.append((name, spec["title"], ", ".join(_notes(name, spec, described["required"]))))
    return notes


def _notes(name: str, spec: dict[str, Any], required: list[str]) -> list[str]:
    if "enum" in spec:
        kind = "|".join(spec["enum"])
    elif spec.get("format") == "date":
        kind = "YYYY-MM-DD"
    elif spec["type"] == "array":
        kind = "files: --file PATH (repeatable), or ids of stored files"
    else:
        kind = {"boolean": "true/false", "string": "text"}[spec["type"]]
    notes = [kind]
    if name in required:
        notes.append("required")
    for word, label in (("x-required-when", "required when"), ("x-only-when", "only when")):
        if word in spec:
            notes.append(f"{label} {spec[word]['field']} is {'|'.join(spec[word]['in'])}")
    return notes


def form_help() -> str:
    """``complete --help``'s epilog: how to name a task, and every form's fields."""
    lines = [
        "\b",
        *_wrapped(TASK_REF_HELP),
        "",
        "\b",
        "For example:",
        "  rectiflow claim 2.2.1 --user wwk",
        "  rectiflow complete 2.2.1 --user wwk --data '{\"progress\": \"已召开专题会议\"}' --file 会议纪要.pdf",
        "  rectiflow complete 1.2 --user ducha --data '{\"verify_decision\": \"pass\"}'",
        "",
        "\b",
        "Evidence (佐证材料): attach files with --file PATH, once per file; they are stored as the",
        "web stores them (type, size and count checked). In --data, evidence may only be ids of",
        "stored files: a file name there is refused.",
        "",
        "\b",
        "Fields of each form, as --data keys (`tasks` and `task show` show a task's form):",
    ]
    for key in forms.FORMS:
        lines.append(f"  {key} ({forms.describe(key)['title']}):")
        lines.extend(f"    {name}: {notes}" for name, _title, notes in field_notes(key))
    return "\n".join(lines)


def _wrapped(text: str, width: int = 90) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines
