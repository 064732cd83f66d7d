#!/usr/bin/env python3
"""Decide requests with OPA's own Go engine (`opa-golib-python-bindings`,
OPA 1.x as a shared library).

stdin:  {"modules": {"PATH": "TEXT", ...}, "data": {...}, "inputs": [CheckRequest, ...]}
stdout: {"results": [{"allow": bool, "decision": {...}} | {"error": "<why>"}, ...]}

The policy modules and the data document are loaded as OPA loads a bundle
(data merged at the root); each input is evaluated for
`data.jit.authz.allow` and `data.jit.authz.decision`. Builtin errors are
strict here, so a module that errs (a bad zone, a bad timestamp) is
reported, not read as "deny".
"""
import json
import sys

from opa_bindings import OpaEngine, OpaError


def main():
    req = json.load(sys.stdin)
    results = []
    with OpaEngine() as engine:
        for path, text in sorted(req["modules"].items()):
            engine.add_policy(path, text)
        engine.add_data(req["data"])
        for inp in req["inputs"]:
            try:
                allow = engine.eval_document("jit.authz.allow", inp)
                decision = engine.eval_document("jit.authz.decision", inp)
                results.append({"allow": allow, "decision": decision})
            except OpaError as e:
                results.append({"error": str(e)})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
