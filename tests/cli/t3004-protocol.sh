#!/usr/bin/env bash
# The two-database protocol of record (brief §7): the process is killed
# between its steps (CS_FAULT_AT=record:after-intent and
# record:after-catalyst exit 9 there), and the next run finishes or redoes
# the edit, exactly once, with its attribution.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
export DATABASE_PATH=catalyst.db
QA="Catalyst QA Site"
ARTICLE=cmeg00bv8q4r2kbsqmyiam2ue

name_in_catalyst() {
	sqlite3 catalyst.db "SELECT \"name\" FROM \"ContentType\" WHERE \"id\" = '$ARTICLE'"
}
# A run that is killed on purpose: not under valgrind (what it holds when
# it dies is not a leak).
cs_killed() {
	"$CATALYST_SYNC" "$@"
}

pending() {
	sqlite3 catalyst-sync.db "SELECT count(*) FROM intents WHERE state = 'pending'"
}


test_expect_success 'setup' '
	cs init >/dev/null &&
	cs --website "$QA" export Article --form catalyst --json >a.json &&
	jq ".[0].name = \"Essay\"" a.json >essay.json &&
	jq ".[0].name = \"Column\"" a.json >column.json &&
	jq ".[0].name = \"Feature\"" a.json >feature.json
'

test_expect_success 'killed after the intent: Catalyst is not written yet' '
	CS_FAULT_AT=record:after-intent test_expect_code 9 \
		cs_killed --website "$QA" record Article --file essay.json --source AI \
		--author bot --message "rename" &&
	test "$(name_in_catalyst)" = Article &&
	test "$(pending)" = 1
'

test_expect_success 'the next run redoes it: written once, attributed' '
	cs --website "$QA" log Article >log 2>err &&
	cat log err &&
	test "$(name_in_catalyst)" = Essay &&
	test "$(pending)" = 0 &&
	test "$(wc -l <log)" = 2 &&
	sed -n 1p log | grep -q "AI   bot  *rename  (head)" &&
	test "$(sqlite3 catalyst-sync.db "SELECT note FROM intents ORDER BY id DESC LIMIT 1")" = "redone after an interruption"
'

test_expect_success 'killed after Catalyst: written, but no version yet' '
	CS_FAULT_AT=record:after-catalyst test_expect_code 9 \
		cs_killed --website "$QA" record Article --file column.json --source AI \
		--author bot --message "again" &&
	test "$(name_in_catalyst)" = Column &&
	test "$(pending)" = 1
'

test_expect_success 'the next run finishes it: one AI version, not a UI one' '
	cs --website "$QA" status >out 2>err &&
	test "$(pending)" = 0 &&
	cs --website "$QA" log Article >log &&
	test "$(wc -l <log)" = 3 &&
	sed -n 1p log | grep -q "AI   bot  *again  (head)" &&
	! grep -q "changelog #" log &&
	test "$(sqlite3 catalyst-sync.db "SELECT note FROM intents ORDER BY id DESC LIMIT 1")" = "finished after an interruption"
'

test_expect_success 'killed after Catalyst, then edited again in Catalyst before the next run' '
	CS_FAULT_AT=record:after-catalyst test_expect_code 9 \
		cs_killed --website "$QA" record Article --file feature.json --source AI \
		--author bot --message "third" &&
	sqlite3 catalyst.db "UPDATE \"ContentType\" SET \"name\" = '\''Later'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	cs --website "$QA" log Article >log &&
	cat log &&
	test "$(pending)" = 0 &&
	sed -n 1p log | grep -q "UI   -  .*changelog #.*(head)" &&
	sed -n 2p log | grep -q "AI   bot  *third$"
'

test_expect_success 'killed after the intent, then edited in Catalyst: kept as a branch' '
	jq ".[0].name = \"Lost\"" a.json >lost.json &&
	CS_FAULT_AT=record:after-intent test_expect_code 9 \
		cs_killed --website "$QA" record Article --file lost.json --source AI \
		--author bot --message "lost race" &&
	sqlite3 catalyst.db "UPDATE \"ContentType\" SET \"name\" = '\''Winner'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	cs --website "$QA" log Article >log 2>err &&
	cat log err &&
	test "$(name_in_catalyst)" = Winner &&
	grep -q "kept as a branch" err &&
	grep -q "lost race  (branch)" log &&
	test "$(pending)" = 0
'

test_expect_success 'a store failure at any call leaves a consistent state' '
	jq ".[0].name = \"Retry\"" a.json >retry.json &&
	for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		CS_FAULT_AT=store:$n cs --website "$QA" record Article \
			--file retry.json --source AI --author t >out 2>err
		rc=$?
		if [ $rc != 0 ] && [ $rc != 1 ]; then echo "store:$n: exit $rc"; cat err; return 1; fi
		if [ $rc = 1 ] && ! grep -q "injected fault" err; then echo "store:$n:"; cat err; return 1; fi
		cs --website "$QA" status >/dev/null 2>&1 || return 1
		test "$(pending)" = 0 || { echo "store:$n left an intent"; return 1; }
	done &&
	test "$(name_in_catalyst)" = Retry &&
	test "$(sqlite3 catalyst-sync.db "SELECT count(*) FROM content_type_versions WHERE author = '\''t'\''")" = 1
'

test_done
