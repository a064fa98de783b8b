"""One declaration per task form: it validates (the command line's messages unchanged), collects an
error per field for the web, states its conditions declaratively and describes itself to clients."""

from __future__ import annotations

import re

import pytest

from workflows import forms
from workflows.errors import ValidationError
from workflows.form_fields import Kind

from ..conftest import BPMN_DIR


def diagram_forms() -> set[str]:
    text = (BPMN_DIR / "rectification.bpmn").read_text(encoding="utf-8")
    return set(re.findall(r'<spiffworkflow:property name="form" value="([a-z_]+)"', text))


def test_every_form_the_diagram_names_is_declared_and_every_text_it_shows_is_in_the_catalogue() -> None:
    assert diagram_forms() == set(forms.FORMS)
    for form in forms.FORMS.values():
        keys = [form.title_key]
        for field in form.fields:
            keys += [field.label_key, *(c.label_key for c in field.choices)]
            keys += [field.help_key] if field.help_key else []
            condition = field.conditional_on()
            if condition is not None:  # a condition names an earlier field of the same form
                earlier = [f.name for f in form.fields[: form.fields.index(field)]]
                assert condition.field in earlier, (form.key, field.name)
        assert set(keys) <= forms.LABELS.keys(), form.key


@pytest.mark.parametrize(
    ("form", "data", "message"),
    [
        ("measure_progress", {"progress": " "}, "progress is required (progress)"),
        ("measure_progress", {"progress": 7}, "progress must be text (progress)"),
        ("measure_progress", {"progress": "ok", "measure_done": "yes"},
         "the measure is done must be true or false (measure_done)"),
        ("measure_review", {"review_decision": "maybe"}, "decision must be one of approve, return (review_decision)"),
        ("measure_review", {"review_decision": "return", "reason": ""}, "reason is required (reason)"),
        ("verification", {"verify_decision": "fail"}, "reason is required (reason)"),
        ("lookback", {"lookback_decision": "rebound", "reason": None}, "reason is required (reason)"),
        ("long_term_close", {}, "note is required (close_note)"),
        ("periodic_report", {"progress": "ok", "evidence": "a.pdf"},
         "evidence must be a list of ids of stored files (evidence)"),
        ("measure_progress", {"progress": "ok", "evidence": [3, "report.pdf"]},
         "attach files with --file; evidence in --data must be ids of stored files (evidence[1])"),
    ],
)
def test_a_wrong_value_is_refused_with_the_message_the_command_line_prints(form, data, message) -> None:
    with pytest.raises(ValidationError) as refused:
        forms.validate(form, data)
    assert str(refused.value) == message


def test_conditions_are_declared_a_reason_when_returning_a_new_deadline_only_on_failure() -> None:
    assert forms.validate("measure_review", {"review_decision": "approve"}) == {
        "review_decision": "approve", "reason": None}
    assert forms.validate("verification", {"verify_decision": "pass", "new_deadline": "not a date"}) == {
        "verify_decision": "pass", "reason": None, "new_deadline": None}  # not asked on a pass: ignored
    failed = forms.validate("verification", {"verify_decision": "fail", "reason": " 佐证不足 ",
                                             "new_deadline": "2026-09-30"})
    assert failed == {"verify_decision": "fail", "reason": "佐证不足", "new_deadline": "2026-09-30T15:59:59+00:00"}
    with pytest.raises(ValidationError, match=r"new deadline must be a date such as 2026-06-30 \(new_deadline\)"):
        forms.validate("lookback", {"lookback_decision": "rebound", "reason": "r", "new_deadline": "2026-13-01"})
    review = forms.FORMS["measure_review"].field("reason")
    assert review is not None and review.required_when is not None
    assert (review.required_when.field, review.required_when.values) == ("review_decision", ("return",))


def test_check_gives_one_message_per_field_in_the_forms_order() -> None:
    cleaned, errors = forms.check("verification", {"verify_decision": "fail", "reason": "", "new_deadline": "x"})
    assert list(errors) == ["reason", "new_deadline"]
    assert errors["reason"].key == "form.required" and errors["new_deadline"].key == "form.date"
    assert cleaned["verify_decision"] == "fail"
    with pytest.raises(forms.FormErrors) as refused:
        forms.validate("verification", {"verify_decision": "fail", "reason": "", "new_deadline": "x"})
    assert set(refused.value.errors) == {"reason", "new_deadline"}
    assert str(refused.value) == "reason is required (reason)"  # the first, as the command line prints it


def test_a_browser_forms_text_becomes_the_data_the_declaration_takes() -> None:
    data = forms.from_form_fields("measure_progress", {"progress": "已整改", "measure_done": "on", "evidence": "x"})
    assert data == {"progress": "已整改", "measure_done": True}  # files are uploads, never typed
    assert forms.from_form_fields("measure_progress", {"progress": "p"})["measure_done"] is False
    assert forms.validate("measure_progress", data) == {"progress": "已整改", "measure_done": True, "evidence": []}
    with pytest.raises(ValidationError, match="unknown form 'nonsense'"):
        forms.from_form_fields("nonsense", {})


def test_without_a_form_the_data_passes_as_it_is_and_an_unknown_form_is_refused() -> None:
    assert forms.validate(None, {"anything": 1}) == {"anything": 1}
    with pytest.raises(ValidationError, match="the diagram names an unknown form 'nonsense'"):
        forms.validate("nonsense", {})
    with pytest.raises(ValidationError, match="must be an object of named values"):
        forms.validate("lookback", ["consolidated"])  # type: ignore[arg-type]


def test_describe_tells_clients_the_fields_types_choices_and_conditions() -> None:
    described = forms.describe("verification")
    assert described["form"] == "verification" and described["title"] == "verify the problem"
    assert described["required"] == ["verify_decision"]
    decision, reason, deadline = (described["properties"][n] for n in ("verify_decision", "reason", "new_deadline"))
    assert decision["enum"] == ["pass", "fail"] and decision["x-choices"][1] == {"value": "fail", "title": "fail"}
    assert reason == {"type": "string", "title": "reason", "x-kind": "textarea", "maxLength": 5000,
                      "description": "required when verification fails",
                      "x-required-when": {"field": "verify_decision", "in": ["fail"]}}
    assert deadline["format"] == "date" and deadline["x-only-when"] == {"field": "verify_decision", "in": ["fail"]}
    progress = forms.describe("measure_progress", text=lambda message: message.key)
    assert progress["properties"]["evidence"]["type"] == "array"
    assert progress["properties"]["evidence"]["maxItems"] == forms.MAX_EVIDENCE
    assert progress["properties"]["measure_done"]["type"] == "boolean"
    assert progress["properties"]["progress"]["title"] == "label.measure_progress.progress"
    for key, form in forms.FORMS.items():  # every form describes every field it declares
        assert list(forms.describe(key)["properties"]) == [f.name for f in form.fields]
        assert {f.kind for f in form.fields} <= set(Kind)


def test_the_command_lines_help_lists_each_forms_fields_from_the_declarations() -> None:
    from click.testing import CliRunner

    import web.cli

    shown = CliRunner().invoke(web.cli.main, ["complete", "--help"]).output
    assert "measure_review (review the measure):\n      review_decision: approve|return, required\n" \
           "      reason: text, required when review_decision is return\n" in shown
    assert "      new_deadline: YYYY-MM-DD, only when verify_decision is fail\n" in shown
