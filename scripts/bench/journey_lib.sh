# Shared by scripts/bench/journey and scripts/bench/soak. Source it after scripts/lib/common.sh.
# Either a server is given (URL; PROVIDER_DELIVEROO_SECRET must be its secret, SERVER_PID lets
# its CPU and memory be read, PG_PID the postmaster's), or this starts everything itself on
# private ports: a throwaway PostgreSQL, the sandbox card processor as its own process (so cards
# outlive the server's restart between setup and load, and its CPU is not counted as ours), and
# `hourglass serve` (release build, development mode, jobs in process).
#
# Setup makes the drivers through the API. With FAST_SETUP=1 (the default, own server only) it
# runs against a first server in test mode with 1,000 PBKDF2 rounds per password instead of
# 600,000, so 1,000 sign-ups take seconds rather than minutes of CPU; no request of the load
# checks a password (bearer tokens are looked up by SHA-256). The load then runs against a
# fresh server in development mode.

JOURNEY_DIR=$REPO_ROOT/scripts/bench
OURS_PORT=${OURS_PORT:-18280} PSP_PORT=${PSP_PORT:-18299} PEER_PORT=${PEER_PORT:-18281}
JOURNEY_PGPORT=${JOURNEY_PGPORT:-54342}
DRIVERS=${DRIVERS:-1000}
WORK=$(mktemp -d /tmp/hourglass-journey.XXXXXX)
SERVER="" PSP="" PEER="" DATA_DIR="" PEER_VIA_SCRIPT=""

journey_cleanup() {
  local pid
  for pid in "$SERVER" "$PSP" "$PEER"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "$SERVER" "$PSP" "$PEER"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  [ -n "$PEER_VIA_SCRIPT" ] && PEER_PORT=$PEER_PORT bash "$SHARED_BENCH/peer.sh" stop || true
  [ -n "$DATA_DIR" ] && { cluster_stop "$DATA_DIR"; rm -rf "$DATA_DIR"; }
  [ -n "${KEEP_WORK:-}" ] && log "kept $WORK" || rm -rf "$WORK"
}

wait_healthy() {  # wait_healthy PORT
  for _ in $(seq 300); do curl -fs -o /dev/null "http://127.0.0.1:$1/health" && return 0; sleep 0.1; done
  die "the server on port $1 did not become healthy (log: $WORK/server-*.log)"
}

random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# start_own_stack: cluster, migrations, sandbox PSP. Sets BIN, DATABASE_URL and the secrets.
start_own_stack() {
  DATA_DIR=$(mktemp -d /tmp/hourglass-journey-pg.XXXXXX)
  chmod 755 "$DATA_DIR"
  cluster_start "$DATA_DIR" "$JOURNEY_PGPORT"
  ensure_database "$JOURNEY_PGPORT" journey
  ensure_runtime_role "$JOURNEY_PGPORT"
  if [ -z "${HOURGLASS_BIN:-}" ]; then
    log "building hourglass (release)"
    swift build -c release --product hourglass
    HOURGLASS_BIN=$(swift build -c release --show-bin-path)/hourglass
  fi
  BIN=$HOURGLASS_BIN
  export DATABASE_URL="postgresql://hourglass_app@127.0.0.1:$JOURNEY_PGPORT/journey"
  export MIGRATION_DATABASE_URL="postgresql://hourglass@127.0.0.1:$JOURNEY_PGPORT/journey"
  export PROVIDER_DELIVEROO_SECRET=${PROVIDER_DELIVEROO_SECRET:-$(random_secret)}
  export PROVIDER_UBER_EATS_SECRET=${PROVIDER_UBER_EATS_SECRET:-$(random_secret)}
  export PSP_API_KEY="sk_journey_$(random_secret)" PSP_WEBHOOK_SECRET="whsec_journey_$(random_secret)"
  export PSP_BASE_URL="http://127.0.0.1:$PSP_PORT"
  HOURGLASS_ENV=development "$BIN" migrate >/dev/null
  "$BIN" psp-sandbox --port "$PSP_PORT" --webhook-url "http://127.0.0.1:$OURS_PORT/v1/webhooks/psp" \
    >"$WORK/psp.log" 2>&1 &
  PSP=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$PSP_BASE_URL/" && break; sleep 0.1; done
  PG_PID=$(head -n 1 "$DATA_DIR/postmaster.pid")
}

# serve_own MODE: (re)starts our server in MODE (test for the fast setup, development for load).
serve_own() {
  local mode=$1
  if [ -n "$SERVER" ]; then kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; fi
  local extra=()
  [ "$mode" = test ] && extra=(PASSWORD_HASH_ITERATIONS=1000)
  env HOURGLASS_ENV="$mode" HOST=127.0.0.1 PORT="$OURS_PORT" LOG_LEVEL="${LOG_LEVEL:-notice}" \
    DB_POOL_SIZE="${DB_POOL_SIZE:-8}" JOBS_IN_PROCESS=true SIGN_UPS_PER_ADDRESS_PER_HOUR=1000000 \
    PAYMENT_RECOVERY_AFTER_SECONDS=300 SANDBOX_PAYOUT_INTERVAL_SECONDS=0 "${extra[@]}" \
    "$BIN" serve >"$WORK/server-$mode.log" 2>&1 &
  SERVER=$!
  SERVER_LOG="$WORK/server-$mode.log"
  wait_healthy "$OURS_PORT"
}

# prepare URL: everything up to a server ready for load at $URL with $WORK/drivers.lua made.
prepare() {
  URL=${1:-}
  if [ -z "$URL" ]; then
    start_own_stack
    URL="http://127.0.0.1:$OURS_PORT"
    if [ "${FAST_SETUP:-1}" = 1 ]; then serve_own test; else serve_own development; fi
  else
    [ -n "${PROVIDER_DELIVEROO_SECRET:-}" ] || die "set PROVIDER_DELIVEROO_SECRET to the server's Deliveroo secret"
    SERVER=""  # not ours: never stopped here
    PG_PID=${PG_PID:-}
  fi
  log "making $DRIVERS drivers through the API"
  python3 "$JOURNEY_DIR/journey_setup.py" --url "$URL" --drivers "$DRIVERS" --out "$WORK/drivers.lua"
  if [ -z "${1:-}" ] && [ "${FAST_SETUP:-1}" = 1 ]; then serve_own development; fi
  OUR_PID=${SERVER:-${SERVER_PID:-}}
  FIRST_TOKEN=$(grep -m1 -o 'token="[^"]*"' "$WORK/drivers.lua" | cut -d'"' -f2)
}

# cpu_ticks PID: user+system clock ticks of the process; for a postmaster also its reaped
# children's (cutime+cstime) and its live children's (every backend, the WAL writer, ...).
cpu_ticks() {
  local pid=$1 total=0 child
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || { echo 0; return; }
  total=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat")
  if [ "${2:-}" = tree ]; then
    total=$((total + $(awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$pid/stat")))
    for child in $(pgrep -P "$pid" || true); do
      total=$((total + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$child/stat" 2>/dev/null || echo 0)))
    done
  fi
  echo "$total"
}

# run_mix DURATION CONNECTIONS DELAY_MS OUT_JSON: wrk with the journey mix against $URL.
run_mix() {
  JOURNEY_THREADS=${THREADS:-2} wrk -t"${THREADS:-2}" -c"$2" -d"$1" --timeout 10s -s "$JOURNEY_DIR/journey.lua" "$URL" \
    -- "$WORK/drivers.lua" "$4" "${MIX:-me=30,cover=20,transactions=15,quote=10,shift=15,topup=10}" "$3" \
    "$PROVIDER_DELIVEROO_SECRET"
}
