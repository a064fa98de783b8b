"""Other units' published reports, read by hand once, imported by the parser (tests/fixtures/reports/).

Every expectation is checked; those the importer is known to miss are listed in KNOWN_FAILURES.txt.
The test fails when a check not listed there fails (a regression) and when a listed one passes (a fix
must remove its line), so the score in the README stays the measured one.
"""

from __future__ import annotations

import json

import pytest

from tests.workflows.report_corpus import CORPUS, Check, checks_for, documents, known_failures

DOCUMENTS = documents()


def test_the_corpus_holds_at_least_thirty_documents_each_with_its_source() -> None:
    assert len(DOCUMENTS) >= 30
    for doc in DOCUMENTS:
        spec = json.loads((CORPUS / f"{doc}.json").read_text(encoding="utf-8"))
        assert spec["source"].startswith(("http://", "https://")), doc
        assert spec["kind"] in ("巡察", "巡视", "审计") and spec["expect"], doc


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_each_document_imports_as_read_by_hand(doc: str) -> None:
    known = known_failures()
    checks: list[Check] = checks_for(doc)
    assert checks, f"{doc}: no expectations"
    regressions = [f"{c.name}: expected {c.expected!r}, got {c.actual!r}" for c in checks
                   if not c.ok and c.key not in known]
    fixed = [c.key for c in checks if c.ok and c.key in known]
    assert not regressions, f"{doc}: " + "; ".join(regressions)
    assert not fixed, f"now passing, remove from KNOWN_FAILURES.txt: {fixed}"


def test_every_known_failure_names_a_check_that_exists() -> None:
    names = {check.key for doc in DOCUMENTS for check in checks_for(doc)}
    assert known_failures() <= names
