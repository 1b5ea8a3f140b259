#!/usr/bin/env bash
# The gateway's cost (examples/proxyload.rs): a standalone loopback sandbox, the healthy key set
# once in a file-store home, `pleo-keys proxy --listen 127.0.0.1:0` on it. In one run:
#   1. added latency: GET /v1/introspect sent sequentially to the sandbox (with the key) and through
#      the proxy (with its token), interleaved, ROUNDS x PAIRS pairs: p50/p99 of each, difference;
#      again pinned with taskset: all on one CPU, and the proxy alone on another
#   2. throughput with 16 and 64 clients (each one keep-alive connection), REQS requests a run,
#      direct and through the proxy alternately, 3 runs each
#   3. the proxy's VmRSS/VmHWM and open fds after warm-up, then every 10 000 of 100 000 more
#      proxied requests (16 clients), and its CPU time per request (and the sandbox's)
#   4. the syscalls of 2 000 proxied requests (strace -c attached to the proxy), when it can trace
#   5. the fds again once the upstream pool's idle connections are dropped (reqwest: idle 90 s,
#      checked every 90 s), polled every 15 s for at most IDLE_WAIT s (default 210)
# Client, proxy and sandbox share the machine's cores.
#   benches/proxy.sh [PAIRS] [REQS]  (default 2000 pairs a round, 20000 requests a throughput run;
#                                     SKIP_BUILD=1 to reuse the binaries)
source "$(dirname "$0")/lib.sh"
PAIRS="${1:-2000}"
REQS="${2:-20000}"
ROUNDS=5
SOAK=100000
IDLE_WAIT="${IDLE_WAIT:-210}"
build proxyload
start_sandbox
SANDBOX_PID=${PIDS[0]}
home="$WORK/home"
file_home "$home"

"$BIN" --home "$home" --base-url "$SANDBOX_URL" --secret-store file proxy \
  --listen 127.0.0.1:0 >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
for _ in $(seq 1 100); do
  PROXY_URL="$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$WORK/proxy.out" || true)"
  [[ -n "$PROXY_URL" ]] && break
  sleep 0.05
done
[[ -n "$PROXY_URL" ]] || { echo "the proxy did not start:" >&2; cat "$WORK/proxy.err" >&2; exit 1; }
TOKEN="$(cat "$home/proxy.token")"
echo "sandbox $SANDBOX_URL (pid $SANDBOX_PID), proxy $PROXY_URL (pid $PROXY_PID)"
curl -sf -m 5 -u "$TOKEN:" "$PROXY_URL/v1/introspect" >/dev/null ||
  { echo "the proxy does not forward:" >&2; cat "$WORK/proxy.err" >&2; exit 1; }

# mem LABEL: the proxy's resident memory and open file descriptors
mem() {
  local rss hwm fds sockets
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PROXY_PID/status")
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$PROXY_PID/status")
  fds=$(find "/proc/$PROXY_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
  sockets=$(find "/proc/$PROXY_PID/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' | wc -l)
  printf '  %-28s VmRSS %5.1f MiB  VmHWM %5.1f MiB  fds %3d (sockets %3d)  calls.jsonl %6d bytes\n' \
    "$1" "$(echo "$rss / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)" "$fds" "$sockets" \
    "$(stat -c %s "$home/history/calls.jsonl" 2>/dev/null || echo 0)"
}
# cpu_ticks PID: utime + stime, in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() { timeout 600 "$PROXYLOAD" "$@"; }
direct() { load throughput --url "$SANDBOX_URL" --user "$HEALTHY_KEY" "$@"; }
proxied() { load throughput --url "$PROXY_URL" --user "$TOKEN" "$@"; }

echo
echo "== memory at start"
mem "after start"
find "/proc/$PROXY_PID/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' | wc -l >"$WORK/sockets.start"

echo
echo "== 1. added latency"
load latency --direct "$SANDBOX_URL" --direct-user "$HEALTHY_KEY" \
  --proxy "$PROXY_URL" --proxy-user "$TOKEN" --n "$PAIRS" --rounds "$ROUNDS" --warmup 200 |
  tee "$WORK/latency.out" | grep -v '^RESULT'
mem "after warm-up ($((ROUNDS * PAIRS + 201)) req)"

echo
echo "== 1b. the same with the three processes pinned (taskset): what crossing vCPUs costs"
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
  cpus=$(taskset -p -c "$PROXY_PID" | awk '{print $NF}')
  pin() {
    taskset -a -p -c "$1" "$PROXY_PID" >/dev/null
    taskset -a -p -c "$2" "$SANDBOX_PID" >/dev/null
  }
  pinned_latency() {
    timeout 600 taskset -c 0 "$PROXYLOAD" latency --direct "$SANDBOX_URL" --direct-user "$HEALTHY_KEY" \
      --proxy "$PROXY_URL" --proxy-user "$TOKEN" --n "$PAIRS" --rounds 3 --warmup 200 | grep -v '^RESULT'
  }
  echo "client, proxy and sandbox all on CPU 0 (every hop a same-CPU wake-up):"
  pin 0 0
  pinned_latency
  echo "client and sandbox on CPU 0, the proxy on CPU 1 (both of the proxy's hops cross vCPUs):"
  pin 1 0
  pinned_latency
  pin "$cpus" "$cpus"
else
  echo "taskset or a second CPU is missing: skipped"
fi

echo
echo "== 2. throughput, $REQS requests a run"
for clients in 16 64; do
  for run in 1 2 3; do
    echo "direct, run $run:"
    direct --clients "$clients" --requests "$REQS" | tee -a "$WORK/direct.$clients" | grep -v '^RESULT'
    echo "proxy, run $run:"
    proxied --clients "$clients" --requests "$REQS" | tee -a "$WORK/proxy.$clients" | grep -v '^RESULT'
  done
done
for clients in 16 64; do
  for where in direct proxy; do
    printf '%-6s %2d clients, req/s: %s\n' "$where" "$clients" \
      "$(grep -o 'rps=[0-9.]*' "$WORK/$where.$clients" | cut -d= -f2 | summarise)"
  done
done
mem "after the throughput runs"

echo
echo "== 3. $SOAK more proxied requests, 16 clients"
mem "before"
p0=$(cpu_ticks "$PROXY_PID"); s0=$(cpu_ticks "$SANDBOX_PID"); t0=${EPOCHREALTIME/./}
for i in $(seq 1 10); do
  proxied --clients 16 --requests $((SOAK / 10)) | grep '^RESULT' >>"$WORK/soak" ||
    { echo "a soak batch failed" >&2; exit 1; }
  mem "after $((i * SOAK / 10))"
done
p1=$(cpu_ticks "$PROXY_PID"); s1=$(cpu_ticks "$SANDBOX_PID"); t1=${EPOCHREALTIME/./}
hz=$(getconf CLK_TCK)
awk -v p=$((p1 - p0)) -v s=$((s1 - s0)) -v hz="$hz" -v n="$SOAK" -v us=$((t1 - t0)) 'BEGIN {
  printf "  %d requests in %.1f s; CPU per request: proxy %.0f us, sandbox %.0f us (ticks of 1/%d s)\n",
    n, us / 1e6, p / hz * 1e6 / n, s / hz * 1e6 / n, hz }'
errors=$(grep -o 'errors=[0-9]*' "$WORK/soak" | cut -d= -f2 | paste -sd+ | bc)
echo "  errors in the soak: $errors"

echo
echo "== 4. syscalls per proxied request (strace -c attached to the proxy, 2 000 requests)"
if ! command -v strace >/dev/null; then
  echo "strace is not installed (apt-get install -y strace): skipped"
elif ! strace -o /dev/null true 2>/dev/null; then
  echo "strace cannot trace here: skipped"
else
  strace -f -c -p "$PROXY_PID" -o "$WORK/proxy.strace" 2>/dev/null &
  STRACE_PID=$!
  PIDS+=("$STRACE_PID")
  sleep 1
  proxied --clients 1 --requests 2000 | grep -v '^RESULT'
  kill -INT "$STRACE_PID"
  wait "$STRACE_PID" 2>/dev/null || true
  awk 'NR > 2 && $NF != "syscall" && $1 !~ /^-/ && $4 ~ /^[0-9]+$/ {
    printf "  %-16s %8d calls  %6.2f a request\n", $NF, $4, $4 / 2001 }' "$WORK/proxy.strace" |
    sort -k2 -nr | head -20
  mem "at the end"
fi

echo
echo "== 5. without traffic, until the upstream pool's idle connections are gone (at most $IDLE_WAIT s)"
# reqwest drops a connection idle for 90 s, checking every 90 s: up to 180 s after its last use.
start_sockets=$(head -1 "$WORK/sockets.start")
waited=0
for waited in $(seq 15 15 "$IDLE_WAIT"); do
  sleep 15
  now=$(find "/proc/$PROXY_PID/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' | wc -l)
  ((now <= start_sockets)) && break
done
mem "idle ${waited} s"
