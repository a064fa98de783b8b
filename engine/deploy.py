"""Deploying diagrams as versioned process definitions.

Same content (by SHA-256) is a no-op; changed content becomes a new version;
running instances keep the version they started on. A diagram that
SpiffWorkflow or the script sandbox rejects never reaches the database; every
refusal is one line naming the file and the element (see :mod:`engine.deploy_checks`
for what is checked on the XML, :mod:`engine.lane_groups` for who may claim a task).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .audit import record
from .deploy_checks import check_document
from .deploy_xml import clip, describe, load_bpmn_xml
from .errors import DeployError
from .lane_groups import assign_lane_groups, lane_groups
from .models import ProcessDefinition
from .serialization import StateSerializer

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


def parse_diagram(content: bytes, source_name: str, parser_factory: ParserFactory = default_parser) -> ParsedDiagram:
    """Parse and validate a BPMN file; raise DeployError naming the file and the element.

    The XML is parsed once with a hardened parser and checked element by element (reserved
    and duplicate ids, column sizes, every script and expression) before SpiffWorkflow reads
    it, so nothing SpiffWorkflow would drop escapes the checks.
    """
    if not content.strip():
        raise DeployError(f"{source_name}: the file is empty")
    if len(content) > MAX_DIAGRAM_BYTES:
        raise DeployError(f"{source_name}: the file is larger than {MAX_DIAGRAM_BYTES // 1024 // 1024} MB")
    root = load_bpmn_xml(content, source_name)
    elements = check_document(root, source_name)
    parser = parser_factory()
    try:
        parser.add_bpmn_xml(root, filename=source_name)
        process_ids = parser.get_process_ids()
        if not process_ids:
            raise DeployError(f"{source_name}: no executable process (isExecutable=\"true\") in the file")
        specs = {}
        names = {}
        for pid in process_ids:
            specs[pid] = (parser.get_spec(pid), parser.get_subprocess_specs(pid))
            names[pid] = parser.get_process_parser(pid).get_name()
    except DeployError:
        raise
    except ValidationException as exc:
        raise DeployError(f"{source_name}: {_validation_message(exc, elements)}") from None
    except SpiffWorkflowException as exc:
        raise DeployError(f"{source_name}: {_readable(str(exc))}") from None
    except RecursionError:
        raise DeployError(f"{source_name}: the chain of elements is too long to read; split the process") from None
    except (ValueError, KeyError, AttributeError, TypeError, IndexError) as exc:
        raise DeployError(f"{source_name}: the diagram cannot be read: {_readable(str(exc))}") from None
    # Every script and expression was checked on the XML above (check_document), which
    # also sees what SpiffWorkflow dropped; the parsed specs add nothing to check.
    groups = lane_groups(root)
    for spec, subs in specs.values():
        assign_lane_groups([spec, *subs.values()], groups, elements, source_name)
    return ParsedDiagram(specs=specs, names=names)


def deploy(
    session: Session,
    content: bytes,
    source_name: str,
    *,
    actor: str,
    at: datetime,
    serializer: StateSerializer,
    parser_factory: ParserFactory = default_parser,
) -> list[DeployResult]:
    """Store every executable process of a diagram as a new version unless unchanged."""
    parsed = parse_diagram(content, source_name, parser_factory)
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


def _validation_message(exc: ValidationException, elements: dict[str, etree._Element]) -> str:
    message = _readable(str(exc.args[0]) if exc.args else str(exc))
    element_id = str(getattr(exc, "id", None) or "")
    if element_id in elements:
        return f"element {describe(elements[element_id])}: {message}"
    return f"element '{clip(element_id)}': {message}" if element_id else message


# SpiffWorkflow wraps unexpected errors as ValidationException("%r" % ex) and sometimes puts an
# lxml element's repr in a message; neither means anything to a user.
_EXCEPTION_REPR = re.compile(r"^\s*[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\(")
_ELEMENT_REPR = re.compile(r"<Element \{[^{}<>]{0,300}\}(\w{1,100}) at 0x[0-9a-fA-F]+>")
_OBJECT_REPR = re.compile(r"<[^<>\n]{0,300}? at 0x[0-9a-fA-F]+>")


def _readable(text: str) -> str:
    """One short line for a user: never a traceback, never a Python repr."""
    if _EXCEPTION_REPR.match(text):
        if text.lstrip().startswith("RecursionError("):
            return "the chain of elements is too long to read; split the process"
        return "SpiffWorkflow cannot read this element; check it in the modeler"
    text = _OBJECT_REPR.sub("an object", _ELEMENT_REPR.sub(r"<\1>", text))
    lines = text.strip().splitlines()
    return clip(lines[0], 300).rstrip(". ") if lines else "unknown error"
