#!/usr/bin/env bash
# Idle cost of the dashboard (ptybench idle): after start-up settles, 60 s with no input and no
# revalidation due; CPU from /proc/PID/stat (utime+stime), frames counted as ESC[?2026l in the pty.
#   benches/idle.sh [SECS]     (default 60; SKIP_BUILD=1 to reuse the binaries)
source "$(dirname "$0")/lib.sh"
SECS="${1:-60}"
active_home

echo "== active dashboard (countdown and 'ago' on screen), revalidation every 30 min"
timeout $((SECS + 60)) "$PTYBENCH" idle --secs "$SECS" -- \
  "$BIN" --home "$home" --base-url "$SANDBOX_URL" --secret-store file --revalidate-every 30m

echo "== welcome screen (no key, nothing on screen that moves)"
timeout $((SECS + 60)) "$PTYBENCH" idle --secs "$SECS" -- \
  "$BIN" --home "$WORK/empty" --secret-store file
