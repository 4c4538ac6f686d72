#!/usr/bin/env bash
# rollback (brief §12): a type back to an earlier version, in the CMS only
# (it then shows as drift) or in Catalyst too (a new version saying what it
# undid); a whole run undone from its backups. Always a plan first, with
# If-Match on every write.
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
sync_setup

label_in_cms() {
	remote Author | jq -r ".properties.fullName.displayName"
}

label_in_catalyst() {
	cat_sql "SELECT json_extract(\"fields\", '\$.fields[0].label') FROM \"ContentType\" WHERE \"name\" = 'Author'"
}

test_expect_success 'setup: three versions of Author, each pushed' '
	cs apply --auto-approve </dev/null >out 2>err &&
	cs log Author --json | jq -r ".versions[0].id" >v1 &&
	cat_set Author "\$.fields[0].label" "\"Name\"" &&
	cs apply --auto-approve </dev/null >out 2>err &&
	cat_set Author "\$.fields[0].label" "\"Writer\"" &&
	cs apply --auto-approve </dev/null >out 2>err &&
	test "$(label_in_cms)" = Writer
'

test_expect_success 'without a terminal or --auto-approve, rollback refuses' '
	test_expect_code 1 cs rollback Author --to $(cat v1) </dev/null >out 2>err &&
	grep -q "refusing to apply a plan nobody reviewed" err &&
	test "$(label_in_cms)" = Writer
'

test_expect_success 'rollback TYPE --to VERSION: the CMS goes back, Catalyst keeps its version, the type shows as drift' '
	jmark &&
	cs rollback Author --to $(cat v1) --auto-approve </dev/null >out 2>err &&
	grep -q "update    Author" out &&
	test "$(jwrites)" = "PATCH Author 200" &&
	jentries | jq -e ".[] | select(.method == \"PATCH\") | .headers[\"if-match\"] | length > 2" >/dev/null &&
	test "$(label_in_cms)" = "Full Name" &&
	test "$(label_in_catalyst)" = Writer &&
	test_expect_code 3 cs plan >out &&
	grep -q "drift     Author" out
'

test_expect_success '... until Catalyst is pushed again (--strategy local)' '
	cs apply --strategy local --auto-approve </dev/null >out 2>err &&
	test "$(label_in_cms)" = Writer &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'rollback --catalyst: both sides go back, as a new version that says what it undid' '
	cs log Author --json | jq -r ".versions[0].id" >head &&
	cs rollback Author --to $(cat v1) --catalyst --auto-approve --actor bob </dev/null >out 2>err &&
	test "$(label_in_cms)" = "Full Name" &&
	test "$(label_in_catalyst)" = "Full Name" &&
	cs log Author --json >log.json &&
	jq -e ".versions[0] | .source == \"SYNC\" and .author == \"bob\" and (.message | test(\"Rollback to \"))" log.json &&
	test "$(jq length <<<"$(jq .versions log.json)")" -ge 4 &&
	cs plan --detailed-exitcode >/dev/null &&
	cs status Author >st && cat st &&
	grep -q "optimizely: in sync" st &&
	cs history --type Author --json | jq -r ".entries[0].version_id" >named &&
	jq -r ".versions[0].id" log.json >written && diff -u written named
'

test_expect_success 'rollback --catalyst when the CMS holds that version already: Catalyst still goes back' '
	cat_set Author "\$.fields[0].label" "\"Penname\"" &&
	cs log Author --json | jq -r ".versions[1].id" >prev &&
	cs rollback Author --to $(cat prev) --catalyst --auto-approve --json </dev/null >out 2>err &&
	jq -e . out >/dev/null &&
	test "$(label_in_catalyst)" = "Full Name" &&
	cs plan --detailed-exitcode >/dev/null &&
	cs status Author >st && cat st &&
	grep -q "optimizely: in sync" st
'

test_expect_success 'rollback of a version of another type is refused' '
	cs log Category --json | jq -r ".versions[0].id" >cv &&
	test_expect_code 1 cs rollback Author --to $(cat cv) --auto-approve </dev/null >out 2>err &&
	grep -q "is a version of another content type" err
'

test_expect_success 'rollback --run ID: what the run updated comes back from its backups, what it created goes' '
	cat_set Author "\$.fields[0].label" "\"Byline\"" &&
	cat_add cmnw09z9z0009nwpromo00001 Promo "[{\"id\":\"p1\",\"name\":\"headline\",\"label\":\"Headline\",\"type\":\"text\",\"order\":0}]" &&
	cs apply --auto-approve --json </dev/null >run.json 2>err &&
	run=$(jq -r .run_id run.json) &&
	test "$(label_in_cms)" = Byline &&
	remote Promo >/dev/null &&
	jmark &&
	cs rollback --run $run --auto-approve </dev/null >out 2>err &&
	test "$(label_in_cms)" = "Full Name" &&
	! remote Promo &&
	jwrites | sort >w &&
	printf "DELETE Promo 204\nPATCH Author 200\n" >want &&
	diff want w &&
	test_expect_code 3 cs plan >out &&
	grep -q "drift     Author" out
'

test_expect_success 'rollback needs TYPE --to VERSION or --run ID, not both' '
	test_expect_code 64 cs rollback Author >out 2>err &&
	grep -q "rollback needs TYPE --to VERSION, or --run ID" err &&
	test_expect_code 64 cs rollback Author --to x --run y >out 2>err
'

test_done
