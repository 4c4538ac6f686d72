# test-lib.sh: a small TAP library for the CLI tests (sourced, bash).
#
#	. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"
#	test_expect_success 'export prints JSON' '
#		cs export --json >out &&
#		grep -q "\"key\"" out
#	'
#	test_done
#
# Each test script runs in a fresh temporary directory that is removed at
# the end. cs runs catalyst-sync (under valgrind when CS_TEST_VALGRIND=1).

set -u
: "${CS_SOURCE_DIR:?run the CLI tests through meson test}"
: "${CATALYST_SYNC:?run the CLI tests through meson test}"

FIXTURES="$CS_SOURCE_DIR/tests/fixtures"
test_count=0
test_failed=0
test_skipped=0
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cs-test.XXXXXX")
trap 'test_cleanup' EXIT
cd "$TEST_DIR" || exit 1
# No configuration leaks in from the environment of whoever runs the tests.
unset CATALYST_SYNC_CONFIG DATABASE_PATH OPTIMIZELY_CMS_API_URL \
	OPTIMIZELY_CMS_CLIENT_ID OPTIMIZELY_CMS_CLIENT_SECRET \
	OPTIMIZELY_API_URL OPTIMIZELY_CLIENT_ID OPTIMIZELY_CLIENT_SECRET

test_cleanup_cmds=""
test_cleanup() {
	eval "$test_cleanup_cmds"
	cd / && rm -rf "$TEST_DIR"
}

# Runs a command when the script ends (servers, for instance).
test_when_done() {
	test_cleanup_cmds="$test_cleanup_cmds
$1"
}

cs() {
	if [ "${CS_TEST_VALGRIND:-0}" = 1 ]; then
		valgrind -q --error-exitcode=99 --leak-check=full \
			--soname-synonyms='somalloc=*jemalloc*' \
			--errors-for-leak-kinds=definite "$CATALYST_SYNC" "$@"
	else
		"$CATALYST_SYNC" "$@"
	fi
}

test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TEST_DIR/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TEST_DIR/.out"
	fi
}

# Runs a command and checks its exit code: test_expect_code 64 cs bogus
test_expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "exit code $got, wanted $want: $*" >&2
		return 1
	fi
	return 0
}

test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count # skip $1"
}

# Builds a Catalyst SQLite database from an SQL file.
make_catalyst_db() {
	sqlite3 "$1" <"$2"
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
}
