#!/usr/bin/env bash
# history, runs and gc on a store that tests/tools/store_fill.c filled with
# three runs (aaaa11112222: partial, 40 days ago; aaaa99990000: done, 10
# days ago; bbbb00001111: interrupted, an hour ago), their journals,
# history entries and backups.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"
: "${CS_STORE_FILL:?run the CLI tests through meson test}"

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
export DATABASE_PATH=catalyst.db
QA="Catalyst QA Site"
R1=aaaa11112222
R2=aaaa99990000
R3=bbbb00001111

count() {
	sqlite3 catalyst-sync.db "SELECT count(*) FROM $1"
}

test_expect_success 'before init: history, runs and gc ask for init' '
	test_expect_code 1 cs history 2>err &&
	grep -q "catalyst-sync init" err &&
	test_expect_code 1 cs runs 2>err &&
	grep -q "catalyst-sync init" err &&
	test_expect_code 1 cs gc 2>err &&
	grep -q "catalyst-sync init" err &&
	test ! -e catalyst-sync.db
'

test_expect_success 'an empty store has no history and no runs' '
	cs init >/dev/null &&
	cs history >out && test "$(cat out)" = "no sync history yet" &&
	cs runs >out && test "$(cat out)" = "no runs yet" &&
	cs history --json | jq -e ".format_version == 1 and .entries == []" &&
	cs runs --json | jq -e ".format_version == 1 and .runs == []"
'

test_expect_success 'setup: fill the store' '
	"$CS_STORE_FILL" catalyst-sync.db &&
	test "$(count sync_runs)" = 3 &&
	test "$(count sync_ops)" = 6 &&
	test "$(count sync_history)" = 5 &&
	test "$(count backups)" = 4
'

test_expect_success 'history: every entry, newest first, one line each' '
	cs history >out &&
	cat out &&
	test "$(wc -l <out)" = 5 &&
	sed -n 1p out | grep -Eq "^[0-9-]{10}T[0-9:]{8}Z  $R3  create  +Article  +PARTIAL  bob@ci  the second phase \(link\) did not finish$" &&
	sed -n 2p out | grep -Eq "  $R2  delete  +LegacyPromo  +SUCCESS  ana@laptop$" &&
	sed -n 3p out | grep -Eq "  $R2  update  +Article  +SUCCESS  ana@laptop$" &&
	sed -n 4p out | grep -Eq "  $R1  create  +Author  +FAILED  +ana@laptop  412 Precondition Failed: changed in the CMS$" &&
	sed -n 5p out | grep -Eq "  $R1  update  +Article  +SUCCESS  ana@laptop$"
'

test_expect_success 'history --json' '
	cs history --json >h.json &&
	jq -e ".format_version == 1 and (.entries | length) == 5" h.json &&
	jq -e ".entries[0] | .run_id == \"$R3\" and .status == \"PARTIAL\" and .action == \"create\" and .type_key == \"Article\" and .type_id == \"cmeg00bv8q4r2kbsqmyiam2ue\" and .direction == \"push\" and .target == \"optimizely\" and .actor == \"bob@ci\" and .response == null" h.json &&
	jq -e ".entries[3] | .status == \"FAILED\" and .error == \"412 Precondition Failed:\nchanged in the CMS\" and .pushed.key == \"Author\"" h.json &&
	jq -e ".entries[1] | .type_id == null and .response.key == \"LegacyPromo\" and (.started | test(\"^[0-9-]{10}T[0-9:]{8}\\\\.[0-9]{3}Z$\")) and (.finished | type) == \"string\"" h.json &&
	jq -e "[.entries[].id] | . == (sort | reverse)" h.json
'

test_expect_success 'history --type: a key, an id or a name of a Catalyst type' '
	cs --website "$QA" history --type Article >a &&
	test "$(wc -l <a)" = 3 &&
	! grep -v "  Article  " a &&
	cs history --type cmeg00bv8q4r2kbsqmyiam2ue >b && diff -u a b &&
	cs --website "$QA" history --type Author --json >au.json &&
	jq -e "(.entries | length) == 1 and .entries[0].status == \"FAILED\"" au.json
'

test_expect_success 'history --type: the key of a type only the CMS had' '
	cs history --type LegacyPromo >out &&
	test "$(wc -l <out)" = 1 &&
	grep -q "  delete  *LegacyPromo  " out &&
	cs history --type NoSuchType >out &&
	test "$(cat out)" = "no sync history matches"
'

test_expect_success 'history --type without a Catalyst database takes a key' '
	(unset DATABASE_PATH && cs history --type Article >out) &&
	test "$(wc -l <out)" = 3
'

test_expect_success 'history --run: a full id or a unique prefix' '
	cs history --run $R2 >out &&
	test "$(wc -l <out)" = 2 &&
	! grep -v "  $R2  " out &&
	cs history --run aaaa9 >out2 && diff -u out out2 &&
	cs history --run bbbb --json | jq -e "(.entries | length) == 1"
'

test_expect_success 'history --run: ambiguous, too short, unknown' '
	test_expect_code 1 cs history --run aaaa 2>err &&
	grep -q "ambiguous" err && grep -q "$R1" err && grep -q "$R2" err &&
	test_expect_code 1 cs history --run abc 2>err &&
	grep -q "at least 4" err &&
	test_expect_code 1 cs history --run ffff 2>err &&
	grep -q "no run .ffff." err
'

test_expect_success 'history --status, in any case' '
	cs history --status failed >out &&
	test "$(wc -l <out)" = 1 && grep -q "  FAILED  " out &&
	cs history --status FaIlEd >out2 && diff -u out out2 &&
	cs history --status success >out &&
	test "$(wc -l <out)" = 3 &&
	cs history --status skipped >out &&
	test "$(cat out)" = "no sync history matches" &&
	cs history --status partial --run $R3 --type Article >out &&
	test "$(wc -l <out)" = 1
'

test_expect_success 'history --limit keeps the newest' '
	cs history --limit 2 >out &&
	test "$(wc -l <out)" = 2 &&
	sed -n 1p out | grep -q "  $R3  " &&
	cs history -n 1 --status success >out &&
	test "$(wc -l <out)" = 1 && grep -q "  delete  " out
'

test_expect_success 'history: usage errors (64) say what is allowed' '
	test_expect_code 64 cs history --status ok 2>err &&
	grep -q "success, failed, partial or skipped" err &&
	test_expect_code 64 cs history --limit -1 2>err &&
	grep -q "0 or more" err &&
	test_expect_code 64 cs history --limit many 2>err &&
	test_expect_code 64 cs history Article 2>err &&
	grep -q "too many arguments" err &&
	test_expect_code 64 cs history --bogus 2>err
'

test_expect_success 'runs: newest first, with status, actor, duration, counts' '
	cs runs >out &&
	cat out &&
	test "$(wc -l <out)" = 3 &&
	sed -n 1p out | grep -Eq "^$R3  interrupted  bob@ci  +[0-9-]{10}T[0-9:]{8}Z  -  +\(resume with .catalyst-sync resume.\)$" &&
	sed -n 2p out | grep -Eq "^$R2  done  +ana@laptop  +[0-9-]{10}T[0-9:]{8}Z  1m05s  +total 2, done 2$" &&
	sed -n 3p out | grep -Eq "^$R1  partial  +ana@laptop  +[0-9-]{10}T[0-9:]{8}Z  2\.5s  +total 2, done 1, failed 1$"
'

test_expect_success 'runs --limit and --json' '
	cs runs --limit 1 >out &&
	test "$(wc -l <out)" = 1 && grep -q "^$R3 " out &&
	cs runs --json >r.json &&
	jq -e ".format_version == 1 and (.runs | length) == 3" r.json &&
	jq -e ".runs[0] | .id == \"$R3\" and .status == \"interrupted\" and .resumable == true and .finished == null and .duration_ms == null and .summary == null" r.json &&
	jq -e ".runs[1] | .resumable == false and .duration_ms == 65000 and .summary.done == 2 and .target == \"optimizely\" and .mode == \"push\"" r.json &&
	jq -e ".runs[2] | .status == \"partial\" and .summary.failed == 1 and .duration_ms == 2500" r.json &&
	cs runs -n 2 --json | jq -e "(.runs | length) == 2" &&
	test_expect_code 64 cs runs --limit -3 2>err &&
	test_expect_code 64 cs runs extra 2>err
'

test_expect_success 'gc --dry-run says what the retention (30d) removes, removes nothing' '
	cs gc --dry-run >out &&
	cat out &&
	grep -Eq "^would remove 1 run \(2 operations\), 2 history entries, 1 backup and 0 intents that ended before [0-9-]{10}T[0-9:]{8}Z$" out &&
	test "$(count sync_runs)" = 3 &&
	test "$(count sync_ops)" = 6 &&
	test "$(count sync_history)" = 5 &&
	test "$(count backups)" = 4 &&
	cs gc --dry-run --json >g.json &&
	jq -e ".format_version == 1 and .dry_run == true and .older_than_ms == 2592000000 and .removed == {runs: 1, ops: 2, history: 2, backups: 1, intents: 0}" g.json &&
	test "$(count sync_runs)" = 3
'

test_expect_success 'every store call of gc can fail cleanly, all or nothing' '
	cp catalyst-sync.db keep.db &&
	for n in 1 2 3 4 5 6; do
		CS_FAULT_AT=store:$n cs gc >out 2>err; rc=$?
		if [ "$rc" != 0 ]; then
			test "$rc" = 1 && grep -q "injected fault" err || {
				echo "store:$n exit $rc"; cat err; return 1; }
			test "$(count sync_runs)" = 3 &&
			test "$(count sync_history)" = 5 || {
				echo "store:$n left a partial gc"; return 1; }
		else
			test "$(count sync_runs)" = 2 || return 1
			cp keep.db catalyst-sync.db
		fi
		rm -f catalyst-sync.db-wal catalyst-sync.db-shm
	done &&
	test "$(count sync_runs)" = 3 &&
	test "$(count sync_history)" = 5 &&
	test "$(count backups)" = 4
'

test_expect_success 'gc removes the finished run older than 30 days' '
	cs gc >out &&
	grep -q "^removed 1 run (2 operations), 2 history entries, 1 backup and 0 intents that ended before " out &&
	test "$(count sync_runs)" = 2 &&
	test "$(count sync_ops)" = 4 &&
	test "$(count sync_history)" = 3 &&
	test "$(count backups)" = 3 &&
	test "$(sqlite3 catalyst-sync.db "SELECT count(*) FROM sync_ops WHERE run_id = '\''$R1'\''")" = 0 &&
	cs runs >runs && test "$(wc -l <runs)" = 2 && ! grep -q $R1 runs &&
	test_expect_code 1 cs history --run $R1 2>err && grep -q "no run" err
'

test_expect_success 'gc keeps the newest backup of each type, without its run' '
	test "$(sqlite3 catalyst-sync.db "SELECT count(*) FROM backups WHERE type_key = '\''Author'\'' AND run_id IS NULL")" = 1 &&
	test "$(sqlite3 catalyst-sync.db "SELECT group_concat(run_id) FROM backups WHERE type_key = '\''Article'\''")" = $R2 &&
	test "$(count content_type_versions)" = 10
'

test_expect_success 'a second gc removes nothing' '
	cs gc >out &&
	grep -q "^removed 0 runs (0 operations), 0 history entries, 0 backups and 0 intents" out
'

test_expect_success 'gc follows sync.state.retention' '
	printf "sync:\n  state:\n    retention: 5d\n" >catalyst-sync.yaml &&
	cs gc --dry-run --json >g.json &&
	jq -e ".older_than_ms == 432000000 and .removed.runs == 1 and .removed.history == 2 and .removed.backups == 0" g.json &&
	cs gc >out &&
	grep -q "^removed 1 run (2 operations), 2 history entries, 0 backups and 0 intents" out &&
	rm catalyst-sync.yaml &&
	cs runs >out && test "$(wc -l <out)" = 1 && grep -q "^$R3 " out &&
	test "$(count backups)" = 3
'

test_expect_success 'gc --older-than never removes an interrupted run' '
	cs gc --older-than 0s --json >g.json &&
	jq -e ".older_than_ms == 0 and .dry_run == false and .removed.runs == 0 and .removed.ops == 0 and .removed.history == 0" g.json &&
	cs runs --json | jq -e ".runs[0].id == \"$R3\" and .runs[0].resumable" &&
	cs history --run $R3 >out && test "$(wc -l <out)" = 1 &&
	test "$(count backups)" = 3
'

test_expect_success 'gc: usage errors (64)' '
	test_expect_code 64 cs gc --older-than soon 2>err &&
	grep -q "takes a duration" err &&
	test_expect_code 64 cs gc --older-than 5x 2>err &&
	test_expect_code 64 cs gc --older-than 2>err &&
	test_expect_code 64 cs gc now 2>err
'

test_expect_success 'history and runs fail cleanly on every store call' '
	for n in 1 2 3 4; do
		for c in "history --run bbbb" "runs" "history --type LegacyPromo"; do
			CS_FAULT_AT=store:$n cs $c >out 2>err; rc=$?
			test "$rc" = 0 || { test "$rc" = 1 && grep -q "injected fault" err; } || {
				echo "$c store:$n exit $rc"; cat err; return 1; }
		done
	done
'

test_done
