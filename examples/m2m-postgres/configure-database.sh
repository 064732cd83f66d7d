#!/usr/bin/env bash
# Point OpenBao's database secrets engine at PostgreSQL and define the
# `reporting` role whose credentials the workload reads just in time.
# Run once by an OpenBao and database administrator (not by the workload):
#
#   BAO_ADDR=... BAO_TOKEN=<admin token> \
#   PGHOST=... PGPORT=... PGUSER=<db admin> PGPASSWORD=... \
#   ./configure-database.sh
#
# DB_DEFAULT_TTL and DB_MAX_TTL (default 5m and 15m) are the lifetimes of a
# database user: keep DB_MAX_TTL no longer than the binding's max_session
# (jit_binding's openbao_role.token_explicit_max_ttl), so that a credential
# never outlives the session it was read in, even if OpenBao cannot reach
# PostgreSQL when the token ends. BAO is the bao (or vault) command.
set -euo pipefail
BAO="${BAO:-bao}"
: "${BAO_ADDR:?set BAO_ADDR}" "${BAO_TOKEN:?set BAO_TOKEN}"
: "${PGHOST:?set PGHOST}" "${PGPORT:?set PGPORT}" "${PGUSER:?set PGUSER}" "${PGPASSWORD:?set PGPASSWORD}"
DB_DEFAULT_TTL="${DB_DEFAULT_TTL:-5m}"
DB_MAX_TTL="${DB_MAX_TTL:-15m}"
DB_NAME="${PGDATABASE:-postgres}"

# The engine at database/ (already enabled is fine).
"$BAO" secrets enable -path=database database 2>/dev/null || "$BAO" secrets list | grep -q '^database/'

# The connection OpenBao manages users through (its password can be rotated
# with `bao write -f database/rotate-root/reporting-pg`).
"$BAO" write database/config/reporting-pg \
    plugin_name=postgresql-database-plugin \
    connection_url="postgresql://{{username}}:{{password}}@$PGHOST:$PGPORT/$DB_NAME?sslmode=disable" \
    username="$PGUSER" password="$PGPASSWORD" \
    allowed_roles=reporting \
    username_template='jit-{{.RoleName}}-{{unix_time}}-{{random 8}}' >/dev/null

# A database user per read: it may connect and read the public schema, and
# PostgreSQL itself refuses it after VALID UNTIL (the lease's end). On
# revocation its open sessions are ended too, then the user is dropped.
"$BAO" write database/roles/reporting \
    db_name=reporting-pg \
    default_ttl="$DB_DEFAULT_TTL" max_ttl="$DB_MAX_TTL" \
    creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";" \
    revocation_statements="SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}'; REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM \"{{name}}\"; DROP ROLE IF EXISTS \"{{name}}\";" >/dev/null

echo "database/roles/reporting: default_ttl=$DB_DEFAULT_TTL max_ttl=$DB_MAX_TTL"
