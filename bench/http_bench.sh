#!/usr/bin/env bash
# HTTP throughput of the wasmcloud:httpserver provider against nginx on the same machine.
#
#   bench/http_bench.sh                 # uses ./build (or WC_BUILD_DIR); builds nothing
#   RUNS=3 WC_BASELINE_BUILD_DIR=/tmp/before bench/http_bench.sh   # paired runs, before/after
#
# Runs `wasmcloud up` with a temporary manifest (the upstream echo actor behind
# providers/httpserver.par.gz on 127.0.0.1:<free port>), then nginx (`return 200 "hello"`,
# its own pid, logs and temp paths in a temporary directory, so any user can run it), and
# the same wrk load against each: wrk -t2 -c50 -d10s --latency http://127.0.0.1:PORT/bench?x=1
# For each it prints requests/s, p99 latency, the server's CPU time per request (user +
# system time of `wasmcloud up`, or of nginx's workers, over the wrk run, divided by the
# requests wrk counted) and its context switches per request; then the ratios ours/nginx.
# With WC_BASELINE_BUILD_DIR (another build dir holding wasmcloud and
# providers/httpserver.par.gz, e.g. one built from the commit before) that build is measured
# too, right before ours in each run. RUNS (1) repeats the whole set; with more than one
# run the summary gives min / median / max of each figure (ratios within one run).
# Knobs: WRK_THREADS (2; at most WRK_CONNECTIONS), WRK_CONNECTIONS (50), WRK_DURATION (10s),
# RUNS (1), WC_BASELINE_BUILD_DIR, WC_SHARED_DIR, WASMCLOUD_WORKERS (the host's worker
# count; 0 = one per core).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
abs_dir() { case "$1" in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BUILD=$(abs_dir "${WC_BUILD_DIR:-build}")
BASELINE=""
[ -z "${WC_BASELINE_BUILD_DIR:-}" ] || BASELINE=$(abs_dir "$WC_BASELINE_BUILD_DIR")
SHARED=${WC_SHARED_DIR:-$ROOT/../shared}
CONNECTIONS=${WRK_CONNECTIONS:-50}
THREADS=${WRK_THREADS:-2}
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS  # wrk refuses more threads
DURATION=${WRK_DURATION:-10s}
RUNS=${RUNS:-1}

ECHO="$SHARED/fixtures/wc-host-0.18/echo.wasm"
ECHO_KEY=MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5

die() { echo "http_bench: $*" >&2; exit 1; }

for dir in "$BUILD" $BASELINE; do
  for f in "$dir/wasmcloud" "$dir/providers/httpserver.par.gz"; do
    [ -e "$f" ] || die "$f is missing (build the wasmcloud and httpserver_par targets first)"
  done
done
[ -e "$ECHO" ] || die "$ECHO is missing"

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
SERVER_PID=""
cleanup() {
  for pid in $SERVER_PID; do
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

# User + system time of the processes, in clock ticks (every thread, live ones only).
cpu_ticks() {
  local total=0 t pid
  for pid in "$@"; do
    # The fields after "pid (comm) ": utime and stime are the 12th and 13th.
    t=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')
    total=$((total + t))
  done
  echo "$total"
}
# Voluntary + involuntary context switches of every thread of the processes.
context_switches() {
  local pid
  for pid in "$@"; do cat /proc/"$pid"/task/*/status 2> /dev/null; done |
    awk '/ctxt_switches/ {s += $2} END {print s + 0}'
}

# wrk against the port while measuring the pids' CPU; prints
# "<requests/s> <p99 in ms> <CPU µs per request> <context switches per request>" and keeps
# wrk's full report.
run_wrk() {
  local port=$1 report=$2
  shift 2
  local ticks0 cs0 ticks1 cs1
  ticks0=$(cpu_ticks "$@")
  cs0=$(context_switches "$@")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    "http://127.0.0.1:$port/bench?x=1" > "$report"
  ticks1=$(cpu_ticks "$@")
  cs1=$(context_switches "$@")
  awk -v dt=$((ticks1 - ticks0)) -v dcs=$((cs1 - cs0)) -v hz="$(getconf CLK_TCK)" '
    function ms(v) {  # wrk prints 812.00us, 2.31ms, 1.02s
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /s$/) return v * 1000
      return v
    }
    /^Requests\/sec:/ {rps = $2}
    $1 == "99%" {p99 = ms($2)}
    / requests in / {n = $1}
    END {
      if (n == 0) n = -1
      printf "%s %.2f %.2f %.3f\n", rps, p99, dt * 1e6 / hz / n, dcs / n
    }
  ' "$report"
}

# `wasmcloud up` of the build dir $1 with echo behind its archive; wrk; stop. Prints the
# figures of run_wrk.
bench_ours() {
  local build=$1 name=$2 key port
  key=$("$build/wasmcloud" par inspect "$build/providers/httpserver.par.gz" -o json |
    grep -o '"sub":"V[A-Z0-9]*"' | head -1 | cut -d'"' -f4)
  [ -n "$key" ] || die "cannot read the provider key of $build/providers/httpserver.par.gz"
  port=$(free_port)
  cat > "$TMP/bench.yaml" << EOF
actors:
  - $ECHO
capabilities:
  - image_ref: $build/providers/httpserver.par.gz
links:
  - actor: $ECHO_KEY
    contract_id: wasmcloud:httpserver
    provider_id: $key
    values:
      ADDRESS: 127.0.0.1
      PORT: $port
EOF
  TMPDIR="$TMP" "$build/wasmcloud" up --manifest "$TMP/bench.yaml" > "$TMP/up.log" 2>&1 &
  SERVER_PID=$!
  wait_http "$port" "$SERVER_PID" || {
    cat "$TMP/up.log" >&2
    die "wasmcloud up did not serve port $port"
  }
  echo "== $name: wasmcloud httpserver + echo.wasm on 127.0.0.1:$port ($build)" >&2
  run_wrk "$port" "$TMP/$name.txt" "$SERVER_PID"
  cat "$TMP/$name.txt" >&2
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
}

bench_nginx() {
  local port workers
  port=$(free_port)
  rm -rf "$TMP/nginx"
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
    listen 127.0.0.1:$port;
    location / { return 200 "hello"; }
  }
}
EOF
  "$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/logs/error.log" -c "$TMP/nginx/nginx.conf" > /dev/null &
  SERVER_PID=$!
  wait_http "$port" "$SERVER_PID" || {
    cat "$TMP/nginx/logs/error.log" >&2
    die "nginx did not start"
  }
  workers=$(pgrep -P "$SERVER_PID" | tr '\n' ' ')
  echo "== nginx return 200 on 127.0.0.1:$port (workers $workers)" >&2
  # shellcheck disable=SC2086  # one argument per worker
  run_wrk "$port" "$TMP/nginx.txt" $workers
  cat "$TMP/nginx.txt" >&2
  kill -QUIT "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
}

# --- the runs: each measures every server back to back ----------------------------------
: > "$TMP/results"  # lines "<run> <server> <rps> <p99 ms> <cpu µs/req> <cs/req>"
for run in $(seq "$RUNS"); do
  echo "=== run $run of $RUNS" >&2
  if [ -n "$BASELINE" ]; then
    echo "$run baseline $(bench_ours "$BASELINE" baseline)" >> "$TMP/results"
  fi
  echo "$run ours $(bench_ours "$BUILD" ours)" >> "$TMP/results"
  echo "$run nginx $(bench_nginx)" >> "$TMP/results"
done

# --- summary ----------------------------------------------------------------------------
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $(nproc) cores, $RUNS run(s)" \
  "(min / median / max; ratios within each run)"
python3 - "$TMP/results" << 'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
runs = {}
for run, server, rps, p99, cpu, cs in rows:
    runs.setdefault(run, {})[server] = (float(rps), float(p99), float(cpu), float(cs))
names = {"baseline": "baseline httpserver + echo.wasm", "ours": "wasmcloud httpserver + echo.wasm",
         "nginx": "nginx return 200"}
def fmt(values, spec):
    values = sorted(values)
    if len(values) == 1:
        return format(values[0], spec)
    return " / ".join(format(v, spec) for v in (values[0], statistics.median(values), values[-1]))
print("%-32s  %-24s  %-20s  %-20s  %s" % ("server", "requests/s", "p99 ms", "CPU µs/request",
                                          "context switches/request"))
servers = [s for s in ("baseline", "ours", "nginx") if any(s in r for r in runs.values())]
for s in servers:
    col = lambda i: [r[s][i] for r in runs.values() if s in r]
    print("%-32s  %-24s  %-20s  %-20s  %s" % (names[s], fmt(col(0), ".0f"), fmt(col(1), ".2f"),
                                              fmt(col(2), ".2f"), fmt(col(3), ".3f")))
for s in [s for s in servers if s != "nginx"]:
    ratio = [r[s][0] / r["nginx"][0] for r in runs.values()]
    cpu = [r[s][2] / r["nginx"][2] for r in runs.values() if r["nginx"][2] > 0]
    print("%s/nginx: requests/s %s, CPU per request %s" % (s, fmt(ratio, ".2f"), fmt(cpu, ".2f")))
if "baseline" in servers:
    gain = [r["ours"][0] / r["baseline"][0] for r in runs.values()]
    print("ours/baseline: requests/s %s" % fmt(gain, ".3f"))
EOF
