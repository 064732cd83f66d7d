#!/usr/bin/env python3
"""Lint AWS IAM policy documents with parliament (offline: it ships its IAM database).

usage:  parliament_check.py [--trust ROLE_ARN] POLICY.json...
stdout: {"files": {"PATH": [{"issue", "severity", "detail", "error"}]}}
exit:   1 if any finding is an error (see below), 2 on unreadable input, else 0.

--trust ROLE_ARN: the files are trust policies of that IAM role. parliament
reads identity policies only and calls a statement without Resource
MALFORMED (its source says trust policies "don't have Resource elements, so
that would break other things"); so each statement without one is linted
with the role's ARN as its Resource (what a trust policy guards), after
checking that it has a Principal and no Resource of its own.

parliament's severities are CRITICAL, HIGH, MEDIUM and LOW. Errors are every
CRITICAL/HIGH/MEDIUM finding plus the LOW issues in ERROR_ISSUES; the other LOW
ones (RESOURCE_STAR, RESOURCE_EFFECTIVELY_STAR, MISMATCHED_TYPE_BUT_USABLE)
are reported with "error": false.
"""
import json
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pkg_resources deprecation noise
    import parliament
from parliament.finding import Finding
from parliament.statement import (
    OPERATORS,
    get_global_key_type,
    translate_documentation_types,
)

ERROR_SEVERITIES = {"CRITICAL", "HIGH", "MEDIUM"}
# LOW in parliament, but a generated policy must never contain them.
ERROR_ISSUES = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX", "NO_VERSION", "OLD_VERSION", "INVALID_SID"}
OPERATOR_TYPES = {op.lower(): kind for op, kind in OPERATORS.items()}


def operator_type(operator):
    base = operator.lower().split(":")[-1]  # ForAllValues:/ForAnyValue: prefixes
    base = base[: -len("ifexists")] if base.endswith("ifexists") else base
    return base, OPERATOR_TYPES.get(base)


def global_key_findings(text):
    """parliament compares the operator's type with the key's type only for
    service keys (s3:prefix, ...); do the same for global aws:* keys, e.g.
    DateGreaterThan on aws:PrincipalTag/team or StringEquals on aws:CurrentTime."""
    try:
        policy = json.loads(text)
    except ValueError:
        return  # parliament reports MALFORMED_JSON
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for stmt in statements if isinstance(statements, list) else [statements]:
        conditions = stmt.get("Condition", {}) if isinstance(stmt, dict) else {}
        for operator, block in conditions.items() if isinstance(conditions, dict) else []:
            base, op_type = operator_type(operator)
            if op_type is None or base == "null" or not isinstance(block, dict):
                continue  # unknown operators are parliament's UNKNOWN_OPERATOR
            for key in block:
                key_type = get_global_key_type(key)
                if key_type is None:
                    continue
                key_type = translate_documentation_types(key_type)
                if key_type != op_type:
                    usable = op_type == "String" and key_type == "Arn"
                    yield Finding(
                        "MISMATCHED_TYPE_BUT_USABLE" if usable else "MISMATCHED_TYPE",
                        f"Type mismatch: {operator} compares {op_type} values "
                        f"but {key} is of type {key_type}",
                        {"string": key},
                    )


def as_identity_policy(text, role_arn):
    """A trust policy as parliament can read it, plus findings of its own."""
    problems = []
    try:
        policy = json.loads(text)
    except ValueError:
        return text, problems  # parliament reports MALFORMED_JSON
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for stmt in statements if isinstance(statements, list) else [statements]:
        if not isinstance(stmt, dict):
            continue
        if "Principal" not in stmt:
            problems.append(Finding("MALFORMED", "trust policy statement without a Principal", {}))
        if "Resource" in stmt or "NotResource" in stmt:
            problems.append(Finding("MALFORMED", "trust policy statement with a Resource", {}))
        stmt.setdefault("Resource", role_arn)
    return json.dumps(policy), problems


def check(path, trust_of=None):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    extra = []
    if trust_of:
        text, extra = as_identity_policy(text, trust_of)
    policy = parliament.analyze_policy_string(text, filepath=path, ignore_private_auditors=True)
    findings = []
    for finding in [*policy.findings, *global_key_findings(text), *extra]:
        parliament.enhance_finding(finding)  # fills in severity from parliament's config
        findings.append({
            "issue": finding.issue,
            "severity": finding.severity,
            "detail": finding.detail,
            "error": finding.severity in ERROR_SEVERITIES or finding.issue in ERROR_ISSUES,
        })
    return findings


def main(args):
    trust_of = None
    if args[:1] == ["--trust"] and len(args) >= 2:
        trust_of, args = args[1], args[2:]
    paths = args
    if not paths:
        sys.exit("usage: parliament_check.py [--trust ROLE_ARN] POLICY.json...")
    try:
        report = {path: check(path, trust_of) for path in paths}
    except OSError as exc:
        print(f"parliament_check: {exc}", file=sys.stderr)
        sys.exit(2)
    json.dump({"files": report}, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 1 if any(f["error"] for fs in report.values() for f in fs) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
