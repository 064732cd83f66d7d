#!/usr/bin/env python3
"""Evaluate GCP IAM Conditions style CEL expressions at given instants.

stdin:  {"cases": [{"expression": "<CEL>", "instants": ["2026-03-29T00:59:00Z", ...]}]}
stdout: {"results": [[true, false, ...], ...]}

Each expression is compiled once and evaluated with `request.time` bound to
each instant (RFC 3339 with an explicit offset). Any compile or evaluation
error, or a non-boolean result, exits 2 with a message on stderr.
"""
import datetime
import functools
import json
import logging
import re
import sys

import celpy
from celpy import celtypes

# Errors are reported by this script; keep celpy's own error log quiet.
logging.getLogger("celpy").setLevel(logging.CRITICAL)
# celpy resolves the zone name on every getHours(tz)/... call; cache it
# (halves evaluation time). Zone objects are immutable.
celtypes.TimestampType.tz_name_lookup = classmethod(
    functools.lru_cache(maxsize=None)(celtypes.TimestampType.tz_name_lookup.__func__)
)


# celpy parses timestamp("...") leniently (pendulum accepts "2026-12-01",
# naive times, ...); real CEL requires RFC 3339, so reject anything else.
TIMESTAMP_LITERAL = re.compile(r'timestamp\(\s*(?:"([^"]*)"|\'([^\']*)\')\s*\)')
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})"
)


def fail(msg):
    print(f"cel_eval: {msg}"[:2000], file=sys.stderr)
    sys.exit(2)


def describe(exc):
    # CELEvalError args are (message, cause class, cause args), possibly nested.
    return f"{type(exc).__name__}: {exc.args!r}"


def parse_instant(text):
    when = datetime.datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"instant {text!r} has no UTC offset")
    return celtypes.TimestampType(when.astimezone(datetime.timezone.utc))


def main():
    doc = json.load(sys.stdin)
    # CompiledRunner transpiles to Python: ~3x faster than the interpreter.
    env = celpy.Environment(runner_class=celpy.CompiledRunner)
    results = []
    for index, case in enumerate(doc["cases"]):
        expression = case["expression"]
        for match in TIMESTAMP_LITERAL.finditer(expression):
            literal = match.group(1) if match.group(1) is not None else match.group(2)
            if not RFC3339.fullmatch(literal):
                fail(f"case {index}: timestamp literal {literal!r} is not RFC 3339")
        try:
            program = env.program(env.compile(expression))
        except Exception as exc:
            fail(f"case {index}: cannot compile {expression!r}: {describe(exc)}")
        row = []
        for instant in case["instants"]:
            try:
                request = celtypes.MapType(
                    {celtypes.StringType("time"): parse_instant(instant)}
                )
                value = program.evaluate({"request": request})
            except Exception as exc:
                fail(f"case {index} at {instant}: {expression!r}: {describe(exc)}")
            if not isinstance(value, celtypes.BoolType):
                fail(f"case {index} at {instant}: {expression!r}: "
                     f"result is {type(value).__name__} {value!r}, not bool")
            row.append(bool(value))
        results.append(row)
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
