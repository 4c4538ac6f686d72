#!/usr/bin/env bash
# Data loss is decided at plan time (brief §10): blocked with its reasons
# unless 'plan --allow-data-loss', which the plan file records and apply
# performs with the server's data-loss header. Validation errors leave a
# type out with its reason (exit 1) while the rest go on.
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
sync_setup

test_expect_success 'setup: the first sync' '
	cs apply --auto-approve </dev/null >out 2>err &&
	remote_is_export
'

test_expect_success 'a removed field and a changed type are blocked as data loss (exit 3)' '
	cat_remove Author "\$.fields[3]" &&
	cat_set Author "\$.fields[1].type" "\"text\"" &&
	cat_set Category "\$.fields[0].label" "\"Heading\"" &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -q "^  ~   update    Category$" out &&
	grep -q "^  x   blocked   Author$" out &&
	grep -q "2 changes would lose content in the CMS; review them and plan with --allow-data-loss" out &&
	grep -q "^                  ~ properties.bio.type: \"richText\" -> \"string\"   (data loss: .*)$" out &&
	grep -q "^                  - properties.website   (data loss: .*)$" out &&
	cs plan --json >plan.json;
	jq -e ".allow_data_loss == false" plan.json &&
	jq -e ".types[] | select(.key == \"Author\") | .action == \"blocked\" and (.data_loss | length) == 2" plan.json &&
	jq -e "[.types[] | select(.key == \"Author\") | .findings[] | select(.code == \"data-loss\") | .severity] == [\"error\", \"error\"]" plan.json &&
	jq -e "[.types[] | select(.key == \"Author\") | .findings[] | select(.code == \"data-loss\") | .path] | sort == [\"Author:properties.bio\", \"Author:properties.website\"] or (sort | .[0] | startswith(\"Author:properties.bio\"))" plan.json &&
	jq -e "[.operations[].key] == [\"Category\"]" plan.json
'

test_expect_success 'apply leaves the data-losing type alone and applies the others (exit 3)' '
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Category 200" &&
	remote Author | jq -e ".properties.website and .properties.bio.type == \"richText\"" &&
	test "$(state_of Author)" = "blocked|none|1"
'

test_expect_success 'plan --allow-data-loss plans it, and the plan file records the choice' '
	cs plan --allow-data-loss --out p.json >out && cat out &&
	grep -q "^  ~   update    Author$" out &&
	grep -q "(data loss: " out &&
	grep -q "^Data loss is allowed in this plan (--allow-data-loss).$" out &&
	jq -e ".allow_data_loss == true" p.json &&
	jq -e ".operations == [.operations[0]] and .operations[0].action == \"update\" and .operations[0].allow_data_loss == true" p.json &&
	jq -e "[.types[0].findings[] | select(.code == \"data-loss\") | .severity] == [\"warning\", \"warning\"]" p.json &&
	test_expect_code 2 cs plan --allow-data-loss --detailed-exitcode >/dev/null
'

test_expect_success 'apply FILE performs it with the data-loss header' '
	jmark &&
	cs apply p.json </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Author 200" &&
	jentries | jq -e ".[] | select(.method == \"PATCH\") | .headers[\"cms-ignore-data-loss-warnings\"] == \"true\" and (.body | fromjson | .properties.website == null and .properties.bio.type == \"string\")" &&
	remote Author | jq -e "(.properties | has(\"website\") | not) and .properties.bio.type == \"string\"" &&
	remote_is_export &&
	test "$(state_of Author)" = "in_sync|none|1"
'

test_expect_success 'apply --allow-data-loss does the same without a file' '
	cat_set Event "\$.fields[3].type" "\"text\"" &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out 2>err &&
	remote Event | jq -e ".properties.capacity.type == \"integer\"" &&
	jmark &&
	cs apply --allow-data-loss --auto-approve </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Event 200" &&
	jentries | jq -e ".[] | select(.method == \"PATCH\") | .headers[\"cms-ignore-data-loss-warnings\"] == \"true\"" &&
	remote Event | jq -e ".properties.capacity.type == \"string\"" &&
	remote_is_export
'

test_expect_success 'a plan without data loss sends no data-loss header' '
	cat_set Event "\$.fields[2].label" "\"Place\"" &&
	jmark &&
	cs apply --allow-data-loss --auto-approve </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Event 200" &&
	jentries | jq -e ".[] | select(.method == \"PATCH\") | .headers[\"cms-ignore-data-loss-warnings\"] == null"
'

BROKEN_FIELDS='{"name":"Broken","fields":[{"id":"f1","name":"grid","type":"array","itemType":"array","label":"Grid","order":0}],"relationships":[]}'
QUOTE_FIELDS='{"name":"Quote","fields":[{"id":"f1","name":"text","type":"text","label":"Text","required":true,"order":0}],"relationships":[]}'
FAN_FIELDS='{"name":"Fan","fields":[{"id":"f1","name":"idol","type":"reference","label":"Idol","order":0}],"relationships":[{"id":"r1","name":"idol","type":"manyToOne","sourceContentTypeId":"cmnw02a1b0023nwfan0000001","targetContentTypeId":"cmnw02a1b0020nwbroken0001","fieldName":"idol"}]}'

test_expect_success 'validation errors leave types out with their reasons (exit 1), the rest go on' '
	cat_set Category "\$.fields[0].validation" "{\"minLength\":50,\"maxLength\":10}" &&
	cat_set Event "\$.fields[0].label" "\"Title\"" &&
	cat_add cmnw02a1b0020nwbroken0001 Broken "$BROKEN_FIELDS" &&
	cat_add cmnw02a1b0021nwquote00001 Quote "$QUOTE_FIELDS" &&
	cat_add cmnw02a1b0022nwbad0000001 Unreadable "{\"fields\": [not json" &&
	cat_add cmnw02a1b0023nwfan0000001 Fan "$FAN_FIELDS" &&
	test_expect_code 1 cs plan >out && cat out &&
	grep -q "^  +   create    Quote, 1 properties$" out &&
	grep -q "^  ~   update    Event$" out &&
	grep -A1 "^  x   blocked   Category$" out | grep -q "validation findings\? must be fixed first (see .catalyst-sync validate Category.)" &&
	grep -A3 "^  x   blocked   Category$" out | grep -q "^                error: Category:[^ ]*: .* \[invalid-bounds\]$" &&
	grep -A1 "^  x   blocked   Broken$" out | grep -q "validation finding" &&
	grep -A1 "^  x   blocked   Unreadable" out | grep -q "its Catalyst row cannot be used" &&
	grep -A1 "^  x   blocked   Fan$" out | grep -q "Broken" &&
	cs plan --json >plan.json;
	jq -e ".types[] | select(.key == \"Category\") | .findings[] | select(.code == \"invalid-bounds\") | .severity == \"error\" and (.path | startswith(\"Category:\"))" plan.json &&
	jq -e "[.operations[].key] | sort == [\"Event\", \"Quote\"]" plan.json &&
	jq -e "[.types[] | select(.invalid) | .key] == [\"Broken\", \"Category\", \"Unreadable\"]" plan.json
'

test_expect_success 'apply applies the valid ones and exits 1' '
	jmark &&
	test_expect_code 1 cs apply --auto-approve </dev/null >out 2>err &&
	jwrites | sort >w &&
	printf "PATCH Event 200\nPOST Quote 201\n" >want && diff -u want w &&
	remote Category | jq -e ".properties.title.maxLength == null" &&
	! remote Broken >/dev/null && ! remote Fan >/dev/null &&
	test "$(state_of Category)" = "blocked|none|1"
'

test_expect_success 'validation: strict (the default) makes warnings errors; lenient does not' '
	cat_delete Broken && cat_delete Unreadable && cat_delete Fan &&
	cat_set Category "\$.fields[0].validation" "{}" &&
	cat_set Quote "\$.fields[0].type" "\"stars\"" &&
	cat_set Quote "\$.fields[0].label" "\"Quote text\"" &&
	test_expect_code 1 cs plan >out && cat out &&
	grep -A1 "^  x   blocked   Quote$" out | grep -q "1 validation finding must be fixed first" &&
	cs plan --json | jq -e ".types[] | select(.key == \"Quote\") | .findings[0] | .code == \"unknown-field-type\" and .severity == \"warning\"" &&
	printf "  protection:\n    validation: lenient\n" >>cs.yaml &&
	cs plan >out && cat out &&
	grep -q "^  ~   update    Quote$" out &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Quote 200" &&
	remote_is_export
'

test_done
