#!/usr/bin/env bash
# apply in dependency order (brief §10): referenced types first, reference
# cycles in two phases, deletes last and in reverse, safe deletion, and
# --type / --exclude.
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
sync_setup

AUTHOR=cmnw02a1b0001nwauthor0001
PING=cmnw02a1b0010nwping000001
PONG=cmnw02a1b0011nwpong000001
ECHO=cmnw02a1b0012nwecho000001
FAN=cmnw02a1b0013nwfan0000001
STAR=cmnw02a1b0014nwstar000001

# ref_type NAME SOURCE-ID FIELD TARGET-ID: fields with a title and one
# reference to TARGET.
ref_type() {
	printf '{"name":"%s","fields":[{"id":"f1","name":"title","type":"text","label":"Title","order":0},{"id":"f2","name":"%s","type":"reference","label":"%s","order":1}],"relationships":[{"id":"r1","name":"%s","type":"manyToOne","sourceContentTypeId":"%s","targetContentTypeId":"%s","fieldName":"%s"}]}' \
		"$1" "$3" "$3" "$3" "$2" "$4" "$3"
}

# line KEY-PATTERN: the line number of the first journaled write matching.
line() {
	jwrites >w && grep -n "$1" w | head -n1 | cut -d: -f1
}

test_expect_success 'a referenced type is created before the types referencing it' '
	cs plan --out p.json >/dev/null &&
	seq_of() { jq -r --arg k "$1" ".operations[] | select(.key == \$k and .action == \"create\") | .seq" p.json; } &&
	jq -e --argjson a "$(seq_of Author)" --argjson c "$(seq_of Category)" ".operations[] | select(.key == \"Article\") | .after | sort == ([\$a, \$c] | sort)" p.json &&
	jq -e --argjson a "$(seq_of Author)" ".operations[] | select(.key == \"Event\") | .after == [\$a]" p.json &&
	jmark &&
	cs apply p.json --concurrency 8 </dev/null >out 2>err &&
	test "$(jwrites | wc -l)" = 5 &&
	test "$(line "POST Author")" -lt "$(line "POST Article")" &&
	test "$(line "POST Category")" -lt "$(line "POST Article")" &&
	test "$(line "POST Author")" -lt "$(line "POST Event")" &&
	remote_is_export
'

test_expect_success 'a reference cycle of two new types is created in two phases' '
	cat_add $PING Ping "$(ref_type Ping $PING pong $PONG)" &&
	cat_add $PONG Pong "$(ref_type Pong $PONG ping $PING)" &&
	cat_add $ECHO Echo "$(ref_type Echo $ECHO ping $PING)" &&
	cs plan --out p.json >out && cat out &&
	grep -q "^Plan: 3 to create," out &&
	jq -c "[.operations[] | [.action, .key, (.phase1 // false)]]" p.json >ops &&
	cat ops &&
	jq -e "[.operations[] | select(.action == \"create\" and .phase1)] | map(.key) | sort == [\"Ping\", \"Pong\"]" p.json &&
	jq -e "[.operations[] | select(.action == \"link\")] | length >= 1" p.json &&
	jmark &&
	cs apply p.json </dev/null >out 2>err &&
	jwrites >w && cat w &&
	jentries >e.json &&
	jq -e "[.[] | select(.method == \"POST\") | .body | fromjson | select(.key == \"Ping\" or .key == \"Pong\")] | length == 2 and all(.properties | has(\"ping\") or has(\"pong\") | not)" e.json &&
	test "$(grep -c "^PATCH P[io]ng 200$" w)" -ge 1 &&
	test "$(line "POST Ping")" -lt "$(line "PATCH P")" &&
	test "$(line "POST Pong")" -lt "$(line "PATCH P")" &&
	test "$(line "POST Ping")" -lt "$(line "POST Echo")" &&
	remote Ping | jq -e ".properties.pong.allowedTypes == [\"Pong\"]" &&
	remote Pong | jq -e ".properties.ping.allowedTypes == [\"Ping\"]" &&
	remote_is_export &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'the second phase (link) is in the history' '
	cs history --json | jq -e "[.entries[] | select(.action == \"link\")] | length >= 1 and all(.status == \"SUCCESS\")"
'

test_expect_success 'deletes go last and in reverse: the referencing type first' '
	cat_delete Article && cat_delete Category &&
	cs plan --out p.json >out && cat out &&
	art=$(jq ".operations[] | select(.key == \"Article\") | .seq" p.json) &&
	jq -e --argjson a "$art" ".operations[] | select(.key == \"Category\") | .action == \"delete\" and .after == [\$a]" p.json &&
	jmark &&
	cs apply p.json </dev/null >out 2>err &&
	test "$(jwrites | tr "\n" ,)" = "DELETE Article 204,DELETE Category 204," &&
	remote_is_export
'

# Event's relationship now names a type without a key: a warning, which
# strict validation (the default) makes an error (exit 1).
test_expect_success 'a type still referenced by a surviving type is not deleted' '
	cat_delete Author &&
	test_expect_code 1 cs plan >out && cat out &&
	grep -q "^  x   blocked   Author" out &&
	grep -A1 "blocked   Author" out | grep -q "still referenced by .Event." &&
	grep -A1 "blocked   Event" out | grep -q "validation finding" &&
	jmark &&
	test_expect_code 1 cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	remote Author >/dev/null
'

test_expect_success 'a delete waits for the update that takes the reference away' '
	cat_remove Event "\$.fields[6]" &&
	cat_update Event "\"fields\" = json_set(\"fields\", \"\$.relationships\", json(\"[]\"))" &&
	cs plan --allow-data-loss --out p.json >out && cat out &&
	grep -q "^  ~   update    Event$" out &&
	grep -q "^  -   delete    Author$" out &&
	ev=$(jq ".operations[] | select(.key == \"Event\") | .seq" p.json) &&
	jq -e --argjson e "$ev" ".operations[] | select(.key == \"Author\") | .action == \"delete\" and (.after | index(\$e))" p.json &&
	jmark &&
	cs apply p.json </dev/null >out 2>err &&
	test "$(jwrites | tr "\n" ,)" = "PATCH Event 200,DELETE Author 204," &&
	remote_is_export
'

test_expect_success '--type and --exclude take keys, ids and names' '
	cat_set Ping "\$.fields[0].label" "\"Ping title\"" &&
	cat_set Echo "\$.fields[0].label" "\"Echo title\"" &&
	cat_set Event "\$.fields[0].label" "\"Event title\"" &&
	cs plan --type Ping >out &&
	grep -q "^  ~   update    Ping$" out && ! grep -q "Echo\|Event" out &&
	cs plan --type $ECHO --type Event --json | jq -e "[.types[].key] == [\"Echo\", \"Event\"]" &&
	cs plan --exclude Ping --exclude $ECHO --json | jq -e "[.types[].key] == [\"Event\"]" &&
	test_expect_code 64 cs plan --type NoSuchType 2>err &&
	grep -q "NoSuchType" err
'

test_expect_success 'apply --type writes only those types; --exclude leaves types out' '
	jmark &&
	cs apply --type Ping --auto-approve </dev/null >out &&
	test "$(jwrites)" = "PATCH Ping 200" &&
	jmark &&
	cs apply --exclude Echo --auto-approve </dev/null >out &&
	test "$(jwrites)" = "PATCH Event 200" &&
	cs plan --json | jq -e "[.types[].key] == [\"Echo\"]" &&
	test_expect_code 64 cs apply p.json --type Ping 2>err
'

test_expect_success 'a type whose new dependency is filtered out is blocked, naming it' '
	cat_add $STAR Star "{\"name\":\"Star\",\"fields\":[{\"id\":\"f1\",\"name\":\"title\",\"type\":\"text\",\"label\":\"Title\",\"order\":0}],\"relationships\":[]}" &&
	cat_add $FAN Fan "$(ref_type Fan $FAN idol $STAR)" &&
	test_expect_code 3 cs plan --type Fan >out && cat out &&
	grep -q "^  x   blocked   Fan$" out &&
	grep -A1 "blocked   Fan" out | grep -q "Star" &&
	jmark &&
	test_expect_code 3 cs apply --exclude Star --auto-approve </dev/null >out &&
	test "$(jwrites | grep -c "POST")" = 0 &&
	cs apply --type Fan --type Star --auto-approve </dev/null >out &&
	test "$(line "POST Star")" -lt "$(line "POST Fan")" &&
	remote_is_export
'

NOVA=cmnw02a1b0015nwnova000001

# The new type's create is held 0.4 s and the re-create 1 s: a create that
# did not wait for the re-create would reach the server while the type it
# references is gone.
test_expect_success 'a new type referencing a re-created type is created after the re-create' '
	cat_settings Star "\$.category" "\"page\"" &&
	cat_add $NOVA Nova "$(ref_type Nova $NOVA star $STAR)" &&
	cs plan --allow-data-loss --recreate --out p.json >out && cat out &&
	grep -q "^  -/+ recreate  Star$" out &&
	grep -q "^  +   create    Nova, 2 properties$" out &&
	star=$(jq ".operations[] | select(.key == \"Star\" and .action == \"create\") | .seq" p.json) &&
	jq -e --argjson s "$star" ".operations[] | select(.key == \"Nova\") | .after | index(\$s)" p.json &&
	code=$(ctl POST /_emulator/faults/script -H "Content-Type: application/json" \
		-d "{\"method\":\"POST\",\"path\":\"/_cms/v1/contenttypes\",\"action\":\"delay\",\"delayMs\":400}") &&
	code=$(ctl POST /_emulator/faults/script -H "Content-Type: application/json" \
		-d "{\"method\":\"POST\",\"path\":\"/_cms/v1/contenttypes\",\"after\":1,\"action\":\"delay\",\"delayMs\":1000}") &&
	jmark &&
	cs apply p.json </dev/null >out 2>err && cat out &&
	test "$(jwrites | tr "\n" ,)" = "DELETE Star 204,POST Star 201,POST Nova 201," &&
	remote Star | jq -e ".baseType == \"_page\"" &&
	remote_is_export
'

test_expect_success 'a type referenced by a type nobody manages is not deleted either' '
	editor_create "{\"key\":\"Promo\",\"displayName\":\"Promo\",\"baseType\":\"_component\",\"properties\":{\"echo\":{\"type\":\"contentReference\",\"allowedTypes\":[\"Echo\"]}}}" &&
	cat_delete Echo &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -A1 "^  x   blocked   Echo" out | grep -q "still referenced by .Promo." &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	editor_delete Promo &&
	cs apply --auto-approve </dev/null >out &&
	test "$(jwrites)" = "DELETE Echo 204" &&
	remote_is_export
'

test_done
