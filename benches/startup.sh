#!/usr/bin/env bash
# Start-up to the first drawn frame of the release binary in a 160x48 pty (ptybench startup):
# the time from spawn until the first synchronized-update end (ESC[?2026l) is read.
#   benches/startup.sh [RUNS]        (default 20; SKIP_BUILD=1 to reuse the binaries)
source "$(dirname "$0")/lib.sh"
RUNS="${1:-20}"
build
start_sandbox

echo "== --sandbox (in-process fake Pleo; seeds the demo key through the in-memory store first)"
timeout 300 "$PTYBENCH" startup --runs "$RUNS" -- "$BIN" --sandbox

echo "== empty home (no key: the welcome screen), file store"
timeout 300 "$PTYBENCH" startup --runs "$RUNS" -- \
  "$BIN" --home "$WORK/empty" --secret-store file

echo "== the same, with --theme default: no question to the terminal about its colours"
timeout 300 "$PTYBENCH" startup --runs "$RUNS" -- \
  "$BIN" --home "$WORK/empty" --secret-store file --theme default

echo "== configured home: the key in the file store (work factor 10), standalone sandbox"
home="$WORK/configured"
file_home "$home"
timeout 300 "$PTYBENCH" startup --runs "$RUNS" -- \
  "$BIN" --home "$home" --base-url "$SANDBOX_URL" --secret-store file
