#!/usr/bin/env bash
# apply under faults (brief §11, §20): 429 with Retry-After, 5xx, dropped
# connections, truncated answers, a token that expires mid-run, latency;
# the sync completes and the CMS ends as 'export --json' says. A type that
# fails for good is reported (exit 4), its dependents skipped with the
# reason, the others done.
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
sync_setup

AUTHOR=cmnw02a1b0001nwauthor0001

# gen_type LETTER [TARGET-ID]: GenX with three fields, and a reference to
# TARGET when given.
gen_fields() {
	local ref="" rel=""
	if [ -n "${2:-}" ]; then
		ref=',{"id":"f4","name":"link","type":"reference","label":"Link","order":3}'
		rel="{\"id\":\"r1\",\"name\":\"link\",\"type\":\"manyToOne\",\"sourceContentTypeId\":\"cmnw03gen000000000000000$1\",\"targetContentTypeId\":\"$2\",\"fieldName\":\"link\"}"
	fi
	printf '{"name":"Gen%s","fields":[{"id":"f1","name":"title","type":"text","label":"Title","required":true,"validation":{"maxLength":120},"order":0},{"id":"f2","name":"count","type":"number","label":"Count","validation":{"min":0,"precision":0},"order":1},{"id":"f3","name":"body","type":"richText","label":"Body","order":2}%s],"relationships":[%s]}' \
		"$1" "$ref" "$rel"
}

gen_add() {
	cat_add "cmnw03gen000000000000000$1" "Gen$1" "$(gen_fields "$@")"
}

# rule JSON: a scripted fault.
rule() {
	code=$(ctl POST /_emulator/faults/script -H "Content-Type: application/json" -d "$1") &&
	expect_status "$code" 201
}

faults() {
	code=$(ctl PUT /_emulator/faults -H "Content-Type: application/json" -d "$1") &&
	expect_status "$code" 200
}

# ms TIME: an ISO 8601 journal time in milliseconds since the epoch.
JQ_MS='def ms: (sub("\\.[0-9]+Z$"; "Z") | fromdate) * 1000 + (capture("\\.(?<f>[0-9]+)Z$").f | tonumber);'

test_expect_success 'setup: eight more types, some referencing others' '
	gen_add A && gen_add B cmnw03gen000000000000000A && gen_add C $AUTHOR &&
	gen_add D && gen_add E cmnw03gen000000000000000D && gen_add F &&
	gen_add G $AUTHOR && gen_add H &&
	cs plan >out && grep -q "^Plan: 13 to create," out
'

test_expect_success '429 with Retry-After: the creates wait as told and complete' '
	rule "{\"method\":\"POST\",\"path\":\"/_cms/v1/contenttypes\",\"count\":2,\"status\":429,\"retryAfter\":1}" &&
	jmark &&
	cs apply --auto-approve --no-bulk </dev/null >out 2>err &&
	jentries >e.json &&
	test "$(jq "[.[] | select(.status == 429)] | length" e.json)" = 2 &&
	jq -e "$JQ_MS"" (map(select(.status == 429)) | map(.time | ms) | max) as \$t429 |
		[.[] | select(.method == \"POST\" and .status == 201) | (.time | ms)] | sort |
		.[-1] >= \$t429 + 900" e.json &&
	test "$(jwrites | grep -c "^POST .* 201$")" = 13 &&
	remote_is_export
'

test_expect_success '5xx are retried until the update goes through' '
	rule "{\"method\":\"PATCH\",\"path\":\"/_cms/v1/contenttypes/Author\",\"count\":1,\"status\":503}" &&
	rule "{\"method\":\"PATCH\",\"path\":\"/_cms/v1/contenttypes/Author\",\"count\":1,\"status\":502}" &&
	cat_set Author "\$.fields[0].label" "\"Name\"" &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	test "$(jwrites | tr "\n" ,)" = "PATCH Author 503,PATCH Author 502,PATCH Author 200," &&
	remote_is_export
'

test_expect_success 'a PATCH whose answer is lost is checked, not sent twice blindly' '
	rule "{\"method\":\"PATCH\",\"path\":\"/_cms/v1/contenttypes/Category\",\"count\":1,\"action\":\"drop\",\"phase\":\"after\"}" &&
	cat_set Category "\$.fields[0].label" "\"Heading\"" &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	jwrites >w && cat w &&
	test "$(sed -n 1p w)" = "PATCH Category 200" &&
	test "$(grep -c "^PATCH Category 200$" w)" = 1 &&
	remote_is_export &&
	cs history --json | jq -e "[.entries[] | select(.type_key == \"Category\")][0] | .status == \"SUCCESS\""
'

test_expect_success 'a create whose answer is cut short is checked (409), not duplicated' '
	gen_add I &&
	rule "{\"method\":\"POST\",\"path\":\"/_cms/v1/contenttypes\",\"count\":1,\"action\":\"truncate\"}" &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	jwrites >w && cat w &&
	test "$(sed -n 1p w)" = "POST GenI 201" &&
	! grep -v "^POST GenI \(201\|409\)$" w &&
	remote_is_export
'

test_expect_success 'a DELETE dropped before the server saw it is sent again' '
	cat_delete GenI &&
	rule "{\"method\":\"DELETE\",\"path\":\"/_cms/v1/contenttypes/GenI\",\"count\":1,\"action\":\"drop\",\"phase\":\"before\"}" &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	jwrites >w && cat w &&
	grep -q "^DELETE GenI 204$" w &&
	! remote GenI >/dev/null &&
	remote_is_export
'

test_expect_success 'a token that expires mid-run is refreshed once, and the run completes' '
	for x in A B C D E F; do
		cat_set Gen$x "\$.fields[0].label" "\"Title $x\"" || exit 1
	done &&
	faults "{\"latencyMs\":150}" &&
	jmark || exit 1
	{ cs apply --auto-approve --concurrency 1 </dev/null >out 2>err; echo $? >rc; } &
	for _ in $(seq 1 200); do
		jwrites | grep -q "^PATCH" && break
		sleep 0.05
	done
	code=$(ctl POST /_emulator/tokens/expire) &&
	wait &&
	faults "{\"latencyMs\":0}" &&
	cat out err &&
	test "$(cat rc)" = 0 &&
	jrequests | grep -v "^GET " >w; cat w &&
	test "$(grep -c "^PATCH GenA 200$\|^PATCH Gen[A-F] 200$" w)" = 6 &&
	grep -q " 401$" w &&
	ctl GET "/_emulator/journal?since=$(cat jmark)" >/dev/null &&
	jq -e "[.entries[] | select(.path | endswith(\"/oauth/token\")) | .status] | length >= 2" body &&
	remote_is_export
'

test_expect_success 'latency and random 5xx, drops and truncations: the sync still ends as exported' '
	for x in A B C D E F G H; do
		cat_set Gen$x "\$.fields[2].label" "\"Text $x\"" || exit 1
	done &&
	cat_set Event "\$.fields[2].label" "\"Place\"" &&
	gen_add J && gen_add K cmnw03gen000000000000000J &&
	faults "{\"latencyMs\":10,\"jitterMs\":20,\"errorRate\":0.1,\"dropRate\":0.05,\"truncateRate\":0.05}" &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err
	rc=$?
	faults "{\"latencyMs\":0,\"jitterMs\":0,\"errorRate\":0,\"dropRate\":0,\"truncateRate\":0}" &&
	cat out &&
	test $rc = 0 &&
	ctl GET "/_emulator/journal?since=$(cat jmark)" >/dev/null &&
	jq -r "[.entries[] | .fault // empty] | group_by(.) | map(\"\(.[0]): \(length)\") | join(\", \")" body &&
	remote_is_export &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'a type that fails for good: exit 4, its dependents skipped, the others done' '
	write_config "{retries: 2}" &&
	cat_update GenB "\"fields\" = json_set(\"fields\", \"\$.relationships[0].targetContentTypeId\", \"$AUTHOR\")" &&
	cat_delete GenA &&
	cat_set Category "\$.fields[0].label" "\"Section\"" &&
	cs plan --out p.json >out && cat out &&
	grep -q "^                  - properties.link.allowedTypes\[\]: \"GenA\"$" out &&
	grep -q "^                  + properties.link.allowedTypes\[\]: \"Author\"$" out &&
	rule "{\"method\":\"PATCH\",\"path\":\"/_cms/v1/contenttypes/GenB\",\"count\":0,\"status\":500}" &&
	jmark &&
	test_expect_code 4 cs apply p.json </dev/null >out 2>err &&
	cat out &&
	grep -q "^  failed  update  GenB: " out &&
	grep -q "^  skipped delete  GenA: depends on update .GenB., which failed$" out &&
	grep -q "^Run [0-9a-f]* partial: 1 of 3 operations done, 1 failed, 1 skipped.$" out &&
	jwrites >w && grep -q "^PATCH Category 200$" w && ! grep -q "DELETE" w &&
	remote GenA >/dev/null &&
	remote GenB | jq -e ".properties.link.allowedTypes == [\"GenA\"]"
'

test_expect_success 'the history says which failed and which were skipped' '
	cs history --status failed >out && cat out &&
	test "$(wc -l <out)" = 1 && grep -q "  update  *GenB  *FAILED  " out &&
	cs history --status skipped >out &&
	test "$(wc -l <out)" = 1 && grep -q "  delete  *GenA  *SKIPPED  .*depends on update .GenB." out &&
	cs runs --json | jq -e ".runs[0] | .status == \"partial\" and .summary.failed == 1 and .summary.skipped == 1 and .summary.done == 1" &&
	test "$(state_of GenB)" = "failed|none|1"
'

test_expect_success 'once the CMS recovers, the next apply finishes the job' '
	code=$(ctl DELETE /_emulator/faults/script) &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	test "$(jwrites | tr "\n" ,)" = "PATCH GenB 200,DELETE GenA 204," &&
	remote_is_export &&
	cs plan --detailed-exitcode >/dev/null
'

test_done
