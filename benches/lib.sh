# Shared by the bench scripts: build once, start a loopback sandbox, clean up on exit.
# Sourced, not run. Only 127.0.0.1 is ever contacted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/pleo-keys"
PTYBENCH="$TARGET_DIR/release/examples/ptybench"
PROXYLOAD="$TARGET_DIR/release/examples/proxyload"
HEALTHY_KEY="pls_0f3c9a7e21d84b6fa5c2e9d17b40c8e3_7d21a4"  # the sandbox's public demo key
ACME_ID="11111111-1111-4111-8111-111111111111"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pleo-keys-bench.XXXXXX")"
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# build [EXAMPLE...]: the release binary, then the examples named (default: ptybench).
build() {
  local example
  if [[ "${SKIP_BUILD:-}" != 1 ]]; then
    # Separately: building an example unifies dev-dependency features into the shared crates,
    # and the binary measured must be the one `cargo build --release` makes.
    (cd "$ROOT" && cargo build --release --quiet --bin pleo-keys)
    for example in "${@:-ptybench}"; do
      (cd "$ROOT" && cargo build --release --quiet --example "$example")
    done
  fi
}

# start_sandbox: a standalone sandbox on a free loopback port; sets SANDBOX_URL.
start_sandbox() {
  local out="$WORK/sandbox.out" i
  "$BIN" --home "$WORK/sandbox-home" sandbox --port 0 >"$out" 2>&1 &
  PIDS+=($!)
  for i in $(seq 1 100); do
    SANDBOX_URL="$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$out" || true)"
    [[ -n "$SANDBOX_URL" ]] && return 0
    sleep 0.05
  done
  echo "the sandbox did not start:" >&2
  cat "$out" >&2
  exit 1
}

# sandbox_requests: how many API requests the sandbox has answered so far.
sandbox_requests() {
  curl -sf -m 5 "$SANDBOX_URL/_sandbox/state" | grep -o '"requestCount":[0-9]*' | cut -d: -f2
}

# sandbox_slow MS: the sandbox waits MS ms before answering each API request (0: not at all).
sandbox_slow() {
  curl -sf -m 5 -X POST -d "{\"slow_ms\":$1}" "$SANDBOX_URL/_sandbox/faults" >/dev/null
}

# file_home DIR: the healthy key set once with `set-key` into DIR's file store (cheap scrypt:
# work factor 10); exports the passphrase and the work factor for later commands.
file_home() {
  export PLEO_KEYS_PASSPHRASE="bench-only-passphrase" PLEO_KEYS_SCRYPT_WORK_FACTOR=10
  printf '%s\n' "$HEALTHY_KEY" |
    "$BIN" --home "$1" --base-url "$SANDBOX_URL" --secret-store file set-key >/dev/null
}

# active_home: build, start the sandbox, and set the healthy key in $WORK/home's file store
# (sets home), so the dashboard there opens on an active key. (A PLEO_API_KEY run stores
# nothing, so it cannot prepare a home.)
active_home() {
  build
  start_sandbox
  home="$WORK/home"
  file_home "$home"
}

# median of numbers on stdin, and the min/max spread
summarise() {
  sort -g | awk '{a[NR]=$1} END {
    m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2;
    printf "median %.2f (min %.2f, p25 %.2f, p75 %.2f, max %.2f; n=%d)\n", m, a[1], a[int((NR-1)*0.25+1.5)], a[int((NR-1)*0.75+1.5)], a[NR], NR }'
}
