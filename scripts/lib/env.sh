# Sourced by the scripts: the local stack's settings. Anything already set in
# the environment wins, so `PORT=3100 scripts/dev` works.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT
export PORT="${PORT:-3000}"
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
export SOCKUDO_WEBHOOK_URL="${SOCKUDO_WEBHOOK_URL:-http://127.0.0.1:${PORT}/api/pusher/webhook}"
export SESSION_SECRET="${SESSION_SECRET:-local-development-session-secret-0123456789}"
export SESSION_COOKIE="${SESSION_COOKIE:-session}"
export CRON_SECRET="${CRON_SECRET:-local-cron-secret}"
export RUST_LOG="${RUST_LOG:-info}"
STACK_DIR="$ROOT/.stack"
mkdir -p "$STACK_DIR"

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }
