"""What the deployment files define, read as compose and Docker read them: deploy/compose.yaml and deploy/Dockerfile.

``compose(variables)`` parses the compose file and interpolates ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}`` and ``$$`` from ``variables`` as
``docker compose`` does from the shell and ``.env`` (a required variable that is missing raises
``MissingVariable``). ``service(...)`` is one service: its command, its environment (the optional
env files, then ``environment``, which wins as in compose) and its replicas. ``dockerfile()`` splits
the Dockerfile into stages of instructions (continuation lines joined, comments dropped).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..conftest import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}"
                       r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


class MissingVariable(Exception):
    """A ``${VAR:?message}`` whose variable is not set (compose refuses to start)."""


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with compose's variable references replaced from ``variables``."""
    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("plain")
        value = variables.get(name)
        op, arg = match.group("op"), match.group("arg") or ""
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op in ("-", ":-"):
            return arg if unset else str(value)
        if op in ("?", ":?"):
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return str(value)
        return "" if value is None else value
    return _VARIABLE.sub(replace, text)


def _interpolated(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [_interpolated(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: _interpolated(value, variables) for key, value in node.items()}
    return node


def compose(variables: Mapping[str, str], path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file, parsed (anchors and ``<<`` merges resolved) and interpolated."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), f"{path} is not a mapping"
    return dict(_interpolated(loaded, variables))


@dataclass(frozen=True)
class Service:
    """One compose service as a process needs it."""

    name: str
    command: list[str]
    environment: dict[str, str]
    replicas: int
    spec: dict[str, Any] = field(repr=False)


def service(document: Mapping[str, Any], name: str, folder: Path = DEPLOY) -> Service:
    """Service ``name`` of a parsed compose ``document`` (env files relative to ``folder``)."""
    spec = document["services"][name]
    environment: dict[str, str] = {}
    for entry in _listed(spec.get("env_file")):
        path, required = (entry, True) if isinstance(entry, str) else (entry["path"], entry.get("required", True))
        file = folder / path
        if file.exists():
            environment.update(_env_file(file))
        elif required:
            raise FileNotFoundError(f"service {name}: env_file {file} is required and missing")
    declared = spec.get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) for item in declared)
    for key, value in declared.items():
        # compose refuses booleans here (they must be quoted); numbers become text.
        assert not isinstance(value, bool), f"service {name}: {key} is a YAML boolean; quote it"
        environment[key] = "" if value is None else str(value)
    command = spec.get("command")
    command = shlex.split(command) if isinstance(command, str) else list(command or [])
    replicas = int((spec.get("deploy") or {}).get("replicas", 1))
    return Service(name, command, environment, replicas, spec)


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: ``keyword`` upper-cased, ``arguments`` as written."""

    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form ENTRYPOINT/CMD (or of HEALTHCHECK's CMD)."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text[text.index("CMD") + 3:]
        value = json.loads(text.strip())
        assert isinstance(value, list) and all(isinstance(item, str) for item in value), self
        return value


def dockerfile(path: Path = DOCKERFILE) -> list[list[Instruction]]:
    """The Dockerfile's stages (the instructions before the first FROM, i.e. ARGs, form a stage of their own)."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#"):  # Docker drops comment lines, inside continued lines too
            continue
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        lines.append(pending + raw)
        pending = ""
    stages: list[list[Instruction]] = [[]]
    for line in filter(str.strip, lines):
        keyword, _, arguments = line.strip().partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def image_environment(stage: list[Instruction]) -> dict[str, str]:
    """The ``ENV key=value …`` pairs of one stage (``$PATH`` is left for the caller to expand)."""
    environment: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.arguments):
                key, _, value = pair.partition("=")
                environment[key] = value
    return environment


def only(stage: list[Instruction], keyword: str) -> Instruction:
    """The last ``keyword`` instruction of ``stage`` (the one Docker uses)."""
    found = [instruction for instruction in stage if instruction.keyword == keyword]
    assert found, f"no {keyword} in the stage"
    return found[-1]
