"""Deploying diagrams as versioned process definitions.

Same content (by SHA-256) is a no-op; changed content becomes a new version;
running instances keep the version they started on. A diagram that
SpiffWorkflow or the script sandbox rejects never reaches the database; every
refusal is one line naming the file and the element, what is wrong and what to do
instead (see :mod:`engine.deploy_checks` for what is checked on the XML,
:mod:`engine.bpmn_normalise` for how modelers' exports are made runnable,
:mod:`engine.deploy_diagnostics` for SpiffWorkflow's refusals, :mod:`engine.lane_groups`
for who may claim a task).

Checks run in this order, so the first refusal is the one to fix first: the file itself
(empty, too large, not BPMN XML); no process marked executable; ids, sizes, scripts and
expressions on the XML; references and vendor constructs on the rewritten copy; then
SpiffWorkflow's reading of each executable process; then who may claim each human task.
:func:`check_diagram` lists every problem; :func:`parse_diagram` raises with them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .audit import record
from .bpmn_normalise import Normalised, executable_problem, normalise
from .deploy_checks import check_document
from .deploy_diagnostics import spiff_problem
from .deploy_xml import BPMN_NS, file_error, load_bpmn_xml, refusal
from .errors import DeployError, DeployProblem
from .lane_groups import assign_lane_groups, lane_groups
from .models import ProcessDefinition
from .serialization import StateSerializer
from .services import ServiceRegistry, check_operators

SERVICE_HINT = "enable the service (setting SERVICES) or use one of the enabled services"
MAX_DIAGRAM_BYTES = 5 * 1024 * 1024

# Makes a fresh parser for each file: a parser keeps every diagram it was given.
ParserFactory = Callable[[], BpmnParser]
# SpiffWorkflow's own parser reads the ``spiffworkflow:properties`` the engine relies on.
default_parser: ParserFactory = SpiffBpmnParser


@dataclass(frozen=True)
class DeployResult:
    """What happened to one process of a deployed file."""

    definition: ProcessDefinition
    created: bool


@dataclass(frozen=True)
class ParsedDiagram:
    """The executable processes of one diagram, validated."""

    specs: dict[str, tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]]
    names: dict[str, str | None]


def parse_diagram(content: bytes, source_name: str, parser_factory: ParserFactory = default_parser,
                  services: ServiceRegistry | None = None) -> ParsedDiagram:
    """Parse and validate a BPMN file; raise DeployError naming the file and the element.

    The XML is parsed once with a hardened parser and checked element by element (reserved
    and duplicate ids, column sizes, every script and expression) before SpiffWorkflow reads
    a rewritten copy of it (:mod:`engine.bpmn_normalise`), so nothing SpiffWorkflow would drop
    escapes the checks. The error's message is the most important problem; ``problems`` lists all.
    With ``services``, every service task's operator must be one of them (with the parameters it takes).
    """
    parsed, problems = _analyse(content, source_name, parser_factory, services)
    if problems or parsed is None:
        first = problems[0] if problems else DeployProblem(f"{source_name}: the diagram cannot be read")
        raise DeployError(first.message, problems)
    return parsed


def check_diagram(content: bytes, source_name: str, parser_factory: ParserFactory = default_parser,
                  services: ServiceRegistry | None = None) -> list[DeployProblem]:
    """Every problem that keeps a diagram from deploying (none: it deploys), most important first.

    Each names the file, the element (id, BPMN type, name, line), what is wrong and a hint.
    Nothing is written anywhere.
    """
    return _analyse(content, source_name, parser_factory, services)[1]


def _analyse(content: bytes, source_name: str, parser_factory: ParserFactory, services: ServiceRegistry | None
             ) -> tuple[ParsedDiagram | None, list[DeployProblem]]:
    if not content.strip():
        return None, list(file_error(source_name, "the file is empty", "export the diagram again").problems)
    if len(content) > MAX_DIAGRAM_BYTES:
        return None, list(file_error(source_name, f"the file is larger than {MAX_DIAGRAM_BYTES // 1024 // 1024} MB",
                                     "split the diagram into several files").problems)
    try:
        root = load_bpmn_xml(content, source_name)
    except DeployError as exc:
        return None, list(exc.problems or (DeployProblem(str(exc), file=source_name),))
    problems: list[DeployProblem] = []
    not_executable = executable_problem(root, source_name)
    if not_executable is not None:
        problems.append(not_executable)
    try:
        elements = check_document(root, source_name)
    except DeployError as exc:
        problems.extend(exc.problems)
        elements = {str(e.get("id")): e for e in root.iter(f"{{{BPMN_NS}}}*") if e.get("id")}
    if not_executable is not None or any(p.message.startswith(f"{source_name}: element id ") for p in problems):
        return None, problems  # nothing to run, or ids SpiffWorkflow would confuse
    normalised = normalise(root, source_name)
    problems.extend(normalised.problems)
    for task, message in check_operators(root, services) if services is not None else []:
        problems.append(refusal(source_name, task, message, SERVICE_HINT))
    if problems:
        return None, problems
    return _read(normalised, source_name, parser_factory, elements)


def _read(normalised: Normalised, source_name: str, parser_factory: ParserFactory,
          elements: dict[str, etree._Element]) -> tuple[ParsedDiagram | None, list[DeployProblem]]:
    """Let SpiffWorkflow read the rewritten copy, process by process, collecting what it refuses."""
    problems: list[DeployProblem] = []
    parser = parser_factory()
    try:
        parser.add_bpmn_xml(normalised.root, filename=source_name)
    except _SPIFF_ERRORS as exc:
        return None, [spiff_problem(exc, source_name, elements, normalised.origins)]
    specs = {}
    names = {}
    for pid in normalised.process_ids:
        try:
            specs[pid] = (parser.get_spec(pid), parser.get_subprocess_specs(pid))
            names[pid] = parser.get_process_parser(pid).get_name()
        except _SPIFF_ERRORS as exc:
            problems.append(spiff_problem(exc, source_name, elements, normalised.origins))
    # Every script and expression was checked on the XML (check_document), which also sees
    # what SpiffWorkflow dropped; the parsed specs add nothing to check.
    groups = lane_groups(normalised.root)
    for spec, subs in specs.values():
        try:
            assign_lane_groups([spec, *subs.values()], groups, elements, source_name)
        except DeployError as exc:
            problems.extend(exc.problems)
    if problems:
        return None, problems
    return ParsedDiagram(specs=specs, names=names), []


def deploy(
    session: Session,
    content: bytes,
    source_name: str,
    *,
    actor: str,
    at: datetime,
    serializer: StateSerializer,
    parser_factory: ParserFactory = default_parser,
    services: ServiceRegistry | None = None,
) -> list[DeployResult]:
    """Store every executable process of a diagram as a new version unless unchanged."""
    parsed = parse_diagram(content, source_name, parser_factory, services)
    digest = hashlib.sha256(content).hexdigest()
    results = []
    for pid, (spec, subs) in parsed.specs.items():
        existing = session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.process_key == pid, ProcessDefinition.content_hash == digest
            )
        )
        if existing is not None:
            results.append(DeployResult(existing, created=False))
            continue
        latest = session.scalar(
            select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == pid)
        )
        definition = ProcessDefinition(
            process_key=pid,
            name=parsed.names[pid],
            version=(latest or 0) + 1,
            content_hash=digest,
            source_name=source_name,
            bpmn_xml=content.decode("utf-8"),
            specs=serializer.specs_to_dict(spec, subs),
            deployed_at=at,
            deployed_by=actor,
        )
        session.add(definition)
        session.flush()
        record(session, at=at, actor=actor, action="deploy", bpmn_id=pid,
               detail={"version": definition.version, "source": source_name, "sha256": digest})
        results.append(DeployResult(definition, created=True))
    return results


def deploy_path(session: Session, path: Path, **kwargs) -> list[DeployResult]:  # type: ignore[no-untyped-def]
    """Deploy one ``.bpmn`` file from disk."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise DeployError(f"{path}: cannot read the file: {exc.strerror}") from None
    return deploy(session, content, path.name, **kwargs)


_SPIFF_ERRORS = (SpiffWorkflowException, RecursionError, ValueError, KeyError, AttributeError, TypeError,
                 IndexError)
