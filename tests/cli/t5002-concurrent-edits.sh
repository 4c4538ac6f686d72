#!/usr/bin/env bash
# A generated set of a few hundred concurrent-edit scenarios (brief §9):
# one per generated content type, a Catalyst edit (SQL on its row, as the
# app writes it) and a CMS edit (an editor's merge patch through
# /_emulator/editor) made from the same base. One bidirectional apply
# merges what merges and leaves the conflicts alone; the test counts how
# many merged automatically and shows that no edit was lost: a merged type
# holds both sides' edits on both sides and is in sync, a conflicted one
# still holds exactly each side's own edits, is listed at exactly the paths
# the generator made overlap, and nothing was written for it. A handful of
# conflicts of every kind are then settled each way.
#
# The scenarios come from tests/tools/concurrent_edits.py with a fixed
# seed (its header lists the classes); edits.tsv records every edit (side,
# type key, path, value). CS_T5002_SCENARIOS and CS_T5002_SEED change the
# set; CS_T5002_KEEP=DIR keeps the files of a run in DIR.
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
if ! command -v python3 >/dev/null || ! command -v sqlite3 >/dev/null; then
	test_skip "python3 and sqlite3 are needed"
	test_done
	exit 0
fi

# Under valgrind every command is many times slower: fewer scenarios.
if [ "${CS_TEST_VALGRIND:-0}" = 1 ]; then
	SCENARIOS=${CS_T5002_SCENARIOS:-60}
else
	SCENARIOS=${CS_T5002_SCENARIOS:-300}
fi
SEED=${CS_T5002_SEED:-5002}
GEN="python3 $CS_SOURCE_DIR/tests/tools/concurrent_edits.py"
sync_setup

# cat_sql with dot-commands too: sqlite3 catalyst.db ARG...
cat_sql() {
	sqlite3 catalyst.db "$@"
}

# The Catalyst rows and the CMS state, as the generator reads them.
snapshot() {
	cat_sql ".mode json" "SELECT \"name\", \"fields\", \"updatedAt\" FROM \"ContentType\"" >"cat-$1.json" &&
	ctl GET /_emulator/state >/dev/null && cp body "cms-$1.json"
}

# editor_patches <KEY TAB PATCH lines: editor_patch for each, in one curl
# (a few hundred curl processes would take seconds).
editor_patches() {
	n=0
	while IFS="	" read -r key patch; do
		n=$((n + 1))
		printf "%s" "$patch" >"patch-$n.json"
		[ $n = 1 ] || echo next
		printf 'url = "%s/_emulator/editor/contenttypes/%s"\n' "$EMU_URL" "$key"
		printf 'request = "POST"\nheader = "Content-Type: application/json"\n'
		printf 'data-binary = "@patch-%d.json"\noutput = "/dev/null"\n' $n
		printf 'write-out = "%%{http_code} %s\\n"\n' "$key"
	done >editor.curl &&
	curl -s -K editor.curl >editor.status &&
	test "$(grep -c "^200 " editor.status)" = $n ||
		{ grep -v "^200 " editor.status; return 1; }
}

test_expect_success "setup: $SCENARIOS generated types are in the CMS and in sync" '
	$GEN base "$SCENARIOS" "$SEED" &&
	cat_sql <base.sql &&
	test "$(cat_sql "SELECT count(*) FROM \"ContentType\" WHERE \"name\" LIKE '\''Concurrent %'\''")" = "$SCENARIOS" &&
	cs apply --auto-approve </dev/null >out 2>err &&
	cs plan --detailed-exitcode >/dev/null &&
	cs export --json >export.json &&
	jq -e --argjson n "$SCENARIOS" "[.[] | select(.key | startswith(\"Concurrent\"))] | length == \$n" export.json >/dev/null
'

test_expect_success 'every type is edited on both sides from the same base' '
	$GEN edits "$SEED" >mix &&
	cat_sql <catalyst-edits.sql &&
	editor_patches <cms-edits.tsv &&
	test "$(wc -l <cms-edits.tsv)" = "$SCENARIOS" &&
	test "$(grep -c "^catalyst	" edits.tsv)" -ge "$SCENARIOS" &&
	test "$(grep -c "^cms	" edits.tsv)" -ge "$SCENARIOS" &&
	test_expect_code 3 cs plan >/dev/null
'
# The scenario mix, for whoever reads the TAP output.
echo "# the scenario mix (seed $SEED):"
cat mix 2>/dev/null

test_expect_success 'one bidirectional apply merges what merges (exit 3: conflicts remain)' '
	sed -i "s/mode: push/mode: bidirectional/" cs.yaml &&
	snapshot before &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve --allow-data-loss </dev/null >apply.out 2>apply.err &&
	jwrites >writes.txt
'

test_expect_success 'merged types hold every edit on both sides; conflicted ones were not touched' '
	snapshot after &&
	test_expect_code 3 cs conflicts --json >conflicts.json &&
	cs conflicts --log --json >log.json &&
	{ cs plan --json >plan.json; test $? -le 3; } &&
	$GEN verify >summary
'
cat summary 2>/dev/null | grep -v "^# FAIL\|^#     "

test_expect_success 'the summary counts what the generator expected' '
	grep -q "^# $SCENARIOS scenarios: [0-9]* merged automatically, \([0-9]*\) conflicts (\1 expected), 0 edits lost$" summary &&
	test "$(jq ".types | length" conflicts.json)" = "$(jq "[.[] | select(.conflicts != [])] | length" scenarios.json)" &&
	test "$(jq ".summary.none" plan.json)" = "$(( $(jq "[.[] | select(.conflicts == [])] | length" scenarios.json) + $(jq "[.[] | select(.key | startswith(\"Concurrent\") | not)] | length" export.json) ))" &&
	test "$(jq ".summary.conflict" plan.json)" = "$(jq ".types | length" conflicts.json)"
'

# A handful of conflicts of every kind settled each way: the chosen side
# wins the conflicting paths, every other edit of both sides survives, the
# type is in sync and its conflicts are logged as resolved. Where the
# winner removes a property the CMS holds, resolve stops at the data loss
# (brief §10) and writes nothing; resolve --allow-data-loss then settles
# it.
$GEN pick 6 >picked 2>&1
for strategy in remote local; do
	test_expect_success "resolve --strategy $strategy: that side wins the conflicts, nothing else is lost" '
		keys=$(sed -n "s/^$strategy //p" picked) &&
		lossy=" $(sed -n "s/^data-loss //p" picked) " &&
		test -n "$keys" &&
		failed= &&
		for key in $keys; do
			case "$lossy" in
			*" $key "*)
				jmark &&
				test_expect_code 3 cs resolve "$key" --strategy $strategy --auto-approve </dev/null >out 2>err &&
				grep -q "blocked *$key" out && grep -q "data loss" out &&
				test -z "$(jwrites)" ||
					{ echo "resolve $key --strategy $strategy: not stopped at the data loss:"; cat out err; failed="$failed $key"; continue; }
				cs resolve "$key" --strategy $strategy --allow-data-loss --auto-approve --actor t5002 </dev/null >out 2>err
				;;
			*)
				cs resolve "$key" --strategy $strategy --auto-approve --actor t5002 </dev/null >out 2>err
				;;
			esac || { echo "resolve $key --strategy $strategy: exit $?"; sed "/^ok /d" err; failed="$failed $key"; continue; }
			echo "$key" >>resolved
		done &&
		snapshot after &&
		{ $GEN verify-resolved $strategy $keys || failed="$failed (verify)"; } &&
		{ cs plan --json >plan2.json; test $? -le 3; } &&
		cs conflicts --log --json >log2.json &&
		want=$(test $strategy = remote && echo remote_wins || echo local_wins) &&
		for key in $keys; do
			case " $failed " in *" $key "*) continue;; esac
			jq -e --arg k "$key" "[.types[] | select(.key == \$k)] == []" plan2.json >/dev/null ||
				{ echo "$key is not in sync:"; jq -c --arg k "$key" ".types[] | select(.key == \$k)" plan2.json; exit 1; }
			jq -e --arg k "$key" --arg w "$want" "[.conflicts[] | select(.type_key == \$k)] | length > 0 and all(.resolution == \$w and .resolved_by == \"t5002\")" log2.json >/dev/null ||
				{ echo "the conflict log of $key:"; jq -c --arg k "$key" ".conflicts[] | select(.type_key == \$k)" log2.json; exit 1; }
		done &&
		test -z "$failed"
	'
done

test_expect_success 'the other conflicts still wait, untouched (a failed resolve too)' '
	touch resolved &&
	test_expect_code 3 cs conflicts --json >conflicts2.json &&
	test "$(jq ".types | length" conflicts2.json)" = "$(( $(jq ".types | length" conflicts.json) - $(wc -l <resolved) ))" &&
	snapshot after &&
	$GEN verify-untouched $(cat resolved)
'

if [ -n "${CS_T5002_KEEP:-}" ]; then
	mkdir -p "$CS_T5002_KEEP" && cp -- * "$CS_T5002_KEEP/"
fi
test_done
