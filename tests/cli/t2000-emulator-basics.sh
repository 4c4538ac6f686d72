#!/usr/bin/env bash
# optimizely-emulator: its command line, start-up line, signals and the
# routes every request goes through.
#
# This file also holds the helpers of every t2*-emulator-*.sh test: those
# source it, and only the part after "return" runs the tests below.
#
#	emu_start [OPTION...]     start an emulator on a free port; sets
#	                          EMU_URL, EMU_PID, EMU_TOKEN (a fresh token)
#	emu_stop                  SIGTERM; emu_stopped_cleanly checks exit 0
#	req METHOD PATH [ARG...]  curl with the bearer token; writes body,
#	                          headers; prints the status
#	ctl METHOD PATH [ARG...]  the same for /_emulator/ (no token)
#	hdr NAME                  a header of the last response, from headers
#	emu_token                 print a new token
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

EMU_ID=test-client
EMU_SECRET=test-secret-42
EMU_URL=
EMU_PID=
EMU_TOKEN=

emu_have() {
	[ -n "${CATALYST_SYNC_EMULATOR:-}" ] && [ -x "$CATALYST_SYNC_EMULATOR" ]
}

emu_skip_all_unless_built() {
	if ! emu_have; then
		test_skip "optimizely-emulator is not built (no CATALYST_SYNC_EMULATOR)"
		test_done
		exit 0
	fi
	if ! command -v curl >/dev/null || ! command -v jq >/dev/null; then
		test_skip "curl and jq are needed"
		test_done
		exit 0
	fi
}

# Starts the emulator with extra options; the output goes to emu.out/err.
emu_start() {
	rm -f emu.out emu.err
	if [ "${CS_TEST_VALGRIND:-0}" = 1 ]; then
		# CS_VALGRIND_LOG_DIR keeps the reports after the test.
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			${CS_VALGRIND_LOG_DIR:+--log-file="$CS_VALGRIND_LOG_DIR/emulator.%p.log"} \
			"$CATALYST_SYNC_EMULATOR" --port 0 --client-id "$EMU_ID" \
			--client-secret "$EMU_SECRET" "$@" >emu.out 2>emu.err &
	else
		"$CATALYST_SYNC_EMULATOR" --port 0 --client-id "$EMU_ID" \
			--client-secret "$EMU_SECRET" "$@" >emu.out 2>emu.err &
	fi
	EMU_PID=$!
	for _ in $(seq 1 600); do
		grep -q '^optimizely-emulator listening on ' emu.out 2>/dev/null &&
			break
		kill -0 "$EMU_PID" 2>/dev/null || break
		sleep 0.05
	done
	EMU_URL=$(sed -n 's/^optimizely-emulator listening on //p' emu.out)
	if [ -z "$EMU_URL" ]; then
		echo "# the emulator did not start:" >&2
		sed 's/^/# /' emu.err >&2
		return 1
	fi
	test_when_done "emu_kill $EMU_PID"
	# With injected faults the first tries may fail (deterministically).
	for _ in $(seq 1 20); do
		EMU_TOKEN=$(emu_token 2>/dev/null)
		case "$EMU_TOKEN" in ey*) break;; esac
	done
}

emu_kill() {
	kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null
	return 0
}

# Stops the emulator (outside a test: wait needs the parent shell) and
# leaves its exit code in emu.rc.
emu_stop() {
	kill -TERM "$EMU_PID"
	wait "$EMU_PID"
	echo $? >emu.rc
	EMU_PID=
}

# Checks that the last emu_stop saw exit code 0.
emu_stopped_cleanly() {
	test "$(cat emu.rc)" = 0 || { cat emu.err >&2; return 1; }
}

emu_token() {
	curl -s -X POST "$EMU_URL/_cms/v1/oauth/token" \
		-H 'Content-Type: application/json' \
		-d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$EMU_ID\",\"client_secret\":\"$EMU_SECRET\"}" |
		jq -r .access_token
}

# req METHOD PATH [curl args]: body in ./body, headers in ./headers.
req() {
	local method=$1 path=$2
	shift 2
	rm -f body headers
	curl -s -X "$method" -o body -D headers -w '%{http_code}' \
		-H "Authorization: Bearer $EMU_TOKEN" "$@" "$EMU_URL$path"
}

# The same without a token (for the token endpoint and the control API).
raw() {
	local method=$1 path=$2
	shift 2
	rm -f body headers
	curl -s -X "$method" -o body -D headers -w '%{http_code}' "$@" \
		"$EMU_URL$path"
}

ctl() {
	raw "$@"
}

# hdr NAME: the value of a header in ./headers (last one wins).
hdr() {
	tr -d '\r' <headers | awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n)
			v = substr($0, i + 2) } END { print v }'
}

has_hdr() {
	tr -d '\r' <headers | grep -qi "^$1:"
}

# json FILTER: jq -e on ./body.
json() {
	jq -e "$@" body >/dev/null
}

# create KEY BASETYPE [PROPERTIES-JSON]: a v1 type with Prefer.
create_type() {
	local props=${3:-'{}'}
	req POST /_cms/v1/contenttypes -H 'Content-Type: application/json' \
		-d "{\"key\":\"$1\",\"displayName\":\"$1\",\"baseType\":\"$2\",\"properties\":$props}"
}

patch_type() {
	local key=$1
	shift
	req PATCH "/_cms/v1/contenttypes/$key" \
		-H 'Content-Type: application/merge-patch+json' "$@"
}

expect_status() {
	if [ "$1" != "$2" ]; then
		echo "status $1, wanted $2" >&2
		cat body >&2 2>/dev/null
		return 1
	fi
}

# When sourced by another test, stop here.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	return 0
fi

emu_skip_all_unless_built

test_expect_success 'no options at all is a usage error (64)' '
	test_expect_code 64 "$CATALYST_SYNC_EMULATOR" 2>err &&
	grep -q "required" err
'

test_expect_success 'an unknown option is a usage error that names it' '
	test_expect_code 64 "$CATALYST_SYNC_EMULATOR" --port 0 --client-id a \
		--client-secret b --bogus 2>err &&
	grep -q "unknown option .--bogus." err
'

test_expect_success 'a rate out of 0..1 is a usage error' '
	test_expect_code 64 "$CATALYST_SYNC_EMULATOR" --port 0 --client-id a \
		--client-secret b --error-rate 1.5 2>err &&
	grep -q "error-rate" err
'

# The first ```text block of docs/emulator.md: the usage.
doc_usage() {
	awk '/^```text$/ { n++; next } /^```$/ { if (n == 1) exit } n == 1' \
		"$CS_SOURCE_DIR/docs/emulator.md"
}

test_expect_success '--help matches the usage in docs/emulator.md' '
	"$CATALYST_SYNC_EMULATOR" --help >help.txt &&
	doc_usage >doc.txt &&
	diff -u doc.txt help.txt
'

emu_start

test_expect_success 'it prints the listening line with a real port' '
	grep -Eq "^optimizely-emulator listening on http://127\.0\.0\.1:[0-9]+$" emu.out &&
	test "$(wc -l <emu.out)" = 1 &&
	! grep -q ":0$" emu.out
'

test_expect_success 'health answers without a token' '
	test "$(ctl GET /_emulator/health)" = 200 &&
	json ".status == \"ok\""
'

test_expect_success 'an unknown path is 404 problem+json' '
	test "$(req GET /nothing/here)" = 404 &&
	hdr Content-Type | grep -q "application/problem+json" &&
	json ".status == 404 and .title == \"Not Found\" and .code == \"NotFound\""
'

test_expect_success 'a wrong method is 405 with Allow' '
	test "$(req PUT /_cms/v1/contenttypes)" = 405 &&
	test "$(hdr Allow)" = "GET, POST" &&
	json ".status == 405"
'

test_expect_success 'v1 and preview3 answer under all four prefixes' '
	for p in /_cms/v1 /v1 /_cms/preview3 /preview3; do
		test "$(req GET $p/contenttypes)" = 200 || exit 1
	done &&
	req GET /v1/contenttypes >/dev/null && json "has(\"totalCount\")" &&
	req GET /preview3/contenttypes >/dev/null && json "has(\"totalItemCount\")"
'

test_expect_success 'one trailing slash is ignored' '
	test "$(req GET /_cms/v1/contenttypes/)" = 200
'

test_expect_success 'the manifest does not exist under preview3' '
	test "$(req GET /_cms/preview3/manifest)" = 404
'

test_expect_success 'the control API refuses non-loopback clients' '
	ip=$(hostname -I 2>/dev/null | tr " " "\n" | grep -E "^[0-9.]+$" | grep -v "^127\." | head -n1)
	if [ -z "$ip" ]; then
		echo "# no non-loopback address; checked loopback only"
		exit 0
	fi
	"$CATALYST_SYNC_EMULATOR" --port 0 --client-id a --client-secret b \
		--listen 0.0.0.0 >out2 2>err2 &
	pid=$!
	for _ in $(seq 1 100); do grep -q listening out2 && break; sleep 0.05; done
	port=$(sed -n "s/.*:\([0-9]*\)$/\1/p" out2)
	code=$(curl -s -o b2 -w "%{http_code}" "http://$ip:$port/_emulator/health")
	code2=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/_emulator/health")
	kill $pid; wait $pid
	test "$code" = 403 && test "$code2" = 200 && jq -e ".status == 403" b2
'

emu_stop
test_expect_success 'SIGTERM stops it with exit code 0' '
	emu_stopped_cleanly
'

test_expect_success 'SIGINT stops it with exit code 0 too' '
	"$CATALYST_SYNC_EMULATOR" --port 0 --client-id a --client-secret b >o3 &
	pid=$!
	for _ in $(seq 1 100); do grep -q listening o3 && break; sleep 0.05; done
	kill -INT $pid && wait $pid
'

test_expect_success 'a taken port is an error with exit code 1' '
	"$CATALYST_SYNC_EMULATOR" --port 0 --client-id a --client-secret b >o4 &
	pid=$!
	for _ in $(seq 1 100); do grep -q listening o4 && break; sleep 0.05; done
	port=$(sed -n "s/.*:\([0-9]*\)$/\1/p" o4)
	test_expect_code 1 "$CATALYST_SYNC_EMULATOR" --port "$port" \
		--client-id a --client-secret b 2>err4 >/dev/null
	rc=$?
	kill $pid; wait $pid
	test $rc = 0 && grep -q "cannot listen" err4
'

test_done
