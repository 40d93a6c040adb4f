"""Choosing the CEL engine for tool rules: compile and evaluation time per condition, and error positions.

    ./start.sh bench cel                     # every candidate importable here
    ./start.sh bench cel --calls 20000       # more evaluations per condition

Needs no database (the launcher starts throw-away services anyway; this script ignores them). Candidates:
`common-expression-language` (Rust bindings, `import cel`) and `cel-python` (pure Python, `import celpy`);
one that is not installed is reported with the line that installs it. For each realistic rule condition it
measures **compile** (parse + check, cold: no cache; the median of `--compiles` runs) and **evaluate**: one
call as the pipeline makes it, building the activation from the call's Python values (args, tool, server,
user, now, hour, weekday) and running the compiled program, p50 and p99 over `--calls` calls with varying
arguments. Then it compiles broken conditions and prints the message each engine gives and whether it carries
a line and a column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This file is benchmarks/cel.py: drop its folder from the path so `import cel` finds the engine, not this script.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

CONDITIONS = {
    "amount": "args.amount > 1000",
    "delete_force": 'tool == "delete_repo" && args.force',
    "env_in": '"prod" in args.env',
    "path_etc": 'has(args.path) && args.path.startsWith("/etc")',
    "time": "now.getHours() >= 22 || now.getHours() < 6 || now.getDayOfWeek() == 0",
    "hour_int": "hour >= 22 || hour < 6 || weekday == 0",
}
BROKEN = ["args.amount > ", 'tool == "delete_repo" &&\n  args.force )', "args.env.exists(e, e = 'prod')"]
POSITION = re.compile(r"(?:line|:)\s*(\d+)\D{1,3}(\d+)")


def activation_values(rng: random.Random) -> dict[str, Any]:
    """One call's variables, as Python values: what the pipeline has at hand."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=rng.randrange(10_000))
    args = {"amount": rng.randrange(3000), "force": rng.random() < 0.5, "env": rng.sample(["prod", "dev", "qa"], 2)}
    if rng.random() < 0.5:
        args["path"] = rng.choice(["/etc/passwd", "/home/alice/notes.txt"])
    return {
        "args": args,
        "tool": rng.choice(["delete_repo", "create_issue"]),
        "server": {"id": "preloop_builtin", "name": "Preloop", "slug": "preloop"},
        "user": {"id": "5b0d4c8e-0000-4000-8000-000000000001", "email": "alice@example.com"},
        "now": now,
        "hour": now.hour,
        "weekday": (now.weekday() + 1) % 7,
    }


class RustCel:
    name = "common-expression-language"
    install = "pip install common-expression-language"

    def __init__(self) -> None:
        import cel

        self.cel = cel

    def version(self) -> str:
        from importlib.metadata import version

        return version("common-expression-language")

    def compile(self, source: str) -> Any:
        return self.cel.compile(source)

    def evaluate(self, program: Any, values: dict[str, Any]) -> Any:
        return program.execute(values)


class CelPython:
    name = "cel-python"
    install = "pip install cel-python"

    def __init__(self) -> None:
        import logging

        import celpy

        logging.getLogger("celpy").setLevel(logging.ERROR)
        self.celpy = celpy
        self.environment = celpy.Environment()

    def version(self) -> str:
        from importlib.metadata import version

        return version("cel-python")

    def compile(self, source: str) -> Any:
        return self.environment.program(self.environment.compile(source))

    def evaluate(self, program: Any, values: dict[str, Any]) -> Any:
        celtypes = self.celpy.celtypes
        activation = {
            key: celtypes.TimestampType(value) if isinstance(value, dt.datetime) else self.celpy.json_to_cel(value)
            for key, value in values.items()
        }
        return program.evaluate(activation)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter_ns()
    function()
    return (time.perf_counter_ns() - start) / 1000  # µs


def measure(engine: Any, *, calls: int, compiles: int) -> None:
    print(f"\n{engine.name} {engine.version()}")
    print(f"{'condition':<14}{'compile µs':>12}{'eval p50 µs':>13}{'eval p99 µs':>13}  result share True")
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    calls_values = [activation_values(rng) for _ in range(calls)]
    for label, source in CONDITIONS.items():
        compile_us = statistics.median(timed(lambda source=source: engine.compile(source)) for _ in range(compiles))
        program = engine.compile(source)
        for values in calls_values[:50]:  # warm-up
            engine.evaluate(program, values)
        samples, trues = [], 0
        for values in calls_values:
            start = time.perf_counter_ns()
            result = engine.evaluate(program, values)
            samples.append((time.perf_counter_ns() - start) / 1000)
            trues += bool(result)
        print(f"{label:<14}{compile_us:>12.1f}{percentile(samples, 0.5):>13.1f}{percentile(samples, 0.99):>13.1f}"
              f"  {trues / calls:.2f}")  # fmt: skip
    print("syntax errors:")
    for source in BROKEN:
        try:
            engine.compile(source)
            print(f"  {source!r}: compiled (no error)")
            continue
        except Exception as error:  # each engine has its own exception class
            where = {name: getattr(error, name) for name in ("line", "column") if hasattr(error, name)}
            message = str(error).strip().splitlines()[0][:150]
            found = where or (POSITION.search(str(error)) and POSITION.search(str(error)).groups())
            print(f"  {source!r}: position {found or 'none'}; {type(error).__name__}: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--compiles", type=int, default=200)
    options = parser.parse_args()
    print(f"{len(CONDITIONS)} conditions, {options.calls} evaluations each; times in microseconds")
    for candidate in (RustCel, CelPython):
        try:
            engine = candidate()
        except ImportError:
            print(f"\n{candidate.name}: not installed ({candidate.install})")
            continue
        measure(engine, calls=options.calls, compiles=options.compiles)


if __name__ == "__main__":
    main()
