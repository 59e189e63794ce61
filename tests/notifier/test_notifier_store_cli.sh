#!/bin/sh
# Issue #10, at the process level: the notifier never creates its store (a missing one is one
# clear line and exit 2), `yuqingctl store init` creates it 0600, and a second notifier on the
# same SQLite store is refused with exit 2 while the first runs.
# usage: test_notifier_store_cli.sh NOTIFIER_BIN YUQINGCTL_BIN SOURCE_DIR
set -u
notifier=$1
ctl=$2
src=$3
work=$(mktemp -d /tmp/yq-store-cli-XXXXXX)
first=
cleanup() {
  if [ -n "$first" ]; then
    kill "$first" 2>/dev/null
    wait "$first" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Kafka is not needed to start (an unreachable bootstrap only makes /healthz say so). exec:
# run in a subshell, "( run_notifier ... )" or "run_notifier ... &", whose pid is the notifier's.
run_notifier() {
  exec "$notifier" --config "$src/config/notifier.yaml" --set "store.path=$1" --set http.port=0 \
    --set kafka.bootstrap_servers=127.0.0.1:1 --set web.enabled=false
}

# 1. a store on a missing (unmounted) directory: exit 2, one line naming it, nothing created
(run_notifier "$work/disk/tickets.db") 2>"$work/err1" >/dev/null
rc=$?
[ "$rc" -eq 2 ] || fail "missing store: exit $rc, want 2"
grep -q "ticket store '$work/disk/tickets.db' does not exist" "$work/err1" || fail "no path in: $(cat "$work/err1")"
grep -q "yuqingctl store init" "$work/err1" || fail "no hint in: $(cat "$work/err1")"
[ ! -e "$work/disk" ] || fail "the notifier created $work/disk"

# 2. the tickets CLI does not create it either
"$ctl" tickets list --config "$src/config/notifier.yaml" --db "$work/disk/tickets.db" \
  >/dev/null 2>&1 && fail "tickets list succeeded on a missing store"
[ ! -e "$work/disk" ] || fail "yuqingctl tickets created $work/disk"

# 2b. --print-config is a process's option: store init prints no config, so it refuses it
# (exit 2, named) instead of ignoring it and creating the store
"$ctl" store init --print-config --config "$src/config/notifier.yaml" --db "$work/disk/tickets.db" \
  >/dev/null 2>"$work/err2b"
rc=$?
[ "$rc" -eq 2 ] || fail "store init --print-config: exit $rc, want 2"
grep -q "^yuqingctl store: 选项 '--print-config' 只用于服务进程" "$work/err2b" || fail "said: $(cat "$work/err2b")"
[ ! -e "$work/disk" ] || fail "store init --print-config created $work/disk"

# 3. store init creates directories and a 0600 file with the schema; twice is harmless
"$ctl" store init --config "$src/config/notifier.yaml" --db "$work/disk/tickets.db" \
  >"$work/out3" 2>"$work/err3" || fail "store init: $(cat "$work/err3")"
grep -q "created ticket store" "$work/out3" || fail "store init said: $(cat "$work/out3")"
mode=$(stat -c %a "$work/disk/tickets.db")
[ "$mode" = 600 ] || fail "store mode $mode, want 600"
"$ctl" store init --config "$src/config/notifier.yaml" --db "$work/disk/tickets.db" \
  >"$work/out3" 2>&1 || fail "second store init: $(cat "$work/out3")"
grep -q "checked ticket store" "$work/out3" || fail "second init said: $(cat "$work/out3")"

# 4. one notifier holds the store; a second one is refused with exit 2
run_notifier "$work/disk/tickets.db" 2>"$work/err4" >/dev/null &
first=$!
i=0
while [ ! -s "$work/disk/tickets.db.lock" ]; do # hang guard only: it takes well under 1 s
  i=$((i + 1))
  [ $i -lt 600 ] || fail "first notifier did not take the lock: $(cat "$work/err4")"
  kill -0 "$first" 2>/dev/null || fail "first notifier exited: $(cat "$work/err4")"
  sleep 0.1
done
(run_notifier "$work/disk/tickets.db") 2>"$work/err5" >/dev/null
rc=$?
[ "$rc" -eq 2 ] || fail "second notifier: exit $rc, want 2"
grep -q "in use by another notifier (pid $first holds" "$work/err5" || fail "second said: $(cat "$work/err5")"
for f in tickets.db tickets.db-wal tickets.db-shm tickets.db.lock; do
  if [ -e "$work/disk/$f" ]; then
    mode=$(stat -c %a "$work/disk/$f")
    [ "$mode" = 600 ] || fail "$f mode $mode, want 600"
  fi
done
kill "$first"
wait "$first"
rc=$?
first=
[ "$rc" -eq 0 ] || fail "first notifier stopped with exit $rc"
echo "ok"
