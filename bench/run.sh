#!/usr/bin/env bash
# Reproduces every figure in BENCHMARKS.md. Usage:
#   bench/run.sh [ingest-sqlite|ingest-pg|import|read|console|engine|segments|recommendations|
#                 campaigns|journeys|all]
#   (default: all)
# Knobs (environment): PORT, CLIENTS, BATCHES, ROWS, CUSTOMERS, ORDERS, WRK_CONN, WRK_SECS,
# CONSOLE_CLIENTS.
# Everything generated lives under /tmp; the 1M-customer databases (/tmp/guanxi-bench-1m.db with
# ~5M orders, /tmp/guanxi-bench-1m-10.db with ~10M for the engine) are kept and reused (delete
# them to reload). Needs: wrk, psql + a PostgreSQL on 127.0.0.1:5432, and for `campaigns` a
# python3 that can import aiosmtpd (pip install aiosmtpd).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release"
PORT=${PORT:-18080}
CLIENTS=${CLIENTS:-8}
BATCHES=${BATCHES:-3000}
ROWS=${ROWS:-300000}
CUSTOMERS=${CUSTOMERS:-1000000}
ORDERS=${ORDERS:-5}
WRK_CONN=${WRK_CONN:-64}
WRK_SECS=${WRK_SECS:-30}
READ_DB=/tmp/guanxi-bench-1m.db
ENGINE_DB=/tmp/guanxi-bench-1m-10.db
RECS_DB=/tmp/guanxi-bench-demo-recs.db
WORK=/tmp/guanxi-bench-work
mkdir -p "$WORK"
cd "$WORK" # no guanxi.toml here: defaults only
export GUANXI_LOG=${GUANXI_LOG:-warn}

say() { printf '\n== %s\n' "$*"; }
guanxi() { "$BIN/guanxi" --config "$WORK/none.toml" "$@"; }
last_line() { tail -n 1; }

SERVER=
start_server() { # URL
  "$BIN/guanxi" --config "$WORK/none.toml" --database-url "$1" serve --listen "127.0.0.1:$PORT" \
    >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do
    kill -0 "$SERVER" 2>/dev/null || break # exited, e.g. the port is taken
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start:"; cat "$WORK/serve.log"; exit 1
}
stop_server() {
  echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$SERVER/status")"
  kill "$SERVER"; wait "$SERVER" || true
  SERVER=
}
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; [ -n "${SMTP_PID:-}" ] && kill "$SMTP_PID" 2>/dev/null || true' EXIT

ingest() { # URL
  local key
  key=$(guanxi --database-url "$1" source create --name web --kind segment | last_line)
  start_server "$1"
  "$BIN/ingest-load" --url "http://127.0.0.1:$PORT" --write-key "$key" \
    --clients "$CLIENTS" --batches "$BATCHES" --batch-size 100
  stop_server
}

ingest_sqlite() {
  say "(a) /v1/batch ingest, SQLite"
  rm -f /tmp/guanxi-bench-ingest.db*
  ingest sqlite:///tmp/guanxi-bench-ingest.db
}

ingest_pg() {
  say "(a) /v1/batch ingest, PostgreSQL"
  psql -q -h 127.0.0.1 -U postgres -c 'drop database if exists guanxi_bench' \
    -c 'create database guanxi_bench'
  # PostgreSQL has no folder for a key file: the key comes from the environment.
  GUANXI_SECRET_KEY=$(guanxi secret generate | last_line) ingest postgres://postgres@127.0.0.1:5432/guanxi_bench
}

import() {
  say "(b) Taobao import, $ROWS orders"
  local file=/tmp/guanxi-bench-taobao-$ROWS.csv db=sqlite:///tmp/guanxi-bench-import.db
  [ -f "$file" ] || "$BIN/make-taobao" --rows "$ROWS" --out "$file"
  rm -f /tmp/guanxi-bench-import.db*
  for run in first re-import; do
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$WORK/time.txt" "$BIN/guanxi" --config "$WORK/none.toml" \
      --database-url "$db" import "$file" --format taobao --source tmall 2>/dev/null
    t1=$(date +%s.%N)
    awk -v r="$ROWS" -v a="$t0" -v b="$t1" -v run="$run" \
      'BEGIN {printf "%s: %.1fs wall, %.0f rows/s\n", run, b - a, r / (b - a)}'
    grep -E "Maximum resident|Percent of CPU" "$WORK/time.txt"
  done
}

read_bench() {
  say "(c) Customer 360 reads, $CUSTOMERS customers"
  if [ ! -f "$READ_DB" ]; then
    /usr/bin/time -v -o "$WORK/load-time.txt" "$BIN/load-shop" --database-url "sqlite://$READ_DB" \
      --customers "$CUSTOMERS" --orders-per-customer "$ORDERS" | tee "$READ_DB.load.txt"
    grep -E "Maximum resident|Elapsed" "$WORK/load-time.txt"
  fi
  local ids min_id max_id
  ids=$(sed -n 's/^customer ids: //p' "$READ_DB.load.txt")
  min_id=${ids%%..=*}
  max_id=${ids##*..=}
  local key
  key=$(guanxi --database-url "sqlite://$READ_DB" apikey create --name bench-read --scopes read | last_line)
  start_server "sqlite://$READ_DB"
  GUANXI_BENCH_KEY=$key GUANXI_BENCH_MIN_ID=$min_id GUANXI_BENCH_MAX_ID=$max_id \
    wrk -t2 -c"$WRK_CONN" -d"${WRK_SECS}s" --latency -s "$ROOT/bench/customer360.lua" \
    "http://127.0.0.1:$PORT"
  stop_server
}

console_bench() {
  say "(d) Console pages, $CUSTOMERS customers"
  [ -f "$READ_DB" ] || { echo "run 'bench/run.sh read' first: it loads $READ_DB"; exit 1; }
  local password=bench-console-password
  echo "$password" | guanxi --database-url "sqlite://$READ_DB" user create \
    --email bench@example.com --role owner --password-stdin >/dev/null 2>&1 || true
  start_server "sqlite://$READ_DB"
  "$BIN/console-load" --url "http://127.0.0.1:$PORT" --email bench@example.com \
    --password "$password" --customers "$CUSTOMERS" --clients "${CONSOLE_CLIENTS:-4}"
  stop_server
}

load_engine_db() {
  if [ ! -f "$ENGINE_DB" ]; then
    /usr/bin/time -v -o "$WORK/load-time.txt" "$BIN/load-shop" --database-url "sqlite://$ENGINE_DB" \
      --customers "$CUSTOMERS" --orders-per-customer 10 | tee "$ENGINE_DB.load.txt"
    grep -E "Maximum resident|Elapsed" "$WORK/load-time.txt"
  fi
}

engine_bench() {
  say "(e) Intelligence engine build, $CUSTOMERS customers, ~10 orders each"
  load_engine_db
  for run in 1 2 3; do
    /usr/bin/time -v -o "$WORK/engine-time.txt" "$BIN/engine-build" --database-url "sqlite://$ENGINE_DB"
    grep -E "Maximum resident" "$WORK/engine-time.txt"
  done
}

segments_bench() {
  say "(f) Segments: a five-condition rule over every customer; order acknowledged to segment entry"
  load_engine_db
  "$BIN/segment-bench" --database-url "sqlite://$ENGINE_DB" --orders 1000
}

recommendations_bench() {
  say "(g) Recommendations: hit rate at 10 on held-out last orders, demo shop"
  [ -f "$RECS_DB" ] || guanxi --database-url "sqlite://$RECS_DB" demo --customers "${DEMO_CUSTOMERS:-50000}"
  python3 "$ROOT/bench/order-lines.py" "$RECS_DB" "$WORK/order-lines.csv"
  /usr/bin/time -v -o "$WORK/recs-time.txt" "$BIN/guanxi" evaluate recommendations "$WORK/order-lines.csv"
  grep -E "Maximum resident|Elapsed" "$WORK/recs-time.txt"
}

CAMPAIGN_DB=/tmp/guanxi-bench-campaign.db
MAIL_DB=/tmp/guanxi-bench-mail.db
SMTP_PORT=${SMTP_PORT:-2525}
SMTP_PID=

campaigns_bench() {
  say "(h) Campaigns: queue one to every buyer of $CUSTOMERS customers; send e-mail over SMTP"
  [ -f "$CAMPAIGN_DB" ] || "$BIN/load-shop" --database-url "sqlite://$CAMPAIGN_DB" \
    --customers "$CUSTOMERS" --orders-per-customer 1
  "$BIN/campaign-bench" --database-url "sqlite://$CAMPAIGN_DB"
  # A local SMTP server that accepts and discards (aiosmtpd from PyPI), and a demo shop whose
  # customers have e-mail addresses (load-shop's have phones only).
  python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Sink &
  SMTP_PID=$!
  rm -f "$MAIL_DB"*
  guanxi --database-url "sqlite://$MAIL_DB" demo --customers 30000 >/dev/null
  "$BIN/campaign-bench" --database-url "sqlite://$MAIL_DB" --rule "identity email" \
    --smtp-url "smtp://127.0.0.1:$SMTP_PORT" --send 20000
  kill "$SMTP_PID"; SMTP_PID=
}

journeys_bench() {
  say "(i) Journeys: 100,000 customers waiting; 10,000 waits expiring"
  [ -f "$CAMPAIGN_DB" ] || "$BIN/load-shop" --database-url "sqlite://$CAMPAIGN_DB" \
    --customers "$CUSTOMERS" --orders-per-customer 1
  /usr/bin/time -v -o "$WORK/journey-time.txt" "$BIN/journey-bench" --database-url "sqlite://$CAMPAIGN_DB" --customers 100000
  grep -E "Maximum resident" "$WORK/journey-time.txt"
}

[ -n "${SKIP_BUILD:-}" ] || (cd "$ROOT" && cargo build --release -p guanxi -p guanxi-bench)
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
case "${1:-all}" in
  ingest-sqlite) ingest_sqlite ;;
  ingest-pg) ingest_pg ;;
  import) import ;;
  read) read_bench ;;
  console) console_bench ;;
  engine) engine_bench ;;
  segments) segments_bench ;;
  recommendations) recommendations_bench ;;
  campaigns) campaigns_bench ;;
  journeys) journeys_bench ;;
  all) ingest_sqlite; ingest_pg; import; read_bench; console_bench; engine_bench; segments_bench; recommendations_bench; campaigns_bench; journeys_bench ;;
  *) echo "usage: $0 [ingest-sqlite|ingest-pg|import|read|console|engine|segments|recommendations|campaigns|journeys|all]"; exit 2 ;;
esac
