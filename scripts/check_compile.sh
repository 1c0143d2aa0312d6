#!/usr/bin/env bash
# Compile the Reflex app in a private copy (so several people can check at once without sharing .web).
# Usage: scripts/check_compile.sh NAME   -> copy in /tmp/kaktus-check-NAME, prints reflex's verdict.
set -euo pipefail
name=${1:-me}
src="$(cd "$(dirname "$0")/.." && pwd)"
dst="/tmp/kaktus-check-$name"
mkdir -p "$dst"
rsync -a --delete --exclude .web --exclude .venv --exclude .tools --exclude data/ --exclude .git "$src/" "$dst/"
mkdir -p "$dst/data"
cd "$dst"
export REFLEX_BUN_PATH="$src/.tools/node_modules/bun/bin/bun.exe" REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=0
export KAKTUS_DATABASE_URL="sqlite:///$dst/data/kaktus.db"
"$src/.venv/bin/reflex" compile 2>&1 | grep -vE "^\s*$" | tail -25
