#!/usr/bin/env bash
# optimizely-emulator: --state FILE, dump/load through the control API,
# and reset.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

emu_start --state state.json

test_expect_success 'a missing state file is created from the seed state' '
	test -f state.json &&
	jq -e ".format == \"optimizely-emulator-state\" and .version == 1 and (.contentTypes | length) == 9" state.json
'

test_expect_success 'every write rewrites the file' '
	test "$(create_type Article _page "{\"title\":{\"type\":\"string\"}}")" = 201 &&
	jq -e "any(.contentTypes[]; .type.key == \"Article\" and .instances == 0 and (.etag | startswith(\"\\\"\")))" state.json &&
	test "$(ctl PUT /_emulator/instances/Article -d "{\"count\":3}")" = 200 &&
	jq -e "any(.contentTypes[]; .type.key == \"Article\" and .instances == 3)" state.json &&
	test "$(req POST /_cms/v1/propertygroups -H "Content-Type: application/json" -d "{\"key\":\"seo\",\"displayName\":\"SEO\"}")" = 201 &&
	jq -e "any(.propertyGroups[]; .group.key == \"seo\")" state.json &&
	! test -e state.json.tmp
'

test_expect_success 'remember the ETag before the restart' '
	req GET /_cms/v1/contenttypes/Article >/dev/null && hdr ETag >etag-before &&
	hdr Last-Modified >lm-before
'

emu_stop
emu_start --state state.json

test_expect_success 'the state survives a restart: types, ETags, counts, groups' '
	emu_stopped_cleanly &&
	test "$(req GET /_cms/v1/contenttypes/Article)" = 200 &&
	test "$(hdr ETag)" = "$(cat etag-before)" &&
	test "$(hdr Last-Modified)" = "$(cat lm-before)" &&
	json ".properties.title.type == \"string\"" &&
	test "$(req DELETE /_cms/v1/contenttypes/Article)" = 409 &&
	test "$(req GET /_cms/v1/propertygroups/seo)" = 200
'

test_expect_success 'new ETags after a restart do not repeat old ones' '
	patch_type Article -d "{\"displayName\":\"Changed\"}" >/dev/null &&
	test "$(hdr ETag)" != "$(cat etag-before)" &&
	! jq -r ".contentTypes[].etag" state.json | sort | uniq -d | grep .
'

test_expect_success 'GET /_emulator/state is the state file document' '
	test "$(ctl GET /_emulator/state)" = 200 &&
	jq -S . body >dump.json && jq -S . state.json >file.json &&
	cmp dump.json file.json
'

test_expect_success 'reset returns to the seed state (and writes the file)' '
	cp body saved-state.json &&
	test "$(ctl POST /_emulator/reset)" = 204 &&
	test "$(req GET /_cms/v1/contenttypes/Article)" = 404 &&
	req GET /_cms/v1/contenttypes >/dev/null && json ".totalCount == 9" &&
	jq -e "(.contentTypes | length) == 9" state.json
'

test_expect_success 'PUT /_emulator/state loads a dump' '
	test "$(ctl PUT /_emulator/state --data-binary @saved-state.json)" = 204 &&
	test "$(req GET /_cms/v1/contenttypes/Article)" = 200 &&
	json ".displayName == \"Changed\"" &&
	jq -e "any(.contentTypes[]; .type.key == \"Article\")" state.json
'

test_expect_success 'PUT /_emulator/state refuses a bad document and keeps the state' '
	test "$(ctl PUT /_emulator/state -d "{\"format\":\"nope\"}")" = 400 &&
	jq ".contentTypes += [.contentTypes[0]]" saved-state.json >dup.json &&
	test "$(ctl PUT /_emulator/state --data-binary @dup.json)" = 400 &&
	json ".detail | test(\"duplicate\")" &&
	test "$(req GET /_cms/v1/contenttypes/Article)" = 200
'

emu_stop

test_expect_success 'an invalid state file stops the start with exit code 1' '
	echo "{not json" >bad.json &&
	test_expect_code 1 "$CATALYST_SYNC_EMULATOR" --port 0 --client-id a \
		--client-secret b --state bad.json >out 2>err &&
	grep -q "bad.json" err && ! grep -q listening out &&
	test "$(cat bad.json)" = "{not json"
'

test_expect_success 'without --state nothing is written' '
	emu_stopped_cleanly &&
	ls -- *.json >before.txt
'

emu_start

test_expect_success '... and the model starts from the seed' '
	req GET /_cms/v1/contenttypes >/dev/null && json ".totalCount == 9" &&
	create_type Temp _page >/dev/null &&
	ls -- *.json >after.txt && cmp before.txt after.txt
'

test_done
