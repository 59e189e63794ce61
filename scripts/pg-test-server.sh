#!/usr/bin/env bash
# The ctest fixture "pg" (tests/CMakeLists.txt): start or stop the private PostgreSQL that the
# NAME-pg tests use (scripts/pg-dev.sh), on a free loopback port with its data in a new
# temporary folder. STATE is a folder of the build tree: STATE/url holds the URL the tests read
# ($YQ_TEST_PG_FILE), STATE/datadir the temporary folder (removed at stop).
#   scripts/pg-test-server.sh start STATE | stop STATE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?start or stop}
state=${2:?state folder}
mkdir -p "$state"
case "$cmd" in
start)
  if [ -s "$state/datadir" ] && [ -d "$(cat "$state/datadir")" ]; then
    "$here/pg-dev.sh" stop "$(cat "$state/datadir")" || true
    rm -rf "$(cat "$state/datadir")"
  fi
  rm -f "$state/url"
  dir=$(mktemp -d /tmp/yq-pg-XXXXXX)
  chmod 755 "$dir" # the server may run as the postgres user (root CI)
  echo "$dir" >"$state/datadir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$here/pg-dev.sh" start "$dir" "$port" >"$state/url.new"
  mv "$state/url.new" "$state/url"
  echo "postgresql test server: $(cat "$state/url") data=$dir"
  ;;
stop)
  if [ -s "$state/datadir" ]; then
    dir=$(cat "$state/datadir")
    "$here/pg-dev.sh" stop "$dir" || true
    # the server's last children may still be closing files: a few tries before failing
    for _ in 1 2 3 4 5; do
      rm -rf "$dir" 2>/dev/null && break
      sleep 1
    done
    rm -rf "$dir"
    rm -f "$state/datadir" "$state/url"
  fi
  ;;
*)
  echo "usage: $0 start STATE | stop STATE" >&2
  exit 2
  ;;
esac
