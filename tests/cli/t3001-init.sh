#!/usr/bin/env bash
# init: the state store and change capture in Catalyst; idempotent;
# --no-triggers; --uninstall; stores the binary cannot use.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
export DATABASE_PATH=catalyst.db

ours() {
	sqlite3 catalyst.db "SELECT name FROM sqlite_master WHERE name LIKE '%catalyst_sync%' AND name NOT LIKE 'sqlite%' ORDER BY name"
}

test_expect_success 'commands that need the history ask for init first' '
	test_expect_code 1 cs log Article --website "Catalyst QA Site" 2>err &&
	grep -q "run .catalyst-sync init. first" err &&
	test ! -e catalyst-sync.db
'

test_expect_success 'status before init lists the types and says so' '
	cs --website "Catalyst QA Site" status >out &&
	grep -q "^change capture: not set up; run .catalyst-sync init." out &&
	grep -q "^Article  *Article  *no history  never synced" out
'

test_expect_success 'init creates the store, installs the triggers, records every type' '
	sqlite3 catalyst.db "SELECT * FROM \"ContentType\" ORDER BY id" >rows.before &&
	cs init >out &&
	grep -q "^state store .\./catalyst-sync\.db. created (schema 4)" out &&
	grep -q "^change capture: triggers installed in .catalyst.db." out &&
	grep -q "^10 new versions recorded" out &&
	test -f catalyst-sync.db &&
	test "$(sqlite3 catalyst-sync.db "SELECT count(*) FROM content_type_versions")" = 10
'

test_expect_success 'everything added to Catalyst is prefixed _catalyst_sync_' '
	ours >names &&
	printf "%s\n" _catalyst_sync_changelog _catalyst_sync_contenttype_delete \
		_catalyst_sync_contenttype_insert _catalyst_sync_contenttype_update \
		_catalyst_sync_meta >want &&
	diff -u want names
'

test_expect_success 'Catalyst rows are untouched' '
	sqlite3 catalyst.db "SELECT * FROM \"ContentType\" ORDER BY id" >rows.after &&
	cmp rows.before rows.after
'

test_expect_success 'init again changes nothing' '
	cs init >out &&
	grep -q "^state store .\./catalyst-sync\.db. (schema 4)" out &&
	grep -q "triggers already installed" out &&
	grep -q "^0 new versions recorded" out &&
	ours >names2 && diff -u names names2
'

test_expect_success 'the keys are persisted' '
	test "$(sqlite3 catalyst-sync.db "SELECT key FROM type_map WHERE type_id = '\''cmeg00bv8q4r2kbsqmyiam2ue'\''")" = Article &&
	test "$(sqlite3 catalyst-sync.db "SELECT count(*) FROM field_map WHERE type_id = '\''cmeg00bv8q4r2kbsqmyiam2ue'\''")" -gt 3
'

test_expect_success 'the store is WAL with its migrations recorded' '
	test "$(sqlite3 catalyst-sync.db "PRAGMA journal_mode")" = wal &&
	test "$(sqlite3 catalyst-sync.db "SELECT group_concat(version || name, char(32)) FROM (SELECT * FROM schema_migrations ORDER BY version)")" = "1init 2runs 3conflicts 4pull"
'

test_expect_success 'status says the triggers are installed' '
	cs status >out &&
	grep -q "^change capture: triggers installed$" out &&
	grep -q "^10 content types$" out
'

test_expect_success 'init --uninstall removes what init added, and only that' '
	cs init --uninstall >out &&
	grep -q "removed catalyst-sync.s triggers" out &&
	test -z "$(ours)" &&
	sqlite3 catalyst.db "SELECT * FROM \"ContentType\" ORDER BY id" >rows.after &&
	cmp rows.before rows.after &&
	cs init --uninstall >out &&
	grep -q "nothing of catalyst-sync.s is installed" out
'

test_expect_success 'after --uninstall, runs scan without a warning' '
	cs status >out 2>err &&
	grep -q "^change capture: no triggers (full scans)" out &&
	! grep -q "init" err
'

test_expect_success 'init --no-triggers relies on scans' '
	cs init --no-triggers >out &&
	grep -q "no triggers; changes are found by scanning" out &&
	test -z "$(ours)" &&
	sqlite3 catalyst.db "UPDATE \"ContentType\" SET \"name\" = '\''Essay'\'' WHERE \"id\" = '\''cmeg00bv8q4r2kbsqmyiam2ue'\''" &&
	cs --website "Catalyst QA Site" log Essay >out &&
	test "$(wc -l <out)" = 2 &&
	grep -q "(found by a scan)  (head)" out
'

test_expect_success 'init installs the triggers again' '
	cs init >out &&
	grep -q "triggers installed in" out &&
	test "$(ours | wc -l)" = 5
'

test_expect_success 'a store written by a newer catalyst-sync is refused' '
	cp catalyst-sync.db newer.db &&
	sqlite3 newer.db "UPDATE store_info SET value = '\''99'\'' WHERE key = '\''schema_version'\''" &&
	printf "sync:\n  state:\n    storage: newer.db\n" >newer.yaml &&
	test_expect_code 1 cs --config newer.yaml status 2>err &&
	grep -q "schema version 99, newer than this catalyst-sync knows (4); upgrade catalyst-sync" err
'

test_expect_success 'a state store path that is the Catalyst database is refused' '
	printf "sync:\n  state:\n    storage: catalyst.db\n" >bad.yaml &&
	test_expect_code 1 cs --config bad.yaml init 2>err &&
	grep -q "is not a catalyst-sync state store" err
'

test_expect_success 'durability: full is accepted' '
	printf "sync:\n  state:\n    durability: full\n" >full.yaml &&
	cs --config full.yaml init >out
'

test_expect_success 'every store call can fail cleanly (CS_FAULT_AT=store:N)' '
	for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
		rm -rf f && mkdir f && cp catalyst.db f/ &&
		(cd f && CS_FAULT_AT=store:$n cs --database catalyst.db init >out 2>err; echo $? >rc) &&
		rc=$(cat f/rc) &&
		if [ "$rc" != 0 ]; then
			test "$rc" = 1 && grep -q "injected fault" f/err || {
				echo "store:$n exit $rc"; cat f/err; return 1; }
		fi || return 1
	done
'

test_done
