# Sourced by the scripts: the local stack's settings. Anything already set in
# the environment wins, so `PORT=3100 scripts/dev` works.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT
# PORT is the browser's origin (next dev); the Rust dev server listens on API_PORT behind it.
export PORT="${PORT:-3000}"
export API_PORT="${API_PORT:-$((PORT + 1))}"
export PGHOST_ADDR="${PGHOST_ADDR:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export DEV_DATABASE="${DEV_DATABASE:-messaging_dev}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@${PGHOST_ADDR}:${PGPORT}/${DEV_DATABASE}}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@${PGHOST_ADDR}:${PGPORT}/postgres}"
export SOCKUDO_PORT="${SOCKUDO_PORT:-6001}"
export PUSHER_APP_ID="${PUSHER_APP_ID:-100001}"
export NEXT_PUBLIC_PUSHER_KEY="${NEXT_PUBLIC_PUSHER_KEY:-devkey0123456789abcd}"
export PUSHER_SECRET="${PUSHER_SECRET:-devsecret0123456789abcd}"
export NEXT_PUBLIC_PUSHER_CLUSTER="${NEXT_PUBLIC_PUSHER_CLUSTER:-mt1}"
export PUSHER_HOST="${PUSHER_HOST:-127.0.0.1}"
export PUSHER_PORT="${PUSHER_PORT:-$SOCKUDO_PORT}"
export PUSHER_SCHEME="${PUSHER_SCHEME:-http}"
export SOCKUDO_WEBHOOK_URL="${SOCKUDO_WEBHOOK_URL:-http://127.0.0.1:${API_PORT}/api/pusher/webhook}"
# The browser's pusher-js settings (read by the Next.js server at request time, app/_lib/pusher-settings.ts).
export NEXT_PUBLIC_PUSHER_HOST="${NEXT_PUBLIC_PUSHER_HOST:-$PUSHER_HOST}"
export NEXT_PUBLIC_PUSHER_PORT="${NEXT_PUBLIC_PUSHER_PORT:-$PUSHER_PORT}"
if [ "$PUSHER_SCHEME" = https ]; then _tls=true; else _tls=false; fi
export NEXT_PUBLIC_PUSHER_FORCE_TLS="${NEXT_PUBLIC_PUSHER_FORCE_TLS:-$_tls}"
# Sockudo does not stamp client events with the sender's user_id: typing goes through the server.
export NEXT_PUBLIC_TYPING_VIA="${NEXT_PUBLIC_TYPING_VIA:-server}"
# The web client here handles the lean event set (fewer counted Pusher messages); the local stack
# and the browser tests run with it, the Rust API tests with the default (the contract's events).
export PUSHER_EVENTS="${PUSHER_EVENTS:-lean}"
unset _tls
# Nothing phones home: Next's telemetry is off.
export NEXT_TELEMETRY_DISABLED=1
export SESSION_SECRET="${SESSION_SECRET:-local-development-session-secret-0123456789}"
export SESSION_COOKIE="${SESSION_COOKIE:-session}"
export CRON_SECRET="${CRON_SECRET:-local-cron-secret}"
export RUST_LOG="${RUST_LOG:-info}"
STACK_DIR="$ROOT/.stack"
mkdir -p "$STACK_DIR"

# The npm packages of the Next.js app and web/ (one workspace, one lock, one React), installed when missing
# or when the lock is newer than the last install.
ensure_npm_packages() {
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }
