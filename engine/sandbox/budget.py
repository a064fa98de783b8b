"""Budgets of one sandboxed run: evaluation steps, work, and the size of the data it builds.

Sizes count what a value *reaches*, the way it is saved: task data is serialised as JSON, which
writes a shared value out once per reference.  The **weight** of one reference is

* a string: its length (at least 1); an integer: a third of its bits (about its decimal digits); a
  float likewise by its exponent; any other scalar: 1;
* a container: 1 + its **content**, the sum of the weights of the references it holds (keys and
  values of a dict).

So ``[a] * 1000`` with ``a = [0] * 100`` has a content of 101,000, and a flat list or a string of
``MAX_SIZE`` items is exactly at the limit.  Every value a script builds must have a content of at
most :data:`MAX_SIZE`, and so must the variables it assigned, together, at the end of the run.

The content of a container, once measured, is memoised by id for the run (the entry holds the object,
so its id cannot be reused); measuring a container measures everything it reaches, and each list,
dict or tuple inside records its holders with the number of references.  A change in place to a
measured container (``append``, ``d[k] = v``, ``pop`` ...) is accounted *before* it is made and
propagated to every holder, times the number of references, each checked against the limit: a
cached size never undercounts, and appending one item to a list that a measured value references a
million times is refused at once.  A container that gains a list, dict or tuple is measured first,
so it becomes a holder; what is added in place to other containers is charged as work
(:meth:`_Budget.walk`).  No container is ever inside itself (every change that adds a reference
refuses that first), so propagation ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any

from .errors import ScriptError
from .library import MAX_INT_BITS, MAX_SIZE, MAX_STEPS, MAX_WORK

_SIZED_RESULT_TYPES = (str, list, tuple, dict, set, frozenset)
_CONTAINERS = (list, tuple, dict, set, frozenset)
# Containers whose content can change after they are measured: lists and dicts in place, tuples
# through the lists and dicts they hold.  Sets hold only hashable (immutable) values.
_CHANGING = (list, dict, tuple)
# Tuples and sets this small and holding no container are weighed without being memoised (the pairs
# of ``enumerate``, ``zip`` and ``items``); longer runs of items are first tried at C speed.
_SMALL = 16
_RECENT = 8  # how many long containers holding no container :attr:`_Budget.recent` remembers
_UNIT_KINDS = frozenset({bool, type(None), date, datetime, timedelta})
_INT_KINDS = frozenset({int, bool})
_NONE: list[Any] = []  # default of account(): never changed


def _too_large(content: int) -> ScriptError:
    return ScriptError(f"value too large ({content} elements and characters, limit {MAX_SIZE})")


def _flat_content(items: Any) -> int | None:
    """Content of ``items`` (a sequence, set or dict view) if it holds only strings, small integers
    or other scalars of weight 1, computed without a Python loop; ``None`` otherwise."""
    kinds = set(map(type, items))
    if kinds <= _INT_KINDS:
        return len(items) if not items or max(map(int.bit_length, items)) < 6 else None
    if kinds == {str}:
        empty = items.count("") if isinstance(items, list | tuple) else int("" in items)
        return sum(map(len, items)) + empty
    if kinds <= _UNIT_KINDS:
        return len(items)
    return None


def _holds_changing(items: list[Any]) -> bool:
    if len(items) > _SMALL:
        return any(issubclass(kind, _CHANGING) for kind in set(map(type, items)))
    for item in items:
        if isinstance(item, _CHANGING):
            return True
    return False


def _quick_content(value: Any) -> int | None:
    """:func:`_flat_content` of a long container (keys and values of a dict), else ``None``."""
    if len(value) <= _SMALL:
        return None
    if not isinstance(value, dict):
        return _flat_content(value)
    keys = _flat_content(value.keys())
    values = _flat_content(value.values()) if keys is not None else None
    return None if values is None or keys is None else keys + values


def _children(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        return chain.from_iterable(value.items())
    return iter(value)


class _Budget:
    """Step, work and size budgets of one run (the base of the interpreter, which sets them up)."""

    steps: int
    work: int
    # id -> [container, content]; holding the container keeps its id unique for the run.
    contents: dict[int, list[Any]]
    # id of a measured list/dict/tuple -> {id of a measured holder: number of references}
    holders: dict[int, dict[int, int]]
    # id -> [container, content] of the latest long containers found to hold no container, so the
    # operand of the next ``acc = acc + [x]`` (the last result) costs nothing to weigh.  Unlike
    # ``contents`` they need no holders (nothing inside can grow); a change in place forgets one.
    recent: dict[int, list[Any]]

    # -- steps and work ----------------------------------------------------------------------------

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ScriptError(f"step limit exceeded ({MAX_STEPS} evaluation steps)")

    def charge(self, amount: int) -> None:
        self.work += amount
        if self.work > MAX_WORK:
            raise ScriptError(f"work limit exceeded ({MAX_WORK} element operations)")

    def walk(self, roots: Iterable[Any], *, avoid: object | None = None, cap: int | None = None) -> int:
        """Charge the deep size of ``roots`` (counting shared objects every time, like Python's own
        traversals do).  Stops as soon as the budget is exhausted, so it never runs away on shared or
        cyclic structures.  ``avoid`` must not occur inside ``roots`` (no container inside itself)."""
        limit = MAX_WORK - self.work
        if cap is not None:
            limit = min(limit, cap)
        total = 0
        stack = list(roots)
        while stack:
            value = stack.pop()
            if avoid is not None and value is avoid:
                raise ScriptError("a container cannot be stored inside itself")
            kind = type(value)
            if kind is str:
                total += 1 + len(value)
            elif kind is int:
                total += 1 + value.bit_length() // 64
            elif isinstance(value, list | tuple | set | frozenset):
                total += 1 + len(value)
                if total <= limit:
                    stack.extend(value)
            elif isinstance(value, dict):
                total += 1 + 2 * len(value)
                if total <= limit:
                    stack.extend(value.keys())
                    stack.extend(value.values())
            elif isinstance(value, range):
                total += 1 + len(value)
            else:
                total += 1
            if total > limit:
                if cap is not None and total > cap:
                    raise ScriptError(f"value too large (limit {cap})")
                self.charge(total)
        self.charge(total)
        return total

    def charge_key(self, key: Any) -> None:
        """Hashing a tuple walks its elements."""
        if isinstance(key, tuple | frozenset):
            self.walk([key])

    def check_length(self, length: int) -> None:
        if length > MAX_SIZE:
            raise ScriptError(f"result too large ({length} items, limit {MAX_SIZE})")

    def check_size(self, value: Any, *, charge: bool = True, content: bool = True) -> Any:
        """Check a value an operation returned: its length, its content (unless the caller checked
        it before building the value) and the size of an integer; charge its length as work."""
        if isinstance(value, _SIZED_RESULT_TYPES):
            size = len(value)
            if size > MAX_SIZE:
                raise ScriptError(f"result too large ({size} items, limit {MAX_SIZE})")
            if charge:
                self.charge(size)
            if content and not isinstance(value, str):
                self.check_content(self.content_of(value))
        elif type(value) is int and value.bit_length() > MAX_INT_BITS:
            raise ScriptError(f"integer too large (limit {MAX_INT_BITS} bits)")
        return value

    # -- sizes -------------------------------------------------------------------------------------

    @staticmethod
    def check_content(content: int) -> None:
        if content > MAX_SIZE:
            raise _too_large(content)

    def weight(self, value: Any) -> int:
        """Elements and characters one reference to ``value`` adds to what holds it."""
        kind = type(value)
        if kind is str:
            return len(value) or 1
        if kind is int or kind is bool:
            return value.bit_length() // 3 or 1
        if kind is list or kind is dict:
            entry = self.contents.get(id(value))
            return 1 + (entry[1] if entry is not None else self.measure(value))
        if kind is float:
            return max(1, math.frexp(value)[1] // 3)
        if isinstance(value, _CONTAINERS):
            entry = self.contents.get(id(value))
            if entry is not None:
                return 1 + int(entry[1])
            if len(value) <= _SMALL and not isinstance(value, dict | list):
                flat = self._scalar_content(value)
                if flat is not None:
                    return 1 + flat
            return 1 + self.measure(value)
        if isinstance(value, str):
            return len(value) or 1
        if isinstance(value, int):
            return value.bit_length() // 3 or 1
        if isinstance(value, range):
            return 1 + len(value)
        return 1

    def _scalar_content(self, items: Iterable[Any]) -> int | None:
        total = 0
        for item in items:
            if isinstance(item, _CONTAINERS):
                return None
            total += self.weight(item)
        return total

    def content_of(self, value: Any) -> int:
        """Content of a container (memoised if it was measured; otherwise summed, not memoised)."""
        entry = self.contents.get(id(value)) or self.recent.get(id(value))
        if entry is not None:
            return int(entry[1])
        if len(value) > _SMALL:
            quick = _quick_content(value)
            if quick is not None:
                self._remember(value, quick)
                return quick
        weight = self.weight
        total = 0
        for item in _children(value):
            kind = type(item)
            if kind is str:
                total += len(item) or 1
            elif kind is int:
                total += item.bit_length() // 3 or 1
            else:
                total += weight(item)
        return total

    def _remember(self, value: Any, content: int) -> None:
        recent = self.recent
        if len(recent) >= _RECENT:
            del recent[next(iter(recent))]
        recent[id(value)] = [value, content]

    def remember_if_flat(self, result: Any, content: int, *operands: Any) -> None:
        """Remember the content of a long list or tuple built from operands holding no container."""
        if len(result) > _SMALL and all(
            id(operand) in self.recent or (len(operand) <= _SMALL and self._scalar_content(operand) is not None)
            for operand in operands
        ):
            self._remember(result, content)

    def measure(self, root: Any) -> int:
        """Content of the container ``root``, memoised with everything it reaches (iteratively, so
        deep data cannot exhaust the Python stack); every node visited is charged as work."""
        contents, weight, link = self.contents, self.weight, self._link
        entry = contents.get(id(root))
        if entry is not None:
            return int(entry[1])
        quick = _quick_content(root) if len(root) > _SMALL else self._scalar_content(_children(root))
        if quick is not None:  # no container inside: nothing to link
            contents[id(root)] = [root, quick]
            return quick
        remaining = MAX_WORK - self.work
        visited = 0
        open_ids = {id(root)}
        stack: list[list[Any]] = [[root, _children(root), 0]]
        while stack:
            frame = stack[-1]
            node = frame[0]
            for child in frame[1]:
                visited += 1
                if not isinstance(child, _CONTAINERS):
                    frame[2] += weight(child)
                    continue
                known = contents.get(id(child))
                if known is None and (quick := _quick_content(child)) is not None:
                    known = contents[id(child)] = [child, quick]
                if known is None:
                    if id(child) in open_ids:
                        raise ScriptError("a container cannot be stored inside itself")
                    open_ids.add(id(child))
                    stack.append([child, _children(child), 0])
                    break
                frame[2] += 1 + known[1]
                if isinstance(child, _CHANGING):
                    link(child, node)
            else:
                stack.pop()
                contents[id(node)] = [node, frame[2]]
                open_ids.discard(id(node))
                if stack:
                    stack[-1][2] += 1 + frame[2]
                    if isinstance(node, _CHANGING):
                        link(node, stack[-1][0])
            if visited > remaining:
                self.charge(visited)
        self.charge(visited)
        return int(contents[id(root)][1])

    def _link(self, child: Any, holder: Any) -> None:
        holders = self.holders.get(id(child))
        if holders is None:
            self.holders[id(child)] = {id(holder): 1}
        else:
            holders[id(holder)] = holders.get(id(holder), 0) + 1

    def _unlink(self, child: Any, holder: Any) -> None:
        holders = self.holders.get(id(child))
        if holders is not None and id(holder) in holders:
            holders[id(holder)] -= 1
            if not holders[id(holder)]:
                del holders[id(holder)]

    def account(self, container: Any, added: list[Any] = _NONE, removed: list[Any] = _NONE) -> None:
        """Account for references ``container`` is about to gain (``added``) and lose (``removed``)
        in place: its content and that of every measured value holding it must stay within
        :data:`MAX_SIZE`.  Call it after the checks that refuse a container inside itself."""
        self.recent.pop(id(container), None)
        if id(container) not in self.contents:
            # Nothing measured holds it (what a measured value reaches is measured), so there is no
            # cached size to update; it must be measured only to hold a list, dict or tuple whose
            # later growth has to reach it.  Scalars added meanwhile are charged as work by walk().
            if not _holds_changing(added):
                return
            self.measure(container)
        quick = _flat_content(added) if len(added) > _SMALL else None
        delta = 0 if quick is None else quick
        for value in (added if quick is None else ()):
            delta += self.weight(value)
            if isinstance(value, _CHANGING) and id(value) in self.contents:
                self._link(value, container)
        for value in removed:
            delta -= self.weight(value)
            if isinstance(value, _CHANGING):
                self._unlink(value, container)
        if delta:
            self._grow(id(container), delta)

    def _grow(self, start: int, delta: int) -> None:
        contents, holders = self.contents, self.holders
        pending = [(start, delta)]
        while pending:
            key, change = pending.pop()
            entry = contents.get(key)
            if entry is None:  # pragma: no cover - holders are always measured
                continue
            entry[1] += change
            if change > 0 and entry[1] > MAX_SIZE:
                raise _too_large(entry[1])
            above = holders.get(key)
            if above:
                self.charge(len(above))
                pending.extend((holder, change * count) for holder, count in above.items())
