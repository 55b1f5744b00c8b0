#!/usr/bin/env bash
# Runs tests/e2e against a stack already running at BASE_URL (default http://127.0.0.1:3000; see scripts/dev).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-chromium.sh
exec node --test --test-concurrency=1 ../tests/e2e/
