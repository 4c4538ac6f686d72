#!/usr/bin/env bash
# bench_emulator.sh [BUILD-DIR]: the optimizely-emulator benchmarks.
#
# Builds bench/bench_emulator (libcurl only) with ninja in BUILD-DIR, starts
# the emulator from BUILD-DIR (default: build) on a free port and prints:
#   1. GET throughput with no latency injected (goal: >= 2,000 req/s);
#   2. 1,000 creates from 8 concurrent clients at --latency-ms 25
#      (goal: within 1.2x of the 3.2 s floor, 1000 / 8 * 25 ms);
#   3. one 1,000-type (1.6 MB) manifest import, and its unchanged re-import.
# Figures go to stdout; docs/benchmarks.md records them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
emu="$build/emulator/optimizely-emulator"
client="$build/bench/bench_emulator"
get_clients=${GET_CLIENTS:-4}
get_seconds=${GET_SECONDS:-5}

[ -x "$emu" ] || { echo "no emulator at $emu (ninja -C $build emulator/optimizely-emulator)" >&2; exit 1; }
ninja -C "$build" bench/bench_emulator >/dev/null

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

start() {
	"$emu" --port 0 --client-id bench --client-secret bench-secret --quiet "$@" >"$tmp/out" &
	pid=$!
	for _ in $(seq 1 200); do
		grep -q listening "$tmp/out" 2>/dev/null && break
		sleep 0.05
	done
	url=$(sed -n 's/^optimizely-emulator listening on //p' "$tmp/out")
}

stop() {
	kill "$pid" && wait "$pid" || true
	pid=
}

echo "# $(uname -srm), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"

start
echo "## GET /_cms/v1/contenttypes/BlankSection, $get_clients keep-alive clients, no latency"
"$client" get "$url" bench bench-secret "$get_clients" "$get_seconds"
stop

start --latency-ms 25
echo "## 1,000 creates, 8 clients, --latency-ms 25 (floor 1000/8*25ms = 3.125 s)"
"$client" create "$url" bench bench-secret 8 1000
stop

start
echo "## POST /_cms/v1/manifest, 1,000 types"
python3 - >"$tmp/big.json" <<'PY'
import json
kinds = ["string", "integer", "boolean", "float", "dateTime", "richText",
         "url", "json", "link"]
types = []
for i in range(1000):
    props = {}
    for j in range(20):
        t = kinds[j % len(kinds)]
        p = {"type": t, "displayName": "Field %d" % j,
             "isRequired": j % 3 == 0}
        if t == "string":
            p["maxLength"] = 100 + j
        props["field%02d" % j] = p
    if i:
        props["ref"] = {"type": "contentReference",
                        "allowedTypes": ["Bulk%04d" % (i - 1)]}
    types.append({"key": "Bulk%04d" % i, "displayName": "Bulk %d" % i,
                  "baseType": "_page" if i % 2 else "_component",
                  "properties": props})
print(json.dumps({"contentTypes": types}, separators=(",", ":")))
PY
tok=$(curl -s -X POST "$url/oauth/token" -u bench:bench-secret -d grant_type=client_credentials |
	sed 's/.*"access_token":"\([^"]*\)".*/\1/')
for run in first unchanged; do
	curl -s -o "$tmp/res.json" -w "manifest=$run bytes=%{size_upload} status=%{http_code} seconds=%{time_total}\n" \
		-X POST "$url/_cms/v1/manifest" -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/vnd.optimizely.cms.v1.manifest+json' \
		--data-binary @"$tmp/big.json"
done
stop
