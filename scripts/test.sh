#!/usr/bin/env bash
# The test command: installs what is missing, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs every test through ctest (unit and integration).
# The integration tests start their own redis-server, mock Kafka and feed server on free
# loopback ports; nothing needs to be running beforehand.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
export BUILD_DIR=${BUILD_DIR:-$root/build-test}
"$root/scripts/build.sh" -DYQ_SANITIZE=ON -DYQ_TESTS=ON -DYQ_WERROR=ON
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 "$@"
