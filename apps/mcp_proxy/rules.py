"""CEL conditions of tool rules: compile (with the error's position), cache, evaluate.

The engine is `common-expression-language` (Rust bindings, `import cel`), chosen by benchmarks/cel.py.
A compiled program is cached by its condition text, so a call never parses a condition.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cel

# The engine's parse errors read "... ERROR: <input>:LINE:COLUMN: Syntax error: explanation\n| source\n| ...^".
_PARSE_ERROR = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
VARIABLES = ("args", "tool", "server", "user", "now", "hour", "weekday")


class ConditionInvalid(ValueError):
    """A condition that does not compile; `line` and `column` (1-based) point at the problem when known."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class ConditionFailed(Exception):
    """A condition that raised while evaluated, or gave something other than true or false."""


@dataclass(frozen=True)
class Activation:
    """The variables a condition sees for one call."""

    args: dict[str, Any]
    tool: str
    server: dict[str, str]
    user: dict[str, str]
    now: dt.datetime

    def as_variables(self) -> dict[str, Any]:
        return {"args": self.args, "tool": self.tool, "server": self.server, "user": self.user, "now": self.now,
                "hour": self.now.hour, "weekday": self.now.isoweekday() % 7}  # fmt: skip


def _invalid(error: ValueError) -> ConditionInvalid:
    text = str(error)
    found = _PARSE_ERROR.search(text)
    if not found:
        return ConditionInvalid(text.splitlines()[0] if text else "The condition is not valid CEL.")
    line, column = int(found.group(1)), int(found.group(2))
    explanation = found.group(3).removeprefix("Syntax error:").strip() or "syntax error"
    return ConditionInvalid(f"Syntax error at line {line}, column {column}: {explanation}", line=line, column=column)


@lru_cache(maxsize=4096)
def condition_compile(condition: str) -> cel.Program:
    """The compiled program of `condition` (cached by its text); raises ConditionInvalid."""
    if not condition.strip():
        raise ConditionInvalid("A condition is required, e.g. args.amount > 1000.", line=1, column=1)
    try:
        return cel.compile(condition)
    except ValueError as error:
        raise _invalid(error) from None


def condition_check(condition: str) -> ConditionInvalid | None:
    """None when `condition` compiles, else what is wrong with it and where."""
    try:
        condition_compile(condition)
    except ConditionInvalid as invalid:
        return invalid
    return None


def condition_matches(condition: str, activation: Activation) -> bool:
    """Evaluate `condition` for one call; raises ConditionFailed when it errs or is not a bool."""
    try:
        program = condition_compile(condition)
        result = program.execute(activation.as_variables())
    except ConditionInvalid as invalid:  # saved before validation existed, or edited in the database
        raise ConditionFailed(invalid.message) from None
    except KeyError as error:
        raise ConditionFailed(f"no such key: {error}") from None
    except Exception as error:  # the engine raises TypeError, RuntimeError, ValueError…: all mean "cannot decide"
        raise ConditionFailed(str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    except BaseException as error:
        # A panic inside the Rust engine surfaces as pyo3's PanicException, a BaseException: still "cannot decide".
        if type(error).__name__ != "PanicException":
            raise
        raise ConditionFailed(f"the CEL engine failed: {error}") from None
    if not isinstance(result, bool):
        raise ConditionFailed(f"it gave {result!r}, not true or false")
    return result
