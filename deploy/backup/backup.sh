#!/bin/sh
# Plaudit's database backups: `pg_dump -Fc` of the database the libpq variables name
# (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) into BACKUP_DIR, one file per run.
#
#   backup.sh once       one dump, then retention; exits non-zero when the dump failed
#   backup.sh schedule   a dump now and then every BACKUP_INTERVAL_SECONDS (compose's
#                        `backup` service); a failed dump is retried sooner
#   backup.sh check      the healthcheck: fails unless the last attempt succeeded and
#                        the last success is recent
#
# Settings (environment):
#   BACKUP_DIR               where dumps go (default /backups)
#   BACKUP_INTERVAL_SECONDS  between scheduled dumps (default 86400, daily)
#   BACKUP_RETRY_SECONDS     before retrying a failed scheduled dump (default 300)
#   BACKUP_KEEP_DAYS         dumps older than this many days are removed after each
#                            successful dump; the newest dump is never removed (default 14)
#   BACKUP_LOCK_WAIT_SECONDS how long pg_dump waits for a table lock a migration holds
#                            before failing (default 60): a dump queued behind a
#                            migration's lock would hold every query of the app behind it
#
# A dump is written under a hidden temporary name and renamed once pg_dump succeeded and
# pg_restore can read it back, so a file named `<database>-<UTC time>.dump` is always
# whole (named `<database>-<UTC time>-2.dump` when a second dump comes within the same
# second). Restore with restore.sh (beside this file).
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_INTERVAL_SECONDS=${BACKUP_INTERVAL_SECONDS:-86400}
BACKUP_RETRY_SECONDS=${BACKUP_RETRY_SECONDS:-300}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
BACKUP_LOCK_WAIT_SECONDS=${BACKUP_LOCK_WAIT_SECONDS:-60}
DATABASE=${PGDATABASE:-${PGUSER:-postgres}}
STATUS_FILE="$BACKUP_DIR/.backup-status"
# A dump's time in its name, as `date -u +%Y%m%dT%H%M%SZ` writes it.
D='[0-9]'
STAMP_GLOB="$D$D$D$D$D$D$D${D}T$D$D$D$D$D${D}Z"

# Dumps hold every member's data and the sealed platform tokens: readable by their owner only.
umask 077

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { echo "$(now) backup: $*"; }
fail() { echo "$(now) backup: $*" >&2; }

whole_number() {
  case $2 in
    '' | *[!0-9]*) fail "$1 must be a whole number, not '$2'"; exit 78 ;;
  esac
}
whole_number BACKUP_INTERVAL_SECONDS "$BACKUP_INTERVAL_SECONDS"
whole_number BACKUP_RETRY_SECONDS "$BACKUP_RETRY_SECONDS"
whole_number BACKUP_KEEP_DAYS "$BACKUP_KEEP_DAYS"
whole_number BACKUP_LOCK_WAIT_SECONDS "$BACKUP_LOCK_WAIT_SECONDS"

# Removes dumps older than BACKUP_KEEP_DAYS but the newest, and temporary files a killed
# run left a day ago or more (a running dump's temporary file is younger than that).
prune() {
  newest=$1
  removed=0
  # This script's names only: a file kept by hand (plaudit-before-upgrade.dump) stays.
  for old in $(find "$BACKUP_DIR" -maxdepth 1 -type f -name "$DATABASE-$STAMP_GLOB*.dump" \
      -mmin "+$((BACKUP_KEEP_DAYS * 1440))"); do
    [ "$old" = "$newest" ] && continue
    rm -f -- "$old"
    removed=$((removed + 1))
  done
  find "$BACKUP_DIR" -maxdepth 1 -type f -name ".$DATABASE-*.dump.partial" -mmin +1440 \
    -exec rm -f -- {} +
  echo "$removed"
}

# A failed step: says why, records it for the healthcheck, and fails the attempt.
failed() {
  if [ -n "$partial" ]; then rm -f -- "$partial"; fi
  fail "FAILED: $*; no dump written"
  record failed
  return 1
}

# One dump. Prints one line saying what it wrote (stdout) or why it failed (stderr). Each
# step is checked by hand: the schedule runs this where `set -e` does not apply.
backup_once() {
  partial=
  mkdir -p -- "$BACKUP_DIR" || { failed "cannot make $BACKUP_DIR"; return 1; }
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  # A second dump within the same second (one by hand beside the schedule's) is numbered.
  name="$DATABASE-$stamp"
  n=1
  while [ -e "$BACKUP_DIR/$name.dump" ] || [ -e "$BACKUP_DIR/.$name.dump.partial" ]; do
    n=$((n + 1))
    name="$DATABASE-$stamp-$n"
  done
  final="$BACKUP_DIR/$name.dump"
  partial="$BACKUP_DIR/.$name.dump.partial"
  started=$(date +%s)
  # Removed on every way out but success, a stop (TERM, INT) mid-dump included. (A
  # scheduled dump stopped by `docker compose stop` runs until the container is killed;
  # its temporary file goes at a later run, once a day old.)
  trap 'rm -f -- "$partial"' EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  if ! pg_dump --format=custom --lock-wait-timeout="${BACKUP_LOCK_WAIT_SECONDS}s" \
      --file="$partial" "$DATABASE"; then
    failed "pg_dump of $DATABASE on ${PGHOST:-localhost} exited non-zero (its error is above)"
    return 1
  fi
  if ! pg_restore --list "$partial" >/dev/null; then
    failed "pg_restore cannot read the dump of $DATABASE back"
    return 1
  fi
  # On disk before it is named as a whole dump (sync of one file needs coreutils or a
  # recent busybox; otherwise every file).
  sync -- "$partial" 2>/dev/null || sync
  mv -- "$partial" "$final" || { failed "cannot name the dump $final"; return 1; }
  trap - EXIT TERM INT
  bytes=$(wc -c <"$final" | tr -d ' ')
  removed=$(prune "$final")
  record ok
  log "ok: $final ($bytes bytes, $(($(date +%s) - started)) s); removed $removed older than $BACKUP_KEEP_DAYS days"
}

# The healthcheck's input: how the last attempt went, and when the last one succeeded.
record() {
  mkdir -p -- "$BACKUP_DIR"
  echo "$1 $(date +%s)" >"$STATUS_FILE.tmp" && mv -- "$STATUS_FILE.tmp" "$STATUS_FILE"
  if [ "$1" = ok ]; then : >"$BACKUP_DIR/.last-success"; fi
}

# Healthy while the last attempt succeeded and the last success is no older than one
# interval and an hour (a dump that hangs, or a loop that stopped, turns it unhealthy).
check() {
  [ -f "$STATUS_FILE" ] || { fail "no backup attempted yet"; return 1; }
  read -r state _ <"$STATUS_FILE"
  [ "$state" = ok ] || { fail "the last backup failed (see the service's log)"; return 1; }
  fresh=$(find "$BACKUP_DIR" -maxdepth 1 -name .last-success \
    -mmin "-$((BACKUP_INTERVAL_SECONDS / 60 + 60))")
  [ -n "$fresh" ] || { fail "no successful backup for longer than the interval"; return 1; }
}

schedule() {
  # A stop (TERM from `docker compose stop`) ends the wait at once.
  sleeper=
  trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 0' TERM INT
  log "scheduled: $DATABASE on ${PGHOST:-localhost} every ${BACKUP_INTERVAL_SECONDS} s into $BACKUP_DIR, kept $BACKUP_KEEP_DAYS days"
  while :; do
    wait_seconds=$BACKUP_INTERVAL_SECONDS
    # The subshell keeps a failed dump from ending the loop, and its traps to itself.
    (backup_once) || wait_seconds=$BACKUP_RETRY_SECONDS
    # Its output goes nowhere: a TERM between starting it and noting its pid leaves it
    # running, and it must not hold the log's pipe open for the interval after we exit.
    sleep "$wait_seconds" >/dev/null 2>&1 &
    sleeper=$!
    wait "$sleeper" || true
    sleeper=
  done
}

case ${1:-} in
  once) backup_once ;;
  schedule) schedule ;;
  check) check ;;
  *) echo "usage: $0 once|schedule|check" >&2; exit 64 ;;
esac
