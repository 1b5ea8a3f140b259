#!/usr/bin/env bash
# `pleo-keys check` against a standalone loopback sandbox vs curl making the same HTTP requests in
# sequence (one curl process per request, as a shell script would). The key comes from
# PLEO_API_KEY, so no key store (and no scrypt) is involved. Runs alternate, both in one run.
#   benches/check_vs_curl.sh [RUNS]     (default 30; SKIP_BUILD=1 to reuse the binaries)
source "$(dirname "$0")/lib.sh"
RUNS="${1:-30}"
command -v curl >/dev/null || { echo "curl is needed: apt-get install -y curl" >&2; exit 1; }
build
start_sandbox
home="$WORK/home"
export PLEO_API_KEY="$HEALTHY_KEY"
check() { "$BIN" --home "$home" --base-url "$SANDBOX_URL" check >/dev/null; }
requests() {
  curl -sf -m 5 -u "$HEALTHY_KEY:" "$SANDBOX_URL/v1/introspect" >/dev/null
  curl -sf -m 5 -u "$HEALTHY_KEY:" "$SANDBOX_URL/v1/installations/me?company_id=$ACME_ID" >/dev/null
  curl -sf -m 5 -u "$HEALTHY_KEY:" "$SANDBOX_URL/v1/companies/$ACME_ID" >/dev/null
}
ms() { local s e; s=$(date +%s%N); "$@"; e=$(date +%s%N); echo "scale=3; ($e - $s) / 1000000" | bc; }
# The first check activates the key the state does not know yet; later ones revalidate.
check
before=$(curl -sf "$SANDBOX_URL/_sandbox/state" | grep -o '"requestCount":[0-9]*' | cut -d: -f2)
check
after=$(curl -sf "$SANDBOX_URL/_sandbox/state" | grep -o '"requestCount":[0-9]*' | cut -d: -f2)
echo "one revalidating check makes $((after - before)) requests; curl makes 3"
: >"$WORK/check.ms"; : >"$WORK/curl.ms"
for _ in $(seq 1 "$RUNS"); do
  ms check >>"$WORK/check.ms"
  ms requests >>"$WORK/curl.ms"
done
c=$(summarise <"$WORK/check.ms"); k=$(summarise <"$WORK/curl.ms")
echo "pleo-keys check (ms): $c"
echo "curl x3         (ms): $k"
cm=$(echo "$c" | awk '{print $2}'); km=$(echo "$k" | awk '{print $2}')
echo "ratio of medians: $(echo "scale=2; $cm / $km" | bc)"
