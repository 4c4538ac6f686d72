#!/usr/bin/env bash
# optimizely-emulator: content-instance counts and edits "in the CMS UI".
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

emu_start

test_expect_success 'setup' '
	test "$(create_type Article _page "{\"title\":{\"type\":\"string\"},\"body\":{\"type\":\"richText\"}}")" = 201
'

test_expect_success 'instance counts: only the seeded folder at first' '
	test "$(ctl GET /_emulator/instances)" = 200 &&
	json ".counts == {\"SysContentFolder\":1}"
'

test_expect_success 'instance counts: GET and PUT per type' '
	test "$(ctl GET /_emulator/instances/Article)" = 200 && json ".count == 0" &&
	test "$(ctl PUT /_emulator/instances/Article -d "{\"count\":4}")" = 200 &&
	json ".key == \"Article\" and .count == 4" &&
	ctl GET /_emulator/instances >/dev/null && json ".counts.Article == 4" &&
	test "$(ctl PUT /_emulator/instances/Article -d "{\"count\":-1}")" = 400 &&
	test "$(ctl PUT /_emulator/instances/Nope -d "{\"count\":1}")" = 404 &&
	test "$(ctl GET /_emulator/instances/globalcontract%3A_Item)" = 200
'

test_expect_success 'an editor edit changes the type and who changed it' '
	req GET /_cms/v1/contenttypes/Article >/dev/null && old=$(hdr ETag) &&
	code=$(ctl POST "/_emulator/editor/contenttypes/Article?user=alice@example.com" \
		-d "{\"displayName\":\"Article (edited)\",\"properties\":{\"body\":null,\"teaser\":{\"type\":\"string\"}}}") &&
	expect_status "$code" 200 &&
	json ".displayName == \"Article (edited)\" and .lastModifiedBy == \"alice@example.com\" and .createdBy == \"$EMU_ID\"" &&
	json "(.properties | has(\"body\") | not) and .properties.teaser.type == \"string\"" &&
	new=$(hdr ETag) && test "$new" != "$old" &&
	req GET /_cms/v1/contenttypes/Article >/dev/null &&
	test "$(hdr ETag)" = "$new" && json ".lastModifiedBy == \"alice@example.com\""
'

test_expect_success 'the client sees the edit as a stale If-Match' '
	code=$(patch_type Article -H "If-Match: $(cat /dev/null)\"gone\"" -d "{\"displayName\":\"x\"}") &&
	expect_status "$code" 412
'

test_expect_success 'an editor edit without changes still bumps the ETag' '
	req GET /_cms/v1/contenttypes/Article >/dev/null && e1=$(hdr ETag) &&
	ctl POST /_emulator/editor/contenttypes/Article -d "{}" >/dev/null &&
	json ".lastModifiedBy == \"editor@example.com\"" &&
	test "$(hdr ETag)" != "$e1"
'

test_expect_success 'editor edits are validated; unknown types are 404' '
	code=$(ctl POST /_emulator/editor/contenttypes/Article -d "{\"properties\":{\"xx\":{\"type\":\"nope\"}}}") &&
	expect_status "$code" 400 && json ".errors[0].field == \"properties.xx.type\"" &&
	test "$(ctl POST /_emulator/editor/contenttypes/Nope -d "{}")" = 404
'

test_expect_success 'the editor can create a type' '
	code=$(ctl POST "/_emulator/editor/contenttypes?user=bob" \
		-d "{\"key\":\"ByHand\",\"displayName\":\"By hand\",\"baseType\":\"_component\"}") &&
	expect_status "$code" 201 && json ".createdBy == \"bob\" and .lastModifiedBy == \"bob\"" &&
	test "$(req GET /_cms/v1/contenttypes/ByHand)" = 200
'

test_expect_success 'the editor can delete a type with content, and its count goes' '
	ctl PUT /_emulator/instances/ByHand -d "{\"count\":2}" >/dev/null &&
	test "$(req DELETE /_cms/v1/contenttypes/ByHand)" = 409 &&
	test "$(ctl DELETE /_emulator/editor/contenttypes/ByHand)" = 204 &&
	test "$(req GET /_cms/v1/contenttypes/ByHand)" = 404 &&
	ctl GET /_emulator/instances >/dev/null && json ".counts | has(\"ByHand\") | not" &&
	test "$(ctl DELETE /_emulator/editor/contenttypes/ByHand)" = 404
'

test_expect_success 'editor requests are not journaled as API calls' '
	ctl GET /_emulator/journal >/dev/null &&
	json "all(.entries[]; .path | test(\"editor\") | not)"
'

test_done
