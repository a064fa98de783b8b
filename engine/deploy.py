"""Deploying diagrams as versioned process definitions.

Same content (by SHA-256) is a no-op; changed content becomes a new version;
running instances keep the version they started on. A diagram that
SpiffWorkflow or the script sandbox rejects never reaches the database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .audit import record
from .errors import DeployError
from .models import ProcessDefinition
from .properties import EXPRESSION_PROPERTIES
from .sandbox import ScriptRejected, check_expression
from .script_env import validate_process_specs
from .serialization import StateSerializer

MAX_DIAGRAM_BYTES = 5 * 1024 * 1024


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


def parse_diagram(content: bytes, source_name: str) -> ParsedDiagram:
    """Parse and validate a BPMN file; raise DeployError naming the file and the element."""
    if not content.strip():
        raise DeployError(f"{source_name}: the file is empty")
    if len(content) > MAX_DIAGRAM_BYTES:
        raise DeployError(f"{source_name}: the file is larger than {MAX_DIAGRAM_BYTES // 1024 // 1024} MB")
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_str(content, filename=source_name)
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
    except etree.XMLSyntaxError as exc:
        raise DeployError(f"{source_name}: not well-formed XML: {exc.msg} (line {exc.lineno})") from None
    except ValidationException as exc:
        raise DeployError(f"{source_name}: {_validation_message(exc)}") from None
    except SpiffWorkflowException as exc:
        raise DeployError(f"{source_name}: {_first_line(str(exc))}") from None
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        raise DeployError(f"{source_name}: the diagram cannot be read: {_first_line(str(exc))}") from None
    for pid, (spec, subs) in specs.items():
        _check_scripts(source_name, pid, spec, subs)
    return ParsedDiagram(specs=specs, names=names)


def deploy(
    session: Session, content: bytes, source_name: str, *, actor: str, at: datetime, serializer: StateSerializer
) -> list[DeployResult]:
    """Store every executable process of a diagram as a new version unless unchanged."""
    parsed = parse_diagram(content, source_name)
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


def _check_scripts(source_name: str, pid: str, spec: BpmnProcessSpec, subs: dict[str, BpmnProcessSpec]) -> None:
    all_specs = [spec, *subs.values()]
    try:
        validate_process_specs(all_specs)
    except ScriptRejected as exc:
        raise DeployError(f"{source_name}: {exc}") from None
    for process in all_specs:
        for task_spec in process.task_specs.values():
            properties = getattr(task_spec, "extensions", {}).get("properties", {})
            for name in EXPRESSION_PROPERTIES:
                if name in properties:
                    try:
                        check_expression(properties[name])
                    except ScriptRejected as exc:
                        raise DeployError(
                            f"{source_name}: property '{name}' of '{task_spec.bpmn_id}' is rejected: {exc}"
                        ) from None


def _validation_message(exc: ValidationException) -> str:
    where = []
    element = getattr(exc, "id", None) or getattr(exc, "name", None)
    if element:
        where.append(f"element '{element}'")
    line = getattr(exc, "line_number", None)
    if line:
        where.append(f"line {line}")
    message = _first_line(getattr(exc, "error_msg", None) or str(exc))
    return f"{message} ({', '.join(where)})" if where else message


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"
