#!/usr/bin/env python3
"""The reporting workload: with the OpenBao token it was handed just in time
(BAO_TOKEN, from `ephemeral "jit_credential"`), read a dynamic PostgreSQL
credential from database/creds/reporting and run the report's query.

Environment: BAO_ADDR, BAO_TOKEN; PGHOST, PGPORT, PGDATABASE (optional);
REPORT_QUERY (default `SELECT 1`). Prints the database user and the
lease's lifetime, never a password or a token. Exit 1 when OpenBao refuses
the token (for example outside the grant) or the query fails.
"""
import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request


def bao(path):
    req = urllib.request.Request(
        os.environ["BAO_ADDR"].rstrip("/") + "/v1/" + path,
        headers={"X-Vault-Token": os.environ["BAO_TOKEN"]},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def main():
    try:
        issued = datetime.datetime.now(datetime.timezone.utc)
        creds = bao("database/creds/reporting")
        token = bao("auth/token/lookup-self")["data"]
    except urllib.error.HTTPError as e:
        print(f"workload: OpenBao refused: HTTP {e.code}", file=sys.stderr)
        return 1
    user, password = creds["data"]["username"], creds["data"]["password"]
    env = dict(os.environ, PGUSER=user, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
    env.pop("BAO_TOKEN", None)  # psql has no use for it
    query = os.environ.get("REPORT_QUERY", "SELECT 1")
    run = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query],
                         env=env, capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        print(f"workload: query failed: {run.stderr.strip()}", file=sys.stderr)
        return 1
    print(f"workload: {query!r} as {user} -> {run.stdout.strip()}")
    print(f"workload: lease {creds['lease_duration']}s, token until {token['expire_time']}")
    # For tests: where to record what was read (the password included, so a
    # later login attempt can show that PostgreSQL refuses it).
    record = os.environ.get("WORKLOAD_RECORD")
    if record:
        with open(record, "w") as f:
            json.dump({"username": user, "password": password, "lease_id": creds["lease_id"],
                       "lease_duration": creds["lease_duration"],
                       "issued_at": issued.isoformat(timespec="seconds").replace("+00:00", "Z"), "result": run.stdout.strip(),
                       "token_expire_time": token["expire_time"]}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
