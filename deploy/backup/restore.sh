#!/bin/sh
# Restores one of backup.sh's dumps into a new (or emptied) database:
#
#   restore.sh                 lists the dumps in BACKUP_DIR, newest last
#   restore.sh <dump>          restores <dump> (a path, or a name in BACKUP_DIR) into the
#                              database PGDATABASE names, on PGHOST as PGUSER
#
# The database is created when it does not exist; one that holds any table is refused, so
# a restore never mixes with live data. The restore is one transaction: it lands whole or
# not at all. Objects are owned by PGUSER and keep no grants (--no-owner --no-acl), so a
# dump restores into another server with other roles. Afterwards, check the restored
# ledger with Plaudit's `ledger:verify` against this database before pointing Plaudit at it.
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
TARGET=${PGDATABASE:?set PGDATABASE to the database to restore into (a new name is created)}

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

if [ $# -eq 0 ]; then
  ls -1tr -- "$BACKUP_DIR" | grep '\.dump$' || echo "no dumps in $BACKUP_DIR" >&2
  exit 0
fi
case $1 in
  */*) dump=$1 ;;
  *) dump="$BACKUP_DIR/$1" ;;
esac
[ -f "$dump" ] || { echo "$(now) restore: no dump at $dump" >&2; exit 66; }
pg_restore --list "$dump" >/dev/null || {
  echo "$(now) restore: $dump is not a dump pg_restore can read" >&2
  exit 65
}

# psql against the server's maintenance database (postgres), quietly, stopping on errors.
on_server() { PGDATABASE=postgres psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# Variables reach SQL quoted by psql itself (:'name', :"name"), read from stdin: -c
# would not interpolate them.
exists=$(echo "select 1 from pg_database where datname = :'name'" | on_server -v name="$TARGET")
if [ "$exists" = 1 ]; then
  tables=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -c "select count(*) from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname not like 'pg_toast%'" </dev/null)
  if [ "$tables" != 0 ]; then
    echo "$(now) restore: database $TARGET already holds $tables tables; restore into a new database name, or drop and recreate this one first" >&2
    exit 73
  fi
else
  echo 'create database :"name"' | on_server -v name="$TARGET"
fi

pg_restore --single-transaction --exit-on-error --no-owner --no-acl \
  --dbname="$TARGET" "$dump"
echo "$(now) restore: ok: $dump into database $TARGET on ${PGHOST:-localhost}; now run ledger:verify against it"
