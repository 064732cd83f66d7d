#!/usr/bin/env python3
"""Validate YAML files against a JSON Schema (Draft 2020-12).

usage: schema_validate.py [--expect-invalid] SCHEMA.json FILE.yaml...

Prints `ok PATH` or `invalid PATH: <message>` per file. Exit 1 if any file is
invalid, or with --expect-invalid if any file is valid; exit 2 on a bad schema
or an unreadable file (so a mistyped path never counts as "invalid").

YAML is read as YAML 1.2 (ruamel.yaml, safe, pure Python): yes/no/on/off stay
strings and duplicate keys are errors. Unquoted timestamps are kept as strings
(the 1.2 core schema has no timestamp type). "format" keywords are checked.
"""
import argparse
import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor


class Constructor(SafeConstructor):
    pass


Constructor.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda self, node: self.construct_scalar(node)
)


def load_yaml(path):
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = Constructor
    with open(path, encoding="utf-8") as f:
        return yaml.load(f)


def problem(validator, path):
    """Return None if the file is valid, else a one-line message."""
    try:
        document = load_yaml(path)
    except OSError:
        raise
    except Exception as exc:  # YAML syntax error, duplicate key, ...
        return f"cannot load: {type(exc).__name__}: {exc}"
    error = best_match(validator.iter_errors(document))
    if error is None:
        return None
    return f"{error.json_path}: {error.message}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-invalid", action="store_true",
                        help="every FILE must be invalid")
    parser.add_argument("schema")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    try:
        with open(args.schema, encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, SchemaError) as exc:
        print(f"schema_validate: bad schema {args.schema}: {exc}", file=sys.stderr)
        return 2
    validator = Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    )

    failed = False
    for path in args.files:
        try:
            message = problem(validator, path)
        except OSError as exc:
            print(f"schema_validate: {exc}", file=sys.stderr)
            return 2
        if message is None:
            print(f"ok {path}")
        else:
            print(f"invalid {path}: {' '.join(message.split())}")
        failed |= (message is None) if args.expect_invalid else (message is not None)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
