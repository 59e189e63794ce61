#!/usr/bin/env bash
# A private PostgreSQL 15 (Debian's postgresql-15) for tests, the two-notifier demo and benches,
# started as redis-server is: its own cluster in a folder, listening on 127.0.0.1:PORT only (and a
# Unix socket in the folder), trust authentication for the superuser "yq" (it is reachable from
# this machine only; never use this for production, see docs/operations.md "PostgreSQL").
#
#   scripts/pg-dev.sh start DIR PORT   initdb DIR/data when new, start, wait until ready, create
#                                      database "yuqing"; prints postgresql://yq@127.0.0.1:PORT/yuqing
#   scripts/pg-dev.sh stop DIR         fast shutdown (the folder stays; delete it to forget)
#   scripts/pg-dev.sh url DIR          the URL of a started cluster
#
# As root (CI), the server runs as the "postgres" system user, which postgresql-common creates;
# initdb refuses to run as root.
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR PORT | stop DIR | url DIR" >&2; exit 2; }
[ -x "$bin/pg_ctl" ] || { echo "pg-dev: $bin/pg_ctl missing: install postgresql-15 (scripts/install-deps.sh)" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
start)
  port=${3:?port}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U yq --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # fsync stays on: the store's tests and benches measure the real commit path
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=128MB" \
    start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  for _ in $(seq 1 100); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 0.1
  done
  if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U yq -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'yuqing'" 2>/dev/null | grep -q 1; then
    "$bin/psql" -q -h 127.0.0.1 -p "$port" -U yq -d postgres -c "CREATE DATABASE yuqing" >/dev/null
  fi
  echo "postgresql://yq@127.0.0.1:$port/yuqing"
  ;;
stop)
  if [ -s "$dir/data/postmaster.pid" ]; then
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 300 stop >/dev/null 2>&1 || true
    # not stopped in time (a loaded machine): immediate shutdown, and wait until it is gone, so
    # that the caller never removes the folder under a server still writing to it
    if kill -0 "$pid" 2>/dev/null; then
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  ;;
url)
  echo "postgresql://yq@127.0.0.1:$(cat "$dir/port")/yuqing"
  ;;
*)
  echo "usage: $0 start DIR PORT | stop DIR | url DIR" >&2
  exit 2
  ;;
esac
