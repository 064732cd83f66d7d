#!/usr/bin/env python3
"""Check compiled Azure PIM requests with Azure's own model.

stdin:  {"cases": [{"request": {"properties": {...}}, "instants": [RFC 3339, ...]}]}
stdout: {"results": [{"error": null | "<why>", "decisions": [true, false, ...]}, ...]}

Each request body goes through `azure-mgmt-authorization`'s
`RoleAssignmentScheduleRequest` (api-version 2020-10-01): deserialized and
serialized again, it must come back with nothing lost or renamed (times
compared as instants). The schedule the model read then decides each
instant: assigned from `startDateTime` until `expiration.endDateTime`
(`AfterDateTime`); any other expiration type is an error, since jit never
writes `NoExpiration`.
"""
import datetime
import json
import sys

from azure.mgmt.authorization.v2020_10_01.models import RoleAssignmentScheduleRequest


def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def normal(value):
    """Times as instants, so `...00Z` and `...00.000Z` compare equal."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, str):
        try:
            if "T" in value and value[:4].isdigit():
                return instant(value)
        except ValueError:
            pass
    return value


def check(case):
    body = case["request"]
    try:
        model = RoleAssignmentScheduleRequest.deserialize(body)
    except Exception as e:
        return {"error": f"the model refuses the body: {e}", "decisions": []}
    again = model.serialize()
    if normal(again) != normal(body):
        return {"error": f"the model changes the body: {json.dumps(body)} -> {json.dumps(again)}", "decisions": []}
    schedule = model.schedule_info
    expiration = schedule.expiration if schedule else None
    if not schedule or not schedule.start_date_time or not expiration or expiration.type != "AfterDateTime":
        return {"error": "the schedule has no start or no AfterDateTime expiration", "decisions": []}
    start, end = schedule.start_date_time, expiration.end_date_time
    decisions = [start <= instant(t) < end for t in case["instants"]]
    return {"error": None, "decisions": decisions}


def main():
    cases = json.load(sys.stdin)["cases"]
    json.dump({"results": [check(c) for c in cases]}, sys.stdout, default=str)


if __name__ == "__main__":
    main()
