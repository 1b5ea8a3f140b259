#!/usr/bin/env bash
# Resident memory of the dashboard while it records real calls (ptybench calls): the release binary
# in a pty against a standalone loopback sandbox, `r` pressed until the sandbox has answered
# TARGET requests from it, VmRSS read from /proc/PID/status every TARGET/10 calls.
#   benches/memory.sh [TARGET]     (default 10000; SKIP_BUILD=1 to reuse the binaries)
source "$(dirname "$0")/lib.sh"
TARGET="${1:-10000}"
active_home
timeout 700 "$PTYBENCH" calls --target "$TARGET" \
  --state "$SANDBOX_URL/_sandbox/state" -- "$BIN" --home "$home" --base-url "$SANDBOX_URL" \
  --secret-store file
