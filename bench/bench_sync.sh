#!/usr/bin/env bash
# bench_sync.sh [BUILD-DIR]: the sync benchmarks of brief §19, against the
# emulator at 25 ms latency per request, with 1,000 generated types.
#
#   1. first sync: `init` (timed on its own), then `apply --auto-approve`
#      (goal: <= 5 s, and ahead of the official CLI); the same with
#      --no-bulk (one create per request); the official @optimizely/cms-cli
#      2.2.0 pushing the same model (`config push`, its own wall time);
#   2. `plan` over the 1,000 in-sync types (goal: <= 1 s);
#   3. 10 types changed in Catalyst, one `apply --auto-approve` (plan and
#      apply; goal: <= 1 s).
#
# Every first sync, --no-bulk run and CLI push gets a fresh emulator; the
# plan and the changes run against the emulator of the last first sync.
# Times are wall times of the whole process, as a user sees them; the
# catalyst-sync runs also show user+system CPU. Each figure is measured RUNS
# times (best and median printed). The emulator's journal gives the request
# counts.
#
# Uses BUILD-DIR/catalyst-sync, BUILD-DIR/emulator/optimizely-emulator and
# BUILD-DIR/bench/bench_extract (built here with ninja), which writes the
# Catalyst database. Needs curl, jq and sqlite3. The official CLI needs
# Node >= 20, npm and the npm registry: it is installed in
# BUILD-DIR/bench-cli, with npm's cache in BUILD-DIR/npm-cache; without
# them its figure is skipped. Environment: N (1000), LATENCY_MS (25),
# RUNS (3), CHANGED (10), CLI=0 to skip the CLI, NOBULK=0 to skip the
# --no-bulk runs (the longest: about 30 s each).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
cs="$build/catalyst-sync"
emu="$build/emulator/optimizely-emulator"
gen="$build/bench/bench_extract"
n=${N:-1000}
latency=${LATENCY_MS:-25}
runs=${RUNS:-3}
changed=${CHANGED:-10}
cli_version=2.2.0

die() {
	echo "bench_sync: $*" >&2
	exit 1
}

for bin in "$cs" "$emu"; do
	[ -x "$bin" ] || die "no $bin (ninja -C $build)"
done
for tool in curl jq sqlite3; do
	command -v "$tool" >/dev/null || die "$tool is needed"
done
if [ "$runs" -lt 1 ] || [ "$changed" -lt 1 ] || [ "$changed" -gt "$n" ]; then
	die "RUNS >= 1 and 1 <= CHANGED <= N, please"
fi
ninja -C "$build" bench/bench_extract >/dev/null

tmp=$(mktemp -d)
emu_pid=
cleanup() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# emu_start: a fresh emulator at the latency; sets url and emu_pid.
emu_start() {
	"$emu" --port 0 --client-id bench --client-secret bench-secret \
		--latency-ms "$latency" --quiet >"$tmp/emu.out" 2>"$tmp/emu.err" &
	emu_pid=$!
	for _ in $(seq 1 200); do
		grep -q listening "$tmp/emu.out" 2>/dev/null && break
		sleep 0.05
	done
	url=$(sed -n 's/^optimizely-emulator listening on //p' "$tmp/emu.out")
	[ -n "$url" ] || die "the emulator did not start: $(cat "$tmp/emu.err")"
}

emu_stop() {
	kill "$emu_pid" && wait "$emu_pid" || true
	emu_pid=
}

journal_clear() {
	curl -sf -X DELETE "$url/_emulator/journal" >/dev/null
}

# requests: the journal since the last clear, counted by kind.
requests() {
	curl -sf "$url/_emulator/journal" | jq -r '
		[.entries[] | (.path | sub("^/_cms/v1"; "")) as $p |
		 if $p == "/oauth/token" then "token"
		 elif .method == "GET" and $p == "/contenttypes" then "list page"
		 elif .method == "GET" and ($p | startswith("/contenttypes/")) then "GET type"
		 elif .method == "POST" and $p == "/contenttypes" then "create"
		 elif .method == "PATCH" then "PATCH type"
		 elif .method == "DELETE" then "DELETE type"
		 elif .method == "POST" and $p == "/manifest" then "manifest POST"
		 else .method + " " + $p end] as $k |
		($k | length | tostring) + " requests: " +
		([$k | group_by(.)[] | "\(length) \(.[0])"] | join(", "))'
}

# user_types: how many generated types the emulator holds.
user_types() {
	curl -sf "$url/_emulator/state" |
		jq '[.contentTypes[] | select(.type.key | test("^Type[0-9]+$"))] | length'
}

# timed NAME CMD...: runs CMD (output to $tmp/NAME.out and .err), puts its
# wall time in $wall and user+system CPU in $cpu, its exit code in $rc.
timed() {
	local name=$1 t
	shift
	local TIMEFORMAT='%R %U %S'
	rc=0
	{ time "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?; } 2>"$tmp/$name.time"
	t=$(tail -n 1 "$tmp/$name.time")
	wall=$(echo "$t" | awk '{ printf "%.3f", $1 }')
	cpu=$(echo "$t" | awk '{ printf "%.3f", $2 + $3 }')
}

# expect TEXT NAME: the output (or stderr) of the last `timed NAME` has TEXT.
expect() {
	grep -qF -- "$1" "$tmp/$2.out" "$tmp/$2.err" || {
		tail -n 5 "$tmp/$2.out" "$tmp/$2.err" >&2
		die "$2: expected '$1' (exit $rc)"
	}
}

# stats V...: "best median" of the values, in seconds.
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.2f %.2f\n", v[1], m }'
}

# fig V...: "2.41 s (best of 3, median 2.50 s)".
fig() {
	local s
	s=$(stats "$@")
	echo "${s% *} s (best of $#, median ${s#* } s)"
}

best() {
	stats "$@" | cut -d' ' -f1
}

le() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'
}

goal() {
	if le "$1" "$2"; then echo "goal <= $2 s: met"; else echo "goal <= $2 s: NOT met"; fi
}

# workspace DIR: a fresh copy of the database and a configuration for the
# running emulator. Lenient validation: the generator's first type has a
# reference field without a relationship, which is a warning.
workspace() {
	rm -rf "$1"
	mkdir -p "$1"
	cp "$tmp/catalyst.db" "$1/catalyst.db"
	cat >"$1/catalyst-sync.yaml" <<EOF
source:
  database: ./catalyst.db
sync:
  platforms:
    optimizely:
      url: $url
      auth:
        client_id: bench
        client_secret: bench-secret
  state:
    storage: ./catalyst-sync.db
  protection:
    validation: lenient
EOF
	chmod 600 "$1/catalyst-sync.yaml"
}

echo "# $(uname -srm), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $n types of 20 fields, emulator --latency-ms $latency, $runs runs of each figure"
"$gen" --write-db "$tmp/catalyst.db" "$n" || die "cannot generate the database"

# --- 1. first sync ----------------------------------------------------------
t_init=() t_first=() c_first=() req_first=''
for r in $(seq 1 "$runs"); do
	[ -n "$emu_pid" ] && emu_stop
	emu_start
	ws="$tmp/ws"
	workspace "$ws"
	timed init "$cs" --config "$ws/catalyst-sync.yaml" init
	expect "$n new versions recorded" init
	t_init+=("$wall")
	journal_clear
	timed first "$cs" --config "$ws/catalyst-sync.yaml" apply --auto-approve
	expect "$n done, 0 failed, 0 skipped of $n" first
	[ "$(user_types)" = "$n" ] || die "first sync: the emulator holds $(user_types) types"
	t_first+=("$wall")
	c_first+=("$cpu")
	req_first=$(requests)
	echo "run $r: init ${t_init[-1]} s; first sync ${t_first[-1]} s (cpu $cpu s)"
done

# --- 2. plan over the in-sync types (the last run's emulator) ---------------
t_plan=() c_plan=() req_plan=''
for r in $(seq 1 "$runs"); do
	journal_clear
	timed plan "$cs" --config "$ws/catalyst-sync.yaml" plan
	expect "$n unchanged" plan
	t_plan+=("$wall")
	c_plan+=("$cpu")
	req_plan=$(requests)
	echo "run $r: plan ${t_plan[-1]} s (cpu $cpu s)"
done

# --- 3. CHANGED types changed in Catalyst, one apply ------------------------
t_changed=() c_changed=() req_changed=''
for r in $(seq 1 "$runs"); do
	ids=$(awk -v n="$n" -v k="$changed" -v r="$r" 'BEGIN {
		for (i = 0; i < k; i++) printf "%s'\''t%d'\''", i ? "," : "", (int(i * n / k) + r) % n }')
	sqlite3 "$ws/catalyst.db" "UPDATE \"ContentType\" SET \"fields\" =
		json_set(\"fields\", '\$.fields[0].label', 'Title, run $r'),
		\"updatedAt\" = \"updatedAt\" + 1 WHERE \"id\" IN ($ids)"
	journal_clear
	timed changed "$cs" --config "$ws/catalyst-sync.yaml" apply --auto-approve
	expect "Plan: 0 to create, $changed to update, 0 to delete" changed
	expect "$changed done, 0 failed, 0 skipped of $changed" changed
	t_changed+=("$wall")
	c_changed+=("$cpu")
	req_changed=$(requests)
	echo "run $r: $changed changed ${t_changed[-1]} s (cpu $cpu s)"
done
emu_stop

# --- 1b. first sync with --no-bulk -------------------------------------------
t_nobulk=() c_nobulk=() req_nobulk=''
[ "${NOBULK:-1}" = 0 ] && nobulk_runs= || nobulk_runs=$(seq 1 "$runs")
for r in $nobulk_runs; do
	emu_start
	workspace "$tmp/ws-nobulk"
	timed init "$cs" --config "$tmp/ws-nobulk/catalyst-sync.yaml" init
	journal_clear
	timed nobulk "$cs" --config "$tmp/ws-nobulk/catalyst-sync.yaml" \
		apply --auto-approve --no-bulk
	expect "$n done, 0 failed, 0 skipped of $n" nobulk
	[ "$(user_types)" = "$n" ] || die "--no-bulk: the emulator holds $(user_types) types"
	t_nobulk+=("$wall")
	c_nobulk+=("$cpu")
	req_nobulk=$(requests)
	emu_stop
	echo "run $r: first sync --no-bulk ${t_nobulk[-1]} s (cpu $cpu s)"
done

# --- 1c. the official CLI -----------------------------------------------------
t_cli=() c_cli=() req_cli='' cli_skip=''
cli_setup() {
	local proj="$build/bench-cli" major
	[ "${CLI:-1}" != 0 ] || { cli_skip="CLI=0"; return; }
	command -v node >/dev/null && command -v npm >/dev/null ||
		{ cli_skip="node and npm are not installed"; return; }
	major=$(node -e 'console.log(process.versions.node.split(".")[0])')
	[ "$major" -ge 20 ] 2>/dev/null ||
		{ cli_skip="Node >= 20 is needed (found $(node --version))"; return; }
	export npm_config_cache="$build/npm-cache"
	export npm_config_update_notifier=false npm_config_fund=false \
		npm_config_audit=false npm_config_loglevel=error
	mkdir -p "$proj/src"
	if [ ! -x "$proj/node_modules/.bin/optimizely-cms-cli" ] ||
		! grep -q "\"version\": \"$cli_version\"" \
			"$proj/node_modules/@optimizely/cms-cli/package.json"; then
		[ -f "$proj/package.json" ] || (cd "$proj" && npm init -y >/dev/null 2>&1)
		(cd "$proj" && timeout 600 npm install --no-save --prefer-offline \
			"@optimizely/cms-cli@$cli_version" \
			"@optimizely/cms-sdk@$cli_version") >"$tmp/npm.log" 2>&1 ||
			{ cli_skip="cannot install @optimizely/cms-cli@$cli_version: $(tail -n 1 "$tmp/npm.log")"; return; }
	fi
	cat >"$proj/optimizely.config.mjs" <<\EOF
import { buildConfig } from '@optimizely/cms-sdk';
export default buildConfig({ components: ['./src/*.mjs'] });
EOF
	# The same model: catalyst-sync's own v1 documents, each wrapped in
	# the SDK's contentType(), all in one module (the CLI's fastest case:
	# one esbuild bundle).
	cp "$tmp/catalyst.db" "$tmp/export.db"
	"$cs" --database "$tmp/export.db" export --json --lenient >"$tmp/model.json" ||
		die "export --json failed"
	[ "$(jq length "$tmp/model.json")" = "$n" ] || die "export --json: not $n types"
	node - "$tmp/model.json" "$proj/src/types.mjs" <<\EOF
const fs = require('node:fs');
const types = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let out = "import { contentType } from '@optimizely/cms-sdk';\n";
types.forEach((t, i) => {
  out += `export const ct${i} = contentType(${JSON.stringify(t)});\n`;
});
fs.writeFileSync(process.argv[3], out);
EOF
	cli="$proj/node_modules/.bin/optimizely-cms-cli"
}

push() (
	cd "$build/bench-cli" &&
		OPTIMIZELY_CMS_API_URL="$url" OPTIMIZELY_CMS_CLIENT_ID=bench \
		OPTIMIZELY_CMS_CLIENT_SECRET=bench-secret NO_COLOR=1 FORCE_COLOR=0 \
		TMPDIR="$tmp" timeout 600 "$cli" config push "$@" ./optimizely.config.mjs
)

cli_setup
if [ -z "$cli_skip" ]; then
	# Check once that the CLI builds exactly catalyst-sync's documents.
	emu_start
	(push --dryRun --output "$tmp/cli-manifest.json") >"$tmp/dry.out" 2>&1 ||
		die "config push --dryRun failed: $(tail -n 3 "$tmp/dry.out")"
	[ "$(jq -S '.contentTypes | sort_by(.key)' "$tmp/cli-manifest.json")" = \
	  "$(jq -S 'sort_by(.key)' "$tmp/model.json")" ] ||
		die "the CLI's manifest differs from export --json"
	emu_stop
	for r in $(seq 1 "$runs"); do
		emu_start
		timed cli push
		[ "$rc" = 0 ] || die "config push failed: $(tail -n 3 "$tmp/cli.out" "$tmp/cli.err")"
		[ "$(user_types)" = "$n" ] || die "config push: the emulator holds $(user_types) types"
		t_cli+=("$wall")
		c_cli+=("$cpu")
		req_cli=$(requests)
		emu_stop
		echo "run $r: official cli ${t_cli[-1]} s (cpu $cpu s)"
	done
fi

# --- summary -------------------------------------------------------------------
echo
echo "init, $n types: $(fig "${t_init[@]}") (not part of the first sync)"
cpu_first="cpu: catalyst-sync $(fig "${c_first[@]}")"
if [ -n "$cli_skip" ]; then
	cli_fig="official cli skipped ($cli_skip)"
	ahead="ahead of the official cli: not measured"
else
	cli_fig="official cli $(fig "${t_cli[@]}")"
	cpu_first="$cpu_first, official cli $(fig "${c_cli[@]}")"
	if le "$(best "${t_first[@]}")" "$(best "${t_cli[@]}")"; then
		ahead="ahead of the official cli: yes"
	else
		ahead="ahead of the official cli: NO"
	fi
fi
echo "first sync, $n types, $latency ms latency: catalyst-sync $(fig "${t_first[@]}"), $cli_fig"
echo "  $(goal "$(best "${t_first[@]}")" 5); $ahead"
echo "  $cpu_first"
[ -z "$nobulk_runs" ] ||
	echo "first sync --no-bulk, $n types, $latency ms latency: catalyst-sync $(fig "${t_nobulk[@]}"); cpu $(fig "${c_nobulk[@]}")"
echo "plan over $n in-sync types, $latency ms latency: $(fig "${t_plan[@]}")"
echo "  $(goal "$(best "${t_plan[@]}")" 1); cpu $(fig "${c_plan[@]}")"
echo "$changed changed types among $n, plan + apply, $latency ms latency: $(fig "${t_changed[@]}")"
echo "  $(goal "$(best "${t_changed[@]}")" 1); cpu $(fig "${c_changed[@]}")"
echo
echo "requests (emulator journal, last run of each):"
echo "  first sync:           $req_first"
[ -z "$nobulk_runs" ] || echo "  first sync --no-bulk: $req_nobulk"
[ -n "$cli_skip" ] || echo "  official cli:         $req_cli"
echo "  plan, in sync:        $req_plan"
echo "  $changed changed:           $req_changed"
