#!/usr/bin/env bash
# The main job on its embedded default: installs what is missing, builds into build-demo/ (its
# own release build: a build/ of yours, maybe a sanitizer build, is left as it is), then starts
#   - redis-server on 127.0.0.1:16379 (data under .demo/redis),
#   - librdkafka's mock Kafka cluster (yuqingctl kafka-dev) on a loopback port,
#   - a local HTTP server for the bundled sample feeds (deploy/demo/feeds) on 127.0.0.1:18081,
#   - yuqing-notifier (web UI on http://127.0.0.1:8080/), yuqing-matcher (metrics on
#     127.0.0.1:19102), yuqing-collector (metrics on 127.0.0.1:19101), yuqing-archiver
#     (every item into .demo/archive for 检索 and 回测; metrics on 127.0.0.1:19103),
# creates demo accounts and a few months of ticket history (yuqingctl demo-history) on the
# first run and pushes the rules of config/rules/. Ctrl-C (or kill -INT / -TERM of this script)
# stops everything it started; when one of the processes exits, the script names it and its
# log and stops the others. The pids of a running demo are in .demo/pids: a second start while
# they run says so, with the command that stops them. Ports: YQ_DEMO_REDIS_PORT, YQ_DEMO_FEED_PORT, YQ_DEMO_HTTP_PORT,
# YQ_DEMO_METRICS_PORT, YQ_DEMO_HOOK_PORT (the stand-in robots' webhook receiver) override them.
set -euo pipefail
# A shell started in the background (`./scripts/demo.sh &` from a script) inherits SIGINT
# ignored and cannot trap it, so `kill -INT` would be lost: start again with SIGINT at its
# default, once.
# (coreutils' env, present on every Debian; python3 may not be installed yet at this point)
if [ -z "${YQ_DEMO_SIGINT_RESET:-}" ]; then
  YQ_DEMO_SIGINT_RESET=1 exec env --default-signal=INT bash "$0" "$@"
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
redis_port=${YQ_DEMO_REDIS_PORT:-16379}
feed_port=${YQ_DEMO_FEED_PORT:-18081}
http_port=${YQ_DEMO_HTTP_PORT:-8080}
metrics_port=${YQ_DEMO_METRICS_PORT:-19101}
hook_port=${YQ_DEMO_HOOK_PORT:-18082}
state=$root/.demo
bin=$root/build-demo # git-ignored (/build*/)

"$root/scripts/install-deps.sh"
"$root/scripts/npm-deps.sh"
BUILD_DIR=$bin "$root/scripts/build.sh" -DYQ_TESTS=OFF -DYQ_SANITIZE=OFF -DYQ_FUZZ=OFF

mkdir -p "$state/redis" "$state/logs"

# A demo still running (its processes outlived a `kill -9` of this script, or it runs in
# another terminal): its pids are in .demo/pids ("pid log name" per line); each still alive
# whose command line names this .demo/ (redis-server, which renames itself: whose working
# directory is in it) is one of its processes. Say which, and how to stop them.
if [ -s "$state/pids" ]; then
  alive=()
  while read -r pid log name; do
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
    if kill -0 "$pid" 2>/dev/null && [[ $cmd == *"$state/"* || $cwd/ == "$state/"* ]]; then
      alive+=("$pid")
      echo "demo process still running: $name (pid $pid, log $log)" >&2
    fi
  done <"$state/pids"
  if [ ${#alive[@]} -gt 0 ]; then
    echo "an earlier demo is still running (演示仍在运行); stop it first: kill ${alive[*]}" >&2
    exit 1
  fi
  rm -f "$state/pids"
fi

pids=() names=() logs=()
# start NAME LOG COMMAND...: COMMAND in the background, its output appended to LOG, its pid
# recorded (also in .demo/pids for the check above)
start() {
  local name=$1 log=$2
  shift 2
  "$@" >>"$log" 2>&1 &
  pids+=($!)
  names+=("$name")
  logs+=("${log#"$root/"}")
  echo "$! ${log#"$root/"} $name" >>"$state/pids"
}
# exited I: say that process I exited, with its log's last lines
exited() {
  echo "demo process exited: ${names[$1]} (pid ${pids[$1]}); last lines of ${logs[$1]}:" >&2
  tail -n 5 "$root/${logs[$1]}" | sed 's/^/  /' >&2
}
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "正在停止 (stopping)..."
  # newest first, each to its end: the stages flush and commit while Kafka and Redis still run
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  rm -f "$state/pids"
  echo "已停止，状态保存在 .demo/（删除它即可从头开始；stopped, state kept under .demo/)"
}
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
echo "=== demo start $(date -u +%FT%TZ)" | tee -a "$state/logs/"{redis,kafka,feeds,notifier,matcher,collector,archiver,webhook}.log >/dev/null
for p in "$redis_port" "$feed_port" "$http_port" "$metrics_port" "$hook_port"; do
  if port_busy "$p"; then
    echo "port $p on 127.0.0.1 is in use; stop what holds it or set YQ_DEMO_*_PORT" >&2
    exit 1
  fi
done

wait_for() { # what, seconds, command...: also stops at once when the newest process exits
  local what=$1 secs=$2 last=$((${#pids[@]} - 1))
  shift 2
  for ((n = 0; n < secs * 10; n++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${pids[$last]}" 2>/dev/null; then
      exited "$last"
      exit 1
    fi
    sleep 0.1
  done
  echo "$what did not come up; see .demo/logs/" >&2
  exit 1
}

start redis-server "$state/logs/redis.log" redis-server --port "$redis_port" --bind 127.0.0.1 \
  --dir "$state/redis" --save 60 1 --appendonly yes --daemonize no
wait_for "redis-server" 10 redis-cli -p "$redis_port" ping

rm -f "$state/kafka.bootstrap"
start "mock Kafka" "$state/logs/kafka.log" "$bin/tools/yuqingctl" kafka-dev --partitions 4 \
  --bootstrap-file "$state/kafka.bootstrap"
wait_for "mock Kafka" 10 test -s "$state/kafka.bootstrap"
bootstrap=$(cat "$state/kafka.bootstrap")

# the sample feeds' dates moved to just before now (same spacing): the notifier holds items
# published more than 72 h before their fetch as old, without a ticket (issue #11)
rm -rf "$state/feeds"
python3 deploy/demo/shift_feed_dates.py deploy/demo/feeds "$state/feeds" >/dev/null
start "sample feed server" "$state/logs/feeds.log" python3 -m http.server "$feed_port" \
  --bind 127.0.0.1 --directory "$state/feeds"
wait_for "sample feed server" 10 curl -fsS "http://127.0.0.1:$feed_port/ankang-gov-news.xml"

# The setup commands' own log lines (English, UTC: for operators) go to .demo/logs/setup.log;
# the terminal shows what they print for people, and on a failure the log's last lines.
ctl() {
  if ! "$bin/tools/yuqingctl" "$@" 2>>"$state/logs/setup.log"; then
    echo "失败：yuqingctl $1 $2（详见 .demo/logs/setup.log）" >&2
    tail -n 5 "$state/logs/setup.log" >&2
    exit 1
  fi
}

# Push the rules when they changed since the last push (a restart does not add a version).
rules_sum=$(cat config/rules/*.yaml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$state/rules.sha256" 2>/dev/null)" != "$rules_sum" ] ||
   [ -z "$(redis-cli -p "$redis_port" get yuqing:rules:current)" ]; then
  # a set that changes the live one is pushed after its 回测 over the archive (the push gate,
  # issue #14); the first push (no live set, no archive yet) needs none
  if [ -n "$(redis-cli -p "$redis_port" get yuqing:rules:current)" ] &&
     [ -f "$state/archive/ARCHIVE" ]; then
    ctl rules backtest config/rules --archive "$state/archive" --since 30d \
      --redis "127.0.0.1:$redis_port" >>"$state/logs/setup.log"
  fi
  ctl rules push config/rules --redis "127.0.0.1:$redis_port" --by demo
  echo "$rules_sum" >"$state/rules.sha256"
fi

# Demo accounts (first run only): an administrator, a duty officer (值班员) and the liaison
# (联络员) of each of the four departments, with random passwords kept in .demo/accounts.txt.
ctl_db=(--config config/notifier.yaml --db "$state/tickets.db")
# The ticket store is created once, explicitly (0600); no process creates it implicitly.
ctl store init "${ctl_db[@]}" >/dev/null
if [ ! -s "$state/accounts.txt" ]; then
  for dept in 市自然资源局 市生态环境局 市应急管理局 市卫生健康委员会; do
    ctl users dept-add --department "$dept" "${ctl_db[@]}" >/dev/null
  done
  # the passwords are secrets: the file is the operator's alone (0600, issue #10)
  (umask 077 && : >"$state/accounts.txt.tmp")
  # one liaison per department: the demo's history (yuqingctl demo-history) acts as them
  for spec in "admin admin -" "duty duty_officer -" "zrzy liaison 市自然资源局" \
    "sthj liaison 市生态环境局" "yjgl liaison 市应急管理局" "wsjk liaison 市卫生健康委员会"; do
    read -r user role dept <<<"$spec"
    pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
    (umask 077 && printf '%s\n' "$pw" >"$state/pw.tmp")
    args=(--username "$user" --role "$role" --password-file "$state/pw.tmp")
    [ "$dept" != "-" ] && args+=(--department "$dept")
    ctl users add "${args[@]}" "${ctl_db[@]}" >/dev/null
    printf '%-6s %-13s %s\n' "$user" "$role" "$pw" >>"$state/accounts.txt.tmp"
  done
  rm -f "$state/pw.tmp"
  mv "$state/accounts.txt.tmp" "$state/accounts.txt"
fi
if [ -e "$state/accounts.txt" ]; then
  chmod 600 "$state/accounts.txt" # also an older demo's file
fi

# The archive of every collected item (matched or not) that the 检索 page and rule 回测 read:
# made once, explicitly (yuqingctl archive init); the archiver never creates it.
ctl archive init "$state/archive" >/dev/null

# A few months of settled tickets (first run only: the command adds nothing to a store that
# has them), created through the notifier's own intake and actions, so 统计 and the 通报 have
# something to show on first start.
if [ ! -e "$state/history.done" ]; then
  ctl demo-history "${ctl_db[@]}"
  touch "$state/history.done"
fi

# Notifications (交办, 催办, 督办) go to a local webhook receiver standing in for the office's
# group robots; each message becomes one line of .demo/logs/notifications.jsonl.
start "webhook receiver" "$state/logs/webhook.log" python3 deploy/demo/webhook_receiver.py \
  "$hook_port" "$state/logs/notifications.jsonl"
sed -e "s|@CALENDAR_DIR@|$root/config/calendar|" -e "s|@HTTP_PORT@|$http_port|" \
  -e "s|@REDIS_PORT@|$redis_port|" -e "s|@HOOK_PORT@|$hook_port|" \
  -e "s|@STORE_PATH@|$state/tickets.db|" \
  deploy/demo/notifier.yaml >"$state/notifier.yaml"

common=(--set "kafka.bootstrap_servers=$bootstrap" --set "redis.port=$redis_port")
start yuqing-notifier "$state/logs/notifier.log" "$bin/notifier/yuqing-notifier" \
  --config "$state/notifier.yaml" --set "kafka.bootstrap_servers=$bootstrap" \
  --set "store.path=$state/tickets.db" --set "http.port=$http_port" \
  --set "web.archive_dir=$state/archive"
# the notifier's start-up (store, Kafka, web) comes first: one that exits is told at once
wait_for "yuqing-notifier" 10 curl -fsS "http://127.0.0.1:$http_port/healthz"
start yuqing-archiver "$state/logs/archiver.log" "$bin/archive/yuqing-archiver" \
  --config config/archiver.yaml --set "kafka.bootstrap_servers=$bootstrap" \
  --set "archive.dir=$state/archive" --set "archive.metrics_port=$((metrics_port + 2))"
start yuqing-matcher "$state/logs/matcher.log" "$bin/pipeline/yuqing-matcher" \
  --config config/matcher.yaml "${common[@]}" \
  --set "matcher.rules_cache_path=$state/matcher-rules.json" \
  --set "matcher.metrics_port=$((metrics_port + 1))"
sed "s/127.0.0.1:18081/127.0.0.1:$feed_port/" config/sources.yaml >"$state/sources.yaml"
start yuqing-collector "$state/logs/collector.log" "$bin/collectors/yuqing-collector" \
  --config "$state/sources.yaml" "${common[@]}" --set "collector.metrics_port=$metrics_port" \
  --set "collector.spool_path=$state/collector-spool.jsonl"

cat <<MSG

  yuqing 演示已启动 (the demo is running).
  值班台 (duty officer's queue):  http://127.0.0.1:$http_port/
  演示账号（用户名、角色、密码，另存于 .demo/accounts.txt；demo accounts: user, role, password）:
$(sed 's/^/    /' "$state/accounts.txt")
  样例信息源的事件约 30 秒内进入研判收件箱；I/II 级即时交办 (events from the sample feeds enter
  the 研判 inbox within about 30 s; levels I and II are handed over at once).
  发给各部门机器人的通知 (notifications to the robots): .demo/logs/notifications.jsonl
  采集器指标 (collector metrics): http://127.0.0.1:$metrics_port/metrics   日志 (logs): .demo/logs/
  归档 (archive of every item, 检索): ./build-demo/tools/yuqingctl archive status --dir .demo/archive
  规则回测 (a changed rule set tried on the archive; also on the 规则 page):
    ./build-demo/tools/yuqingctl rules backtest DIR --since 30d --archive .demo/archive --redis 127.0.0.1:$redis_port
  按 Ctrl-C 停止全部进程 (Ctrl-C stops everything).

MSG
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      exited "$i"
      echo "so the demo stops everything (it is no supervisor; use deploy/systemd for that)" >&2
      exit 1
    fi
  done
  sleep 1
done
