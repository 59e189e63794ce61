#!/usr/bin/env bash
# Install the pinned npm packages of package-lock.json: ECharts (compiled into the statistics
# reports) and playwright-core (browser tests). Skipped when node_modules is newer than the
# lock file. Without node/npm it warns: the build then has no charts and browser tests skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm-deps: npm not found; statistics charts and browser tests will be missing" >&2
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
