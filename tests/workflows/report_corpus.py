"""Checks a parsed report against what a person read in it by hand (tests/fixtures/reports/).

Run as a script to see every check of some documents:
``python tests/workflows/report_corpus.py [<id> ...]`` (all documents when no id is given).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
KNOWN_FAILURES = CORPUS / "KNOWN_FAILURES.txt"
_META_DATES = ("period_start", "period_end", "feedback_date", "report_date")


@dataclass(frozen=True)
class Check:
    doc: str
    name: str
    expected: Any
    actual: Any

    @property
    def ok(self) -> bool:
        if self.name.startswith(("meta.", "part_titles", "problem_titles")) and isinstance(self.expected, str):
            if self.name.split(".")[-1] in _META_DATES:
                return self.expected == self.actual
            return _either_contains(self.expected, self.actual, title=not self.name.startswith("meta."))
        if isinstance(self.expected, float) and isinstance(self.actual, (int, float)):
            return abs(self.expected - self.actual) < 0.005
        return bool(self.expected == self.actual)

    @property
    def key(self) -> str:
        return f"{self.doc} {self.name}"


def _either_contains(expected: str, actual: Any, *, title: bool) -> bool:
    if not isinstance(actual, str) or not actual:
        return False
    if title:
        return expected in actual
    return expected in actual or actual in expected


def documents() -> list[str]:
    """Every document id in the corpus, sorted."""
    return sorted(p.stem for p in CORPUS.glob("*.txt") if p != KNOWN_FAILURES)


def known_failures() -> set[str]:
    """``<id> <check>`` lines of KNOWN_FAILURES.txt (comments and blanks skipped)."""
    if not KNOWN_FAILURES.exists():
        return set()
    lines = KNOWN_FAILURES.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def checks_for(doc: str) -> list[Check]:
    """Parse ``<doc>.txt`` and compare it with every expectation in ``<doc>.json``."""
    from workflows.plan_import import parse_file
    from workflows.plan_import.meta import round_kind

    spec = json.loads((CORPUS / f"{doc}.json").read_text(encoding="utf-8"))
    expect: dict[str, Any] = spec["expect"]
    plan = parse_file(CORPUS / f"{doc}.txt")
    checks: list[Check] = []

    def add(name: str, expected: Any, actual: Any) -> None:
        checks.append(Check(doc, name, expected, actual))

    counts = {"parts": len(plan.parts), "problems": plan.problem_count, "measures": plan.measure_count}
    for key, actual in counts.items():
        if key in expect:
            add(key, expect[key], actual)
    for key, titles in (("part_titles", [p.title for p in plan.parts]),
                        ("problem_titles", [p.title for p in plan.iter_problems()])):
        for i, wanted in enumerate(expect.get(key, [])):
            add(f"{key}[{i}]", wanted, titles[i] if i < len(titles) else None)
    for key, wanted in expect.get("meta", {}).items():
        value = getattr(plan.meta, key)
        add(f"meta.{key}", wanted, value.isoformat() if hasattr(value, "isoformat") else value)
    if "round_kind" in expect:
        add("round_kind", expect["round_kind"], round_kind(plan))
    for key, wanted in expect.get("stated", {}).items():
        add(f"stated.{key}", wanted, getattr(plan.stated, key))
    return checks


def main(argv: list[str]) -> int:
    known = known_failures()
    total = passed = 0
    for doc in argv or documents():
        for check in checks_for(doc):
            total += 1
            passed += check.ok
            if not check.ok:
                tag = "known" if check.key in known else "FAIL"
                print(f"{tag:5} {check.key}: expected {check.expected!r}, got {check.actual!r}")
    print(f"{passed}/{total} checks pass")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    raise SystemExit(main(sys.argv[1:]))
