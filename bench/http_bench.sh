#!/usr/bin/env bash
# HTTP throughput of the wasmcloud:httpserver provider against nginx on the same machine.
#
#   bench/http_bench.sh                 # uses ./build (or WC_BUILD_DIR); builds nothing
#
# Runs `wasmcloud up` with a temporary manifest (the upstream echo actor behind
# providers/httpserver.par.gz on 127.0.0.1:<free port>), then nginx (`return 200 "hello"`,
# its own pid, logs and temp paths in a temporary directory, so any user can run it), and
# the same wrk load against each: wrk -t2 -c50 -d10s --latency http://127.0.0.1:PORT/bench?x=1
# Prints requests/s and p99 latency of each and the ratio ours/nginx.
# Knobs: WRK_THREADS (2), WRK_CONNECTIONS (50), WRK_DURATION (10s), WC_SHARED_DIR,
# WASMCLOUD_WORKERS (the host's worker count; 0 = one per core).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${WC_BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
SHARED=${WC_SHARED_DIR:-$ROOT/../shared}
THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-50}
DURATION=${WRK_DURATION:-10s}

WASMCLOUD="$BUILD/wasmcloud"
ARCHIVE="$BUILD/providers/httpserver.par.gz"
ECHO="$SHARED/fixtures/wc-host-0.18/echo.wasm"
ECHO_KEY=MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5

die() { echo "http_bench: $*" >&2; exit 1; }

for f in "$WASMCLOUD" "$ARCHIVE" "$ECHO"; do
  [ -e "$f" ] || die "$f is missing (build the wasmcloud and httpserver_par targets first)"
done

# The tools, from Debian packages when missing.
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
if ! command -v wrk > /dev/null || [ -z "$NGINX" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq nginx-light wrk > /dev/null
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
command -v curl > /dev/null || die "curl is needed to wait for the servers"

TMP=$(mktemp -d)
UP_PID=""
NGINX_PID=""
cleanup() {
  for pid in $UP_PID $NGINX_PID; do
    kill -TERM "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something answers HTTP on the port (any status), at most 60 s.
wait_http() {
  local port=$1 pid=$2
  for _ in $(seq 600); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then return 0; fi
    kill -0 "$pid" 2> /dev/null || return 1
    sleep 0.1
  done
  return 1
}

# wrk against the port; prints "<requests/s> <p99>" and keeps wrk's full report.
run_wrk() {
  local port=$1 report=$2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    "http://127.0.0.1:$port/bench?x=1" > "$report"
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$report")
  p99=$(awk '$1 == "99%" {print $2}' "$report")
  echo "$rps $p99"
}

# --- ours -------------------------------------------------------------------------------
PROVIDER_KEY=$("$WASMCLOUD" par inspect "$ARCHIVE" -o json | grep -o '"sub":"V[A-Z0-9]*"' |
  head -1 | cut -d'"' -f4)
[ -n "$PROVIDER_KEY" ] || die "cannot read the provider key of $ARCHIVE"
OUR_PORT=$(free_port)
cat > "$TMP/bench.yaml" << EOF
actors:
  - $ECHO
capabilities:
  - image_ref: $ARCHIVE
links:
  - actor: $ECHO_KEY
    contract_id: wasmcloud:httpserver
    provider_id: $PROVIDER_KEY
    values:
      ADDRESS: 127.0.0.1
      PORT: $OUR_PORT
EOF
TMPDIR="$TMP" "$WASMCLOUD" up --manifest "$TMP/bench.yaml" 2> "$TMP/up.log" &
UP_PID=$!
wait_http "$OUR_PORT" "$UP_PID" || { cat "$TMP/up.log" >&2; die "wasmcloud up did not serve port $OUR_PORT"; }
echo "== wasmcloud httpserver + echo.wasm on 127.0.0.1:$OUR_PORT"
read -r OUR_RPS OUR_P99 < <(run_wrk "$OUR_PORT" "$TMP/ours.txt")
cat "$TMP/ours.txt"
kill -TERM "$UP_PID"
wait "$UP_PID" || true
UP_PID=""

# --- nginx ------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx/logs"
cat > "$TMP/nginx/nginx.conf" << EOF
daemon off;
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/client_body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { return 200 "hello"; }
  }
}
EOF
"$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/logs/error.log" -c "$TMP/nginx/nginx.conf" &
NGINX_PID=$!
wait_http "$NGINX_PORT" "$NGINX_PID" || { cat "$TMP/nginx/logs/error.log" >&2; die "nginx did not start"; }
echo "== nginx return 200 on 127.0.0.1:$NGINX_PORT"
read -r NGINX_RPS NGINX_P99 < <(run_wrk "$NGINX_PORT" "$TMP/nginx.txt")
cat "$TMP/nginx.txt"
kill -QUIT "$NGINX_PID"
wait "$NGINX_PID" || true
NGINX_PID=""

# --- summary ----------------------------------------------------------------------------
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $(nproc) cores"
printf '%-34s %12s %10s\n' "server" "requests/s" "p99"
printf '%-34s %12s %10s\n' "wasmcloud httpserver + echo.wasm" "$OUR_RPS" "$OUR_P99"
printf '%-34s %12s %10s\n' "nginx return 200" "$NGINX_RPS" "$NGINX_P99"
python3 -c "print('ratio ours/nginx: %.2f' % ($OUR_RPS / $NGINX_RPS))"
