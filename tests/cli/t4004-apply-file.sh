#!/usr/bin/env bash
# apply FILE (brief §10, §11): exactly the saved plan, without asking; stale
# types refused while the others go on; a concurrent edit in the CMS is a
# 412 and a conflict, never an overwrite; a plan of another store or
# target, or a damaged plan file, is refused clearly.
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
sync_setup

test_expect_success 'setup: the first sync' '
	cs apply --auto-approve </dev/null >out 2>err &&
	remote_is_export
'

test_expect_success 'apply FILE applies exactly the saved plan, without asking' '
	cat_set Author "\$.fields[0].label" "\"Name\"" &&
	cat_set Category "\$.fields[0].label" "\"Heading\"" &&
	cs plan --out p1.json >out &&
	grep -q "^Saved the plan to p1.json" out &&
	cat_set Event "\$.fields[2].label" "\"Place\"" &&
	jmark &&
	cs apply p1.json </dev/null >out 2>err && cat out &&
	! grep -q "Apply these changes" out &&
	jwrites | sort >w &&
	printf "PATCH Author 200\nPATCH Category 200\n" >want && diff -u want w &&
	remote Event | jq -e ".properties.venue.displayName == \"Venue\"" &&
	cs plan --json | jq -e "[.types[] | [.key, .action]] == [[\"Event\", \"update\"]]"
'

test_expect_success 'the same plan applied again is refused as stale: it is in sync now' '
	jmark &&
	test_expect_code 3 cs apply p1.json </dev/null >out 2>err && cat out &&
	grep -q "skipped update  Author: stale: it is in sync now" out &&
	test -z "$(jwrites)"
'

test_expect_success 'a type edited in Catalyst after the plan is refused as stale (exit 3), the others go on' '
	cat_set Author "\$.fields[0].label" "\"Full name\"" &&
	cs plan --out p2.json >/dev/null &&
	cat_set Author "\$.fields[0].label" "\"Writer name\"" &&
	jmark &&
	test_expect_code 3 cs apply p2.json </dev/null >out 2>err && cat out &&
	grep -q "skipped update  Author: stale: changed in Catalyst since the plan; plan again" out &&
	test "$(jwrites)" = "PATCH Event 200" &&
	remote Author | jq -e ".properties.fullName.displayName == \"Name\"" &&
	cs history --json >h.json &&
	jq -e "[.entries[] | select(.type_key == \"Author\")][0] | .status == \"SKIPPED\" and (.error | startswith(\"stale\"))" h.json
'

test_expect_success 'a type edited in the CMS after the plan is refused as stale, not overwritten' '
	cs plan --out p3.json >/dev/null &&
	editor_patch Author "{\"properties\":{\"bio\":{\"displayName\":\"About\"}}}" &&
	jmark &&
	test_expect_code 3 cs apply p3.json </dev/null >out 2>err && cat out &&
	grep -q "skipped update  Author: stale: changed in the CMS since the plan; plan again" out &&
	test -z "$(jwrites)" &&
	remote Author | jq -e ".properties.bio.displayName == \"About\" and .properties.fullName.displayName == \"Name\""
'

test_expect_success 'setup: the editor change is taken into Catalyst' '
	cat_set Author "\$.fields[1].label" "\"About\"" &&
	cat_set Author "\$.fields[0].label" "\"Name\"" &&
	cs apply --auto-approve </dev/null >out 2>err &&
	cs plan --detailed-exitcode >/dev/null
'

# The PATCH is held 1.5 s before the server looks at it: an editor saves in
# that window, after the plan and its stale check.
test_expect_success 'an editor change during apply FILE is a 412 and a conflict, never an overwrite' '
	cat_set Author "\$.fields[0].label" "\"Author name\"" &&
	cs plan --out p4.json >/dev/null &&
	code=$(ctl POST /_emulator/faults/script -H "Content-Type: application/json" \
		-d "{\"method\":\"PATCH\",\"path\":\"/_cms/v1/contenttypes/Author\",\"action\":\"delay\",\"delayMs\":1500}") &&
	expect_status "$code" 201 &&
	jmark || exit 1
	{ cs apply p4.json </dev/null >out 2>err; echo $? >rc; } &
	sleep 0.2 &&
	for _ in $(seq 1 100); do
		test "$(sqlite3 state.db "SELECT count(*) FROM sync_ops WHERE type_key = '\''Author'\'' AND state = '\''running'\''" 2>/dev/null)" = 1 && break
		sleep 0.05
	done &&
	editor_patch Author "{\"properties\":{\"fullName\":{\"displayName\":\"Editor name\"}}}" &&
	wait &&
	cat out err &&
	test "$(cat rc)" = 3 &&
	test "$(jwrites)" = "PATCH Author 412" &&
	grep -q "failed  update  Author: changed in the CMS since the plan: not overwritten" out &&
	remote Author | jq -e ".properties.fullName.displayName == \"Editor name\"" &&
	test "$(state_of Author)" = "conflict|detected|1" &&
	cs history --status failed --json | jq -e ".entries[0] | .type_key == \"Author\" and (.error | test(\"412\"))" &&
	test_expect_code 3 cs plan >out &&
	grep -q "^  !   conflict  Author$" out
'

test_expect_success 'setup: Catalyst takes the editor value' '
	cat_set Author "\$.fields[0].label" "\"Editor name\"" &&
	cs apply --auto-approve </dev/null >out 2>err &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'a plan made with another state store is refused' '
	cat_set Category "\$.fields[0].label" "\"Section\"" &&
	cs plan --out p5.json >/dev/null &&
	sed "s/storage: state.db/storage: other.db/" cs.yaml >other.yaml &&
	CATALYST_SYNC_CONFIG=other.yaml cs init >/dev/null 2>&1 &&
	jmark &&
	test_expect_code 1 env CATALYST_SYNC_CONFIG=other.yaml "$CATALYST_SYNC" apply p5.json </dev/null >out 2>err &&
	cat err &&
	grep -q "the plan was made with another state store" err &&
	test -z "$(jwrites)"
'

test_expect_success 'a plan made for another target is refused' '
	"$CATALYST_SYNC_EMULATOR" --port 0 --client-id "$EMU_ID" --client-secret "$EMU_SECRET" >emu2.out 2>emu2.err &
	pid2=$!
	url=$EMU_URL &&
	for _ in $(seq 1 100); do grep -q listening emu2.out && break; sleep 0.05; done &&
	url2=$(sed -n "s/^optimizely-emulator listening on //p" emu2.out) &&
	sed "s|url: $url|url: $url2|" cs.yaml >t2.yaml &&
	test_expect_code 1 env CATALYST_SYNC_CONFIG=t2.yaml "$CATALYST_SYNC" apply p5.json </dev/null >out 2>err
	rc=$?
	kill $pid2; wait $pid2
	cat err &&
	test $rc = 0 &&
	grep -q "the plan is for target" err &&
	test -z "$(jwrites)"
'

test_expect_success 'a damaged plan file gets a clear error, and nothing is written' '
	runs=$(cs runs --json | jq ".runs | length") &&
	jmark &&
	head -c 300 p5.json >cut.json &&
	test_expect_code 1 cs apply cut.json </dev/null >out 2>err &&
	cat err && grep -q "cut.json" err &&
	jq "del(.operations)" p5.json >noops.json &&
	test_expect_code 1 cs apply noops.json </dev/null >out 2>err &&
	cat err && grep -q "operations" err &&
	jq ".format_version = 99" p5.json >v99.json &&
	test_expect_code 1 cs apply v99.json </dev/null >out 2>err &&
	cat err && grep -q "format_version" err &&
	jq ".operations[0].after = [7]" p5.json >after.json &&
	test_expect_code 1 cs apply after.json </dev/null >out 2>err &&
	cat err && grep -q "operations\[0\].after" err &&
	test_expect_code 1 cs apply missing.json </dev/null >out 2>err &&
	cat err && grep -q "missing.json" err &&
	test -z "$(jwrites)" &&
	test "$(cs runs --json | jq ".runs | length")" = "$runs"
'

test_expect_success 'apply FILE takes no planning flags (64)' '
	test_expect_code 64 cs apply p5.json --allow-data-loss 2>err &&
	test_expect_code 64 cs apply p5.json --exclude Author 2>err &&
	test_expect_code 64 cs apply p5.json extra.json 2>err
'

test_expect_success 'the saved plan still applies' '
	jmark &&
	cs apply p5.json </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Category 200" &&
	remote_is_export
'

STAR=cmnw02a1b0014nwstar000001
FAN=cmnw02a1b0013nwfan0000001

test_expect_success 'what depends on a stale type is refused with it; the rest go on (exit 3)' '
	cat_add $STAR Star "{\"name\":\"Star\",\"fields\":[{\"id\":\"f1\",\"name\":\"title\",\"type\":\"text\",\"label\":\"Title\",\"order\":0}],\"relationships\":[]}" &&
	cat_add $FAN Fan "{\"name\":\"Fan\",\"fields\":[{\"id\":\"f1\",\"name\":\"idol\",\"type\":\"reference\",\"label\":\"Idol\",\"order\":0}],\"relationships\":[{\"id\":\"r1\",\"name\":\"idol\",\"type\":\"manyToOne\",\"sourceContentTypeId\":\"$FAN\",\"targetContentTypeId\":\"$STAR\",\"fieldName\":\"idol\"}]}" &&
	cat_set Event "\$.fields[2].label" "\"Venue name\"" &&
	cs plan --out p6.json >/dev/null &&
	cat_set Star "\$.fields[0].label" "\"Name\"" &&
	jmark &&
	test_expect_code 3 cs apply p6.json </dev/null >out 2>err && cat out &&
	grep -q "skipped create  Star: stale: changed in Catalyst since the plan" out &&
	grep -q "skipped create  Fan: depends on create .Star., which was skipped" out &&
	test "$(jwrites)" = "PATCH Event 200" &&
	cs apply --auto-approve </dev/null >out 2>err &&
	remote_is_export
'

test_done
