#!/usr/bin/env bash
# optimizely-emulator: /propertygroups list, get, create, patch, delete.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

emu_start

group_post() {
	req POST "/_cms/$1/propertygroups" -H 'Content-Type: application/json' "${@:3}" -d "$2"
}

test_expect_success 'the built-in groups are listed with source system' '
	test "$(req GET /_cms/v1/propertygroups)" = 200 &&
	json "[.items[].key] == [\"Content\",\"Scheduling\",\"Settings\",\"Shortcut\",\"Categories\",\"DynamicBlocks\"]" &&
	json "all(.items[]; .source == \"system\") and .totalCount == 6"
'

test_expect_success 'create: 201 with Location and ETag; Prefer returns it' '
	code=$(group_post v1 "{\"key\":\"seo\",\"displayName\":\"SEO\",\"sortOrder\":5}") &&
	expect_status "$code" 201 && test "$(hdr Content-Length)" = 0 &&
	test "$(hdr Location)" = "$EMU_URL/_cms/v1/propertygroups/seo" && has_hdr ETag &&
	code=$(group_post v1 "{\"key\":\"extra\",\"displayName\":\"Extra\"}" -H "Prefer: return=representation") &&
	expect_status "$code" 201 &&
	json ".key == \"extra\" and .sortOrder == 0 and .createdBy == \"$EMU_ID\" and (has(\"source\") | not)" &&
	test "$(hdr Preference-Applied)" = return=representation
'

test_expect_success 'an existing key is 409' '
	code=$(group_post v1 "{\"key\":\"seo\",\"displayName\":\"SEO\"}") &&
	expect_status "$code" 409 && json ".code == \"ConflictingResource\""
'

test_expect_success 'built-in names are reserved, in any case' '
	code=$(group_post v1 "{\"key\":\"content\",\"displayName\":\"C\"}") &&
	expect_status "$code" 400 &&
	json ".errors[0].field == \"key\" and (.errors[0].detail | test(\"The TabDefinition name .content. is reserved and cannot be used.\"))" &&
	test "$(group_post v1 "{\"key\":\"SETTINGS\",\"displayName\":\"S\"}")" = 400
'

test_expect_success 'validation: key pattern, displayName in v1, sortOrder' '
	code=$(group_post v1 "{\"key\":\"1x\",\"displayName\":\"x\"}") && expect_status "$code" 400 &&
	code=$(group_post v1 "{\"key\":\"nodn\"}") && expect_status "$code" 400 &&
	json ".errors[0].field == \"displayName\"" &&
	code=$(group_post v1 "{\"key\":\"so\",\"displayName\":\"x\",\"sortOrder\":\"1\"}") &&
	expect_status "$code" 400 && json ".errors[0].field == \"sortOrder\""
'

test_expect_success 'preview3: no displayName needed, unknown members refused' '
	code=$(group_post preview3 "{\"key\":\"p3group\"}") && expect_status "$code" 201 &&
	json "has(\"createdBy\") | not" &&
	code=$(group_post preview3 "{\"key\":\"p3other\",\"color\":\"red\"}") &&
	expect_status "$code" 400 && json ".errors[0].field == \"color\""
'

test_expect_success 'get with ETag and 304' '
	test "$(req GET /_cms/v1/propertygroups/seo)" = 200 && etag=$(hdr ETag) &&
	json ".displayName == \"SEO\" and .sortOrder == 5" &&
	test "$(req GET /_cms/v1/propertygroups/seo -H "If-None-Match: $etag")" = 304 &&
	test "$(req GET /_cms/v1/propertygroups/nope)" = 404
'

test_expect_success 'the list has sources and counts' '
	req GET "/_cms/v1/propertygroups?sources=DEFAULT" >/dev/null &&
	json "[.items[].key] == [\"seo\",\"extra\",\"p3group\"] and .totalCount == 3" &&
	req GET /_cms/preview3/propertygroups >/dev/null && json ".totalItemCount == 9"
'

test_expect_success 'patch: merge-patch only, 204, 200 with Prefer, If-Match' '
	test "$(req PATCH /_cms/v1/propertygroups/seo -H "Content-Type: application/json" -d "{}")" = 415 &&
	req GET /_cms/v1/propertygroups/seo >/dev/null && old=$(hdr ETag) &&
	code=$(req PATCH /_cms/v1/propertygroups/seo -H "Content-Type: application/merge-patch+json" -d "{\"sortOrder\":7}") &&
	expect_status "$code" 204 && test "$(hdr ETag)" != "$old" &&
	code=$(req PATCH /_cms/v1/propertygroups/seo -H "Content-Type: application/merge-patch+json" -H "If-Match: $old" -d "{\"sortOrder\":8}") &&
	expect_status "$code" 412 &&
	code=$(req PATCH /_cms/v1/propertygroups/seo -H "Content-Type: application/merge-patch+json" -H "Prefer: return=representation" -d "{\"displayName\":\"Search\"}") &&
	expect_status "$code" 200 && json ".displayName == \"Search\" and .sortOrder == 7" &&
	code=$(req PATCH /_cms/preview3/propertygroups/seo -H "Content-Type: application/merge-patch+json" -d "{\"sortOrder\":9}") &&
	expect_status "$code" 200 && json ".sortOrder == 9"
'

test_expect_success 'patch: key is immutable; built-ins cannot change' '
	code=$(req PATCH /_cms/v1/propertygroups/seo -H "Content-Type: application/merge-patch+json" -d "{\"key\":\"x\"}") &&
	expect_status "$code" 400 && json ".code == \"ImmutableField\"" &&
	code=$(req PATCH /_cms/v1/propertygroups/Content -H "Content-Type: application/merge-patch+json" -d "{\"sortOrder\":1}") &&
	expect_status "$code" 400 && json ".code == \"SystemResource\""
'

test_expect_success 'delete: 204, 200 with Prefer, 404, 412, built-ins refused' '
	test "$(req DELETE /_cms/v1/propertygroups/Content)" = 400 &&
	test "$(req DELETE /_cms/v1/propertygroups/extra -H "If-Match: \"x\"")" = 412 &&
	test "$(req DELETE /_cms/v1/propertygroups/extra)" = 204 &&
	test "$(req DELETE /_cms/v1/propertygroups/extra)" = 404 &&
	code=$(req DELETE /_cms/v1/propertygroups/seo -H "Prefer: return=representation") &&
	expect_status "$code" 200 && json ".key == \"seo\"" &&
	code=$(req DELETE /_cms/preview3/propertygroups/p3group) &&
	expect_status "$code" 200 && json ".key == \"p3group\""
'

test_done
