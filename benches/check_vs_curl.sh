#!/usr/bin/env bash
# A routine `pleo-keys check` against a standalone loopback sandbox vs curl making the same three
# requests (introspect, installations/me?company_id=, companies/{id}) in ONE curl invocation
# (sequential, one reused connection), with the sandbox answering at once and with 50 ms added to
# every request. The "added time" t(50 ms) - t(0 ms) is what the network costs each of them.
# Checks: the key in the file store (set once with set-key, scrypt work factor 10: check_file), in
# PLEO_API_KEY with a home that has no state (check_env: nothing is ever stored, so the company's
# name is read every time) and in PLEO_API_KEY with the file home (check_env_st: its state names the
# company). At 0 ms also `--version` (bare start-up), `status` (start-up, reading the home and
# building the HTTP client, no network) and `status` with a one-certificate CA store, to show
# where local time goes. Then the files a routine check syncs and renames (strace, when it can
# trace). All cases alternate, in one run.
#   benches/check_vs_curl.sh [RUNS]     (default 20 per case and latency; SKIP_BUILD=1 to reuse)
source "$(dirname "$0")/lib.sh"
RUNS="${1:-20}"
SLOW_MS=50
command -v curl >/dev/null || { echo "curl is needed: apt-get install -y curl" >&2; exit 1; }
build
start_sandbox
file_home "$WORK/file-home" # exports the passphrase and work factor 10
env_home="$WORK/env-home"

cmd_file() { "$BIN" --home "$WORK/file-home" --base-url "$SANDBOX_URL" --secret-store file "$@"; }
check_file() { cmd_file check >/dev/null; }
check_env() {
  PLEO_API_KEY="$HEALTHY_KEY" "$BIN" --home "$env_home" --base-url "$SANDBOX_URL" check >/dev/null
}
check_env_st() { PLEO_API_KEY="$HEALTHY_KEY" cmd_file check >/dev/null; }
curl3() {
  curl -sf -m 5 -u "$HEALTHY_KEY:" -o /dev/null -o /dev/null -o /dev/null \
    "$SANDBOX_URL/v1/introspect" \
    "$SANDBOX_URL/v1/installations/me?company_id=$ACME_ID" \
    "$SANDBOX_URL/v1/companies/$ACME_ID"
}
version() { "$BIN" --version >/dev/null; }
status() { cmd_file status >/dev/null; }
# status with the system's CA store cut to one certificate (rustls-native-certs reads these two):
# what loading the ~150 CA files costs every process that makes an HTTP client
one_ca="$(find /etc/ssl/certs -name '*.pem' -print -quit 2>/dev/null || true)"
status_1ca() { SSL_CERT_FILE="$one_ca" SSL_CERT_DIR="$WORK/no-certs" cmd_file status >/dev/null; }
mkdir -p "$WORK/no-certs"

# microseconds a command takes; bash's own clock, no fork around the measured command
us() {
  local s=${EPOCHREALTIME/./} e
  "$@"
  e=${EPOCHREALTIME/./}
  echo $((e - s))
}
as_ms() { awk '{printf "%.3f\n", $1 / 1000}'; }
median_of() { as_ms <"$1" | summarise | awk '{print $2}'; }

# set-key activated the key in the file home; later checks there are routine (the company's name
# is younger than a day). A PLEO_API_KEY check stores nothing, so each is like the first.
check_file
check_env
for variant in check_file check_env check_env_st curl3; do
  before=$(sandbox_requests)
  $variant
  after=$(sandbox_requests)
  echo "$variant: $((after - before)) requests to the sandbox"
done

cases_0=(version status check_file check_env check_env_st curl3)
[[ -n "$one_ca" ]] && cases_0+=(status_1ca)
cases_50=(check_file check_env check_env_st curl3)
for c in "${cases_0[@]}"; do : >"$WORK/$c.0"; done
for c in "${cases_50[@]}"; do : >"$WORK/$c.$SLOW_MS"; done
for run in $(seq 1 "$RUNS"); do
  for ms in 0 "$SLOW_MS"; do
    sandbox_slow "$ms"
    if [[ $ms == 0 ]]; then cases=("${cases_0[@]}"); else cases=("${cases_50[@]}"); fi
    # Rotate the order every run, so no case always follows another.
    n=${#cases[@]}
    for i in $(seq 0 $((n - 1))); do
      c=${cases[$(((i + run) % n))]}
      us "$c" >>"$WORK/$c.$ms"
    done
  done
done
sandbox_slow 0

echo
echo "== wall time per command, ms ($RUNS runs each, alternating)"
for c in "${cases_0[@]}"; do
  printf '%-12s   0 ms: %s\n' "$c" "$(as_ms <"$WORK/$c.0" | summarise)"
done
for c in "${cases_50[@]}"; do
  printf '%-12s %3s ms: %s\n' "$c" "$SLOW_MS" "$(as_ms <"$WORK/$c.$SLOW_MS" | summarise)"
done

echo
echo "== added time t($SLOW_MS ms) - t(0 ms), from the medians; and the per-run differences"
declare -A added
for c in "${cases_50[@]}"; do
  m0=$(median_of "$WORK/$c.0")
  m50=$(median_of "$WORK/$c.$SLOW_MS")
  added[$c]=$(awk -v a="$m50" -v b="$m0" 'BEGIN {printf "%.2f", a - b}')
  paste "$WORK/$c.$SLOW_MS" "$WORK/$c.0" | awk '{print $1 - $2}' >"$WORK/$c.added"
  printf '%-12s added %6.2f ms; per run: %s\n' "$c" "${added[$c]}" \
    "$(as_ms <"$WORK/$c.added" | summarise)"
done
for c in check_file check_env check_env_st; do
  echo "$c added / curl3 added: $(awk -v a="${added[$c]}" -v b="${added[curl3]}" \
    'BEGIN {printf "%.2f", a / b}') (goal < 0.5)"
  echo "$c at 0 ms / curl3 at 0 ms: $(awk -v a="$(median_of "$WORK/$c.0")" \
    -v b="$(median_of "$WORK/curl3.0")" 'BEGIN {printf "%.2f", a / b}') (goal <= 1.5)"
done

echo
echo "== the files a routine check (verdict unchanged) syncs, renames and opens to write (strace)"
# trace_files LABEL HOME CMD...: the counts of the syscalls below, then which files they touched
trace_files() {
  local label=$1 dir=$2 syscalls=fsync,fdatasync,openat,rename,renameat,renameat2
  shift 2
  echo "$label:"
  strace -f -c -e trace=$syscalls -o "$WORK/strace.count" "$@" >/dev/null
  # the summary's rows: calls (and errors) per syscall
  awk '$NF ~ /^(fsync|fdatasync|openat|rename|renameat|renameat2|total)$/ {
    printf "  %-10s %4d calls, %d errors\n", $NF, $4, (NF == 6 ? $5 : 0) }' "$WORK/strace.count"
  strace -f -y -e trace=$syscalls -o "$WORK/strace.trace" "$@" >/dev/null
  echo "  of the opens, under /etc/ssl (the CA store): $(grep -c 'openat(.*"/etc/ssl' "$WORK/strace.trace")"
  echo "  fsync/fdatasync of:"
  grep -E '(fsync|fdatasync)\(' "$WORK/strace.trace" | grep -o '<[^>]*>' | sed "s#$dir#HOME#;s#^#    #" || true
  echo "  renames:"
  grep -E 'rename(at2?)?\(' "$WORK/strace.trace" | grep -oE '"[^"]*", "[^"]*"|"[^"]*", [^,]*, "[^"]*"' |
    sed "s#$dir#HOME#g;s#^#    #" || true
  echo "  opened for writing:"
  grep -E 'openat\(.*O_(WRONLY|RDWR|CREAT)' "$WORK/strace.trace" | grep -v ENOENT |
    grep -oE '"[^"]*"' | sed "s#$dir#HOME#;s#^#    #" | sort | uniq -c || true
}
if ! command -v strace >/dev/null; then
  echo "strace is not installed (apt-get install -y strace): skipped"
elif ! strace -o /dev/null true 2>/dev/null; then
  echo "strace cannot trace here (ptrace not permitted): skipped"
else
  trace_files "check_file" "$WORK/file-home" \
    "$BIN" --home "$WORK/file-home" --base-url "$SANDBOX_URL" --secret-store file check
  trace_files "check_env" "$env_home" \
    env PLEO_API_KEY="$HEALTHY_KEY" "$BIN" --home "$env_home" --base-url "$SANDBOX_URL" check
fi
