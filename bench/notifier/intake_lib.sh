# shellcheck shell=bash disable=SC2154  # root: the caller's
# Shared by run_bench_intake.sh and compare_bench_intake.sh (source it; bash, set -euo pipefail):
# the runs' temporary folder and their private PostgreSQL 15 (scripts/pg-dev.sh, fsync on).
# Needs $root (the source tree).

# Make the temporary folder /tmp/yq-bench-intake-XXXXXX (mode 755) into $tmp and arrange that
# on exit the PostgreSQL in $tmp/pg, if started, stops and the folder goes.
intake_tmp() {
  tmp=$(mktemp -d /tmp/yq-bench-intake-XXXXXX)
  chmod 755 "$tmp"
  trap intake_cleanup EXIT
}

intake_cleanup() {
  "$root/scripts/pg-dev.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}

# Start PostgreSQL in $tmp/pg on a free loopback port; its URL into $url.
intake_pg_start() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # shellcheck disable=SC2034  # url: the caller's
  url=$("$root/scripts/pg-dev.sh" start "$tmp/pg" "$port")
}
