#!/usr/bin/env bash
# The test command: installs what is missing, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs every test through ctest: unit tests, the end-to-end
# and browser tests (they start their own redis-server, mock Kafka, feed servers and headless
# Chromium on free loopback ports; nothing needs to be running beforehand; the store and web
# tests run a second time as NAME-pg on a private PostgreSQL 15 that the ctest fixture "pg"
# starts and stops, scripts/pg-test-server.sh), and a short run of
# each libFuzzer target in a separate clang build. Arguments go to the main ctest run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/npm-deps.sh"

if command -v clang >/dev/null 2>&1 && [ -z "${YQ_SKIP_FUZZ:-}" ]; then
  fuzz_dir=$root/build-fuzz
  cmake -S "$root" -B "$fuzz_dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DYQ_FUZZ=ON -DYQ_TESTS=ON >/dev/null
  # 20 s each for the feed, Weibo and rule parsers; 10 s each (FUZZ_SHORT_SECONDS) for item
  # and alert JSON and source events (issue #15) from Kafka, configuration YAML, the holiday
  # calendar, the notifier's routes and the rule-set JSON from Redis (issue #10), and the
  # collector's gzip/deflate decoder (field review)
  cmake --build "$fuzz_dir" -j "$(nproc)" --target fuzz_feed_parse fuzz_weibo fuzz_rule_expr \
    fuzz_item_decode fuzz_alert_decode fuzz_cfg fuzz_rules_decode fuzz_workcal fuzz_notify_cfg \
    fuzz_source_event fuzz_fetch_decode
  (cd "$fuzz_dir" && ctest --output-on-failure -L fuzz)
fi

export BUILD_DIR=${BUILD_DIR:-$root/build-test}
"$root/scripts/build.sh" -DYQ_SANITIZE=ON -DYQ_TESTS=ON -DYQ_WERROR=ON
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 "$@"
