#!/usr/bin/env python3
"""Check compiled GCP IAM bindings with Google's own implementations.

stdin:  {"cases": [{"binding": {role, members, condition{...}}, "instants": [RFC 3339, ...]}]}
stdout: {"results": [{"error": null | "<why>", "decisions": [true, false, ...]}, ...]}

For each binding:
- it is loaded, in an IAM policy of version 3, into the official
  `google.iam.v1.Policy` protobuf (`json_format.ParseDict`, unknown fields
  rejected);
- its condition's expression is compiled by Google's C++ CEL engine
  (`cel_expr_python`) with `request` declared as
  `google.rpc.context.AttributeContext.Request`, so it is type-checked and
  must return a bool;
- it is evaluated with `request.time` at each instant.
A failure is reported per case, not by exiting.
"""
import json
import sys

from cel_expr_python import cel
from google.iam.v1 import policy_pb2
from google.protobuf import json_format
from google.rpc.context import attribute_context_pb2

ENV = cel.NewEnv(variables={"request": cel.Type("google.rpc.context.AttributeContext.Request")})


def check(case):
    binding = case["binding"]
    try:
        json_format.ParseDict({"version": 3, "bindings": [binding]}, policy_pb2.Policy())
    except json_format.ParseError as e:
        return {"error": f"not an IAM Policy binding: {e}", "decisions": []}
    try:
        expr = ENV.compile(binding["condition"]["expression"])
    except Exception as e:  # the engine raises RuntimeError with the type-check message
        return {"error": f"CEL does not type-check: {e}", "decisions": []}
    if expr.return_type() != cel.Type.BOOL:
        return {"error": f"CEL returns {expr.return_type().name()}, not bool", "decisions": []}
    request = attribute_context_pb2.AttributeContext.Request()
    decisions = []
    for instant in case["instants"]:
        request.time.FromJsonString(instant)
        value = expr.eval(data={"request": request}).value()
        if not isinstance(value, bool):
            return {"error": f"CEL evaluated to {value!r} at {instant}", "decisions": []}
        decisions.append(value)
    return {"error": None, "decisions": decisions}


def main():
    cases = json.load(sys.stdin)["cases"]
    json.dump({"results": [check(c) for c in cases]}, sys.stdout)


if __name__ == "__main__":
    main()
