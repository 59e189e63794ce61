#!/usr/bin/env bash
# Install the Debian 12 packages yuqing needs to build, test and run, skipping those already
# present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl
  libcurl4-openssl-dev libidn2-dev libxml2-dev librdkafka-dev libhiredis-dev libsqlite3-dev libpq-dev
  libjansson-dev libyaml-dev libmicrohttpd-dev libssl-dev libcmocka-dev
  libvectorscan-dev libutf8proc-dev libopencc-dev libopencc-data libsodium-dev
  libfriso-dev friso-dict libuchardet-dev zlib1g-dev
  redis-server python3 sqlite3 postgresql-15
  python3-feedparser python3-ahocorasick python3-aiosmtpd
  clang libclang-rt-14-dev
  chromium chromium-driver fonts-noto-cjk
)
# Node.js runs the browser tests and brings ECharts and playwright-core from npm; a machine
# that already has a node (e.g. from NodeSource) keeps it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
