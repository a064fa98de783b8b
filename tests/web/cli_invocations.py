"""Every ``rectiflow`` command with arguments it accepts, derived from its click parameters.

The commands come from ``web.cli.commands.COMMANDS`` (groups walked down to their commands),
so a command added tomorrow is exercised by the failure tests without being listed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from web.cli.commands import COMMANDS

# Values by the parameter's name, for names whose meaning a generic value would not fit.
BY_NAME: dict[str, str] = {
    "password": "correct-horse-battery",
    "email": "someone@example.com",
    "phone": "13800000000",
    "data_text": "{}",
    "role_words": "officer",
    "role_word": "officer",
}
DATE_WORDS = ("date", "deadline", "until", "due", "now")
NUMBER_WORDS = ("number", "measure")
# Commands whose generated arguments would not be plausible; keyed by the command path.
OVERRIDES: dict[str, Callable[[Path], list[str]]] = {}


@dataclass(frozen=True)
class Invocation:
    """One command as the user types it: its path (``people add``) and its arguments."""

    path: tuple[str, ...]
    command: click.Command
    args: tuple[str, ...]

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def argv(self) -> list[str]:
        return [*self.path, *self.args]


def every_command() -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Each leaf command of the command line, with the words that reach it."""

    def walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from walk(sub, (*path, name))
        else:
            yield path, command

    for command in COMMANDS:
        assert command.name is not None
        yield from walk(command, (command.name,))


def invocations(sample: Path) -> list[Invocation]:
    """Every command with arguments: overrides where listed, else generated; ``sample`` is an existing file."""
    found = []
    for path, command in every_command():
        name = " ".join(path)
        args = OVERRIDES[name](sample) if name in OVERRIDES else generated_args(command, sample)
        found.append(Invocation(path, command, tuple(args)))
    return found


def generated_args(command: click.Command, sample: Path) -> list[str]:
    """Values for every required argument and option (and every option that would prompt)."""
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument):
            if param.required:
                args += [value_for(param, sample)] * max(param.nargs, 1)
        elif isinstance(param, click.Option) and not param.is_flag and not param.count:
            if param.required or param.prompt:
                option = max(param.opts, key=len)  # the long form
                args += [option, *[value_for(param, sample)] * max(param.nargs, 1)]
    return args


def value_for(param: click.Parameter, sample: Path) -> str:
    """A plausible value of ``param``'s type and meaning."""
    name = (param.name or "").lower()
    kind = param.type
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if isinstance(kind, click.Path | click.File):
        return str(sample)
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return "1"
    if isinstance(kind, click.types.BoolParamType):
        return "true"
    if isinstance(kind, click.DateTime) or any(word in name for word in DATE_WORDS):
        return "2026-06-30"
    if name in BY_NAME:
        return BY_NAME[name]
    if any(word in name for word in NUMBER_WORDS):
        return "1.1.1"
    return "1"
