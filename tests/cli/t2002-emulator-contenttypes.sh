#!/usr/bin/env bash
# optimizely-emulator: /contenttypes list, get, create, patch and delete.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

emu_start

# list and paging

test_expect_success 'the list starts with the nine built-ins' '
	test "$(req GET /_cms/v1/contenttypes)" = 200 &&
	json ".totalCount == 9 and .pageIndex == 0 and .pageSize == 100" &&
	json "[.items[].key] == [\"BlankExperience\",\"BlankSection\",\"SysContentFolder\",\"globalcontract:_Item\",\"globalcontract:_Metadata\",\"globalcontract:_AssetItem\",\"globalcontract:_AssetMetadata\",\"globalcontract:_ImageItem\",\"globalcontract:_ImageMetadata\"]" &&
	json "all(.items[]; .source == \"system\" and has(\"isContract\"))"
'

test_expect_success 'built-ins are seeded as documented' '
	req GET /_cms/v1/contenttypes >/dev/null &&
	json ".items[0] | .baseType == \"_experience\" and .mayContainTypes == [\"*\"] and .isContract == false" &&
	json ".items[1] | .baseType == \"_section\"" &&
	json ".items[2] | .baseType == \"_folder\"" &&
	json "[.items[3:][] | select(.isContract and (has(\"baseType\") | not))] | length == 6"
'

test_expect_success 'create 25 types for paging' '
	for i in $(seq -w 1 25); do
		code=$(create_type "Page$i" _page) && expect_status "$code" 201 || exit 1
	done
'

test_expect_success 'pageIndex and pageSize page through the list' '
	req GET "/_cms/v1/contenttypes?pageIndex=1&pageSize=10" >/dev/null &&
	json ".pageIndex == 1 and .pageSize == 10 and .totalCount == 34 and (.items | length) == 10" &&
	json ".items[0].key == \"Page02\"" &&
	req GET "/_cms/v1/contenttypes?pageIndex=3&pageSize=10" >/dev/null &&
	json "(.items | length) == 4" &&
	req GET "/_cms/v1/contenttypes?pageIndex=9&pageSize=10" >/dev/null &&
	json "(.items | length) == 0 and .totalCount == 34"
'

test_expect_success 'preview3 counts in totalItemCount' '
	req GET "/_cms/preview3/contenttypes?pageSize=5" >/dev/null &&
	json ".totalItemCount == 34 and (has(\"totalCount\") | not) and (.items | length) == 5"
'

test_expect_success 'bad paging is 400 naming the parameter' '
	for q in pageSize=0 pageSize=10001 pageIndex=-1 pageIndex=x pageSize=2.5; do
		code=$(req GET "/_cms/v1/contenttypes?$q") && expect_status "$code" 400 &&
		json ".errors[0].field == \"${q%%=*}\" and .status == 400" || exit 1
	done
'

test_expect_success 'sources filters by source; DEFAULT means none' '
	req GET "/_cms/v1/contenttypes?sources=DEFAULT&pageSize=1000" >/dev/null &&
	json ".totalCount == 25 and all(.items[]; has(\"source\") | not)" &&
	req GET "/_cms/v1/contenttypes?sources=system" >/dev/null &&
	json ".totalCount == 9" &&
	req GET "/_cms/v1/contenttypes?sources=system&sources=DEFAULT" >/dev/null &&
	json ".totalCount == 34" &&
	req GET "/_cms/v1/contenttypes?sources=system,DEFAULT" >/dev/null &&
	json ".totalCount == 34"
'

test_expect_success 'forContainerType keeps the types a container may hold' '
	code=$(create_type Holder _page) &&
	patch_type Holder -d "{\"mayContainTypes\":[\"Page01\",\"_folder\"]}" >/dev/null &&
	req GET "/_cms/v1/contenttypes?forContainerType=Holder" >/dev/null &&
	json "[.items[].key] == [\"SysContentFolder\",\"Page01\"]" &&
	req GET "/_cms/v1/contenttypes?forContainerType=Nope" >/dev/null &&
	json ".totalCount == 0"
'

# get

test_expect_success 'get has a strong ETag and Last-Modified' '
	test "$(req GET /_cms/v1/contenttypes/Page01)" = 200 &&
	hdr ETag | grep -Eq "^\"[0-9a-f]+\"$" &&
	hdr Last-Modified | grep -Eq "^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$" &&
	json ".key == \"Page01\" and .createdBy == \"$EMU_ID\" and (.created | test(\"Z$\"))" &&
	json "has(\"source\") | not"
'

test_expect_success 'If-None-Match with the ETag gives 304 without a body' '
	req GET /_cms/v1/contenttypes/Page01 >/dev/null &&
	etag=$(hdr ETag) && len=$(hdr Content-Length) &&
	code=$(req GET /_cms/v1/contenttypes/Page01 -H "If-None-Match: $etag") &&
	expect_status "$code" 304 &&
	test ! -s body && test "$(hdr ETag)" = "$etag" &&
	test "$(hdr Content-Length)" = "$len" &&
	test "$(req GET /_cms/v1/contenttypes/Page01 -H "If-None-Match: \"other\"")" = 200 &&
	test "$(req GET /_cms/v1/contenttypes/Page01 -H "If-None-Match: *")" = 304
'

test_expect_success 'weak validators in If-None-Match are ignored' '
	req GET /_cms/v1/contenttypes/Page01 >/dev/null && etag=$(hdr ETag) &&
	test "$(req GET /_cms/v1/contenttypes/Page01 -H "If-None-Match: W/$etag")" = 200
'

test_expect_success 'If-Modified-Since gives 304 when nothing changed' '
	req GET /_cms/v1/contenttypes/Page01 >/dev/null && lm=$(hdr Last-Modified) &&
	test "$(req GET /_cms/v1/contenttypes/Page01 -H "If-Modified-Since: $lm")" = 304 &&
	test "$(req GET /_cms/v1/contenttypes/Page01 -H "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT")" = 200
'

test_expect_success 'get of an unknown key is 404 problem+json' '
	code=$(req GET /_cms/v1/contenttypes/Nope) && expect_status "$code" 404 &&
	json ".status == 404 and .title == \"Not Found\" and (.detail | test(\"Nope\"))"
'

test_expect_success 'percent-encoded keys are decoded' '
	test "$(req GET /_cms/v1/contenttypes/globalcontract%3A_Item)" = 200 &&
	json ".key == \"globalcontract:_Item\"" &&
	test "$(req GET /_cms/v1/contenttypes/Page%30%31)" = 200 &&
	test "$(req GET /_cms/v1/contenttypes/bad%zz)" = 400
'

# create

test_expect_success 'create without Prefer: 201, Location, ETag, empty body' '
	code=$(create_type Article _page "{\"title\":{\"type\":\"string\"}}") &&
	expect_status "$code" 201 &&
	test "$(hdr Content-Length)" = 0 && test ! -s body &&
	test "$(hdr Location)" = "$EMU_URL/_cms/v1/contenttypes/Article" &&
	hdr ETag | grep -q "^\"" && has_hdr Last-Modified &&
	! has_hdr Preference-Applied
'

test_expect_success 'create with Prefer: return=representation returns the type' '
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" \
		-H "Prefer: return=representation" \
		-d "{\"key\":\"Hero\",\"displayName\":\"Hero\",\"baseType\":\"_component\",\"properties\":{\"heading\":{\"type\":\"string\"}}}") &&
	expect_status "$code" 201 &&
	test "$(hdr Preference-Applied)" = return=representation &&
	test "$(hdr Content-Length)" = "$(wc -c <body)" &&
	json ".key == \"Hero\" and .isContract == false and .sortOrder == 0" &&
	json ".properties.heading == {\"type\":\"string\",\"isRequired\":false,\"isLocalized\":false,\"sortOrder\":0}" &&
	json ".mayContainTypes == [] and .contracts == [] and .compositionBehaviors == []"
'

test_expect_success 'create under preview3 always returns the type' '
	code=$(req POST /_cms/preview3/contenttypes -H "Content-Type: application/json" \
		-d "{\"key\":\"P3Type\",\"baseType\":\"_component\",\"properties\":{\"tt\":{\"type\":\"binary\",\"required\":true}}}") &&
	expect_status "$code" 201 &&
	json ".properties.tt.required == true and (.properties.tt | has(\"isRequired\") | not) and (has(\"isContract\") | not)" &&
	test "$(hdr Location)" = "$EMU_URL/_cms/preview3/contenttypes/P3Type"
'

test_expect_success 'an existing key is 409 ConflictingResource in v1 and preview3' '
	code=$(create_type Article _page) && expect_status "$code" 409 &&
	json ".code == \"ConflictingResource\" and .status == 409 and .title == \"Conflict\" and (.detail | test(\"already exists\"))" &&
	code=$(req POST /_cms/preview3/contenttypes -H "Content-Type: application/json" \
		-d "{\"key\":\"Article\",\"baseType\":\"_page\"}") &&
	expect_status "$code" 409
'

test_expect_success 'a body that is not JSON is 400 InvalidJson' '
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" -d "{oops") &&
	expect_status "$code" 400 && json ".code == \"InvalidJson\"" &&
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" -d "[1]") &&
	expect_status "$code" 400
'

test_expect_success 'read-only members sent by the client are ignored' '
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" \
		-H "Prefer: return=representation" \
		-d "{\"key\":\"RoTest\",\"displayName\":\"R\",\"baseType\":\"_page\",\"source\":\"system\",\"created\":\"2000-01-01T00:00:00Z\",\"createdBy\":\"x\"}") &&
	expect_status "$code" 201 &&
	json "(has(\"source\") | not) and .createdBy == \"$EMU_ID\" and .created != \"2000-01-01T00:00:00Z\""
'

# patch

test_expect_success 'PATCH needs application/merge-patch+json (415)' '
	code=$(req PATCH /_cms/v1/contenttypes/Article -H "Content-Type: application/json" -d "{}") &&
	expect_status "$code" 415 && json ".status == 415"
'

test_expect_success 'PATCH merges (RFC 7396) and answers 204 with a new ETag' '
	req GET /_cms/v1/contenttypes/Article >/dev/null && old=$(hdr ETag) &&
	code=$(patch_type Article -d "{\"description\":\"d\",\"properties\":{\"title\":{\"isRequired\":true},\"sub\":{\"type\":\"string\"}}}") &&
	expect_status "$code" 204 && ! has_hdr Content-Length &&
	new=$(hdr ETag) && test -n "$new" && test "$new" != "$old" &&
	req GET /_cms/v1/contenttypes/Article >/dev/null &&
	json ".description == \"d\" and .properties.title.isRequired == true and .properties.title.type == \"string\" and .properties.sub.type == \"string\"" &&
	test "$(hdr ETag)" = "$new"
'

test_expect_success 'PATCH null removes a member; arrays are replaced' '
	patch_type Article -d "{\"mayContainTypes\":[\"Hero\",\"_page\"]}" >/dev/null &&
	patch_type Article -d "{\"mayContainTypes\":[\"Hero\",\"_page\",\"Page01\"],\"description\":null}" >/dev/null &&
	req GET /_cms/v1/contenttypes/Article >/dev/null &&
	json ".mayContainTypes == [\"Hero\",\"_page\",\"Page01\"] and (has(\"description\") | not)"
'

test_expect_success 'PATCH with Prefer answers 200 with the type' '
	code=$(patch_type Article -H "Prefer: return=representation" -d "{\"displayName\":\"Article 2\"}") &&
	expect_status "$code" 200 && test "$(hdr Preference-Applied)" = return=representation &&
	json ".displayName == \"Article 2\"" && has_hdr ETag
'

test_expect_success 'a PATCH that changes nothing keeps the ETag' '
	req GET /_cms/v1/contenttypes/Article >/dev/null && e1=$(hdr ETag) &&
	patch_type Article -d "{\"displayName\":\"Article 2\"}" >/dev/null &&
	test "$(hdr ETag)" = "$e1"
'

test_expect_success 'preview3 PATCH uses required/localized and answers 200' '
	code=$(req PATCH /_cms/preview3/contenttypes/Article -H "Content-Type: application/merge-patch+json" \
		-d "{\"properties\":{\"sub\":{\"required\":true}}}") &&
	expect_status "$code" 200 && json ".properties.sub.required == true" &&
	req GET /_cms/v1/contenttypes/Article >/dev/null && json ".properties.sub.isRequired == true"
'

test_expect_success 'preview3 PATCH does not reset allowedTypes' '
	patch_type Article -d "{\"properties\":{\"ref\":{\"type\":\"contentReference\",\"allowedTypes\":[\"_image\"]}}}" >/dev/null &&
	req PATCH /_cms/preview3/contenttypes/Article -H "Content-Type: application/merge-patch+json" \
		-d "{\"displayName\":\"A3\"}" >/dev/null &&
	req GET /_cms/v1/contenttypes/Article >/dev/null &&
	json ".properties.ref.allowedTypes == [\"_image\"]"
'

test_expect_success 'If-Match with a stale ETag is 412; the current one works' '
	req GET /_cms/v1/contenttypes/Article >/dev/null && cur=$(hdr ETag) &&
	code=$(patch_type Article -H "If-Match: \"stale\"" -d "{\"displayName\":\"X\"}") &&
	expect_status "$code" 412 && json ".status == 412 and .code == \"PreconditionFailed\"" &&
	code=$(patch_type Article -H "If-Match: $cur" -d "{\"displayName\":\"X\"}") &&
	expect_status "$code" 204 &&
	code=$(patch_type Article -H "If-Match: *" -d "{\"displayName\":\"Y\"}") &&
	expect_status "$code" 204
'

test_expect_success 'If-Unmodified-Since before the last change is 412' '
	code=$(patch_type Article -H "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT" -d "{\"displayName\":\"Z\"}") &&
	expect_status "$code" 412 &&
	code=$(patch_type Article -H "If-Unmodified-Since: Fri, 01 Jan 2100 00:00:00 GMT" -d "{\"displayName\":\"Z\"}") &&
	expect_status "$code" 204
'

test_expect_success 'removing a property is refused as data loss' '
	code=$(patch_type Article -d "{\"properties\":{\"sub\":null}}") &&
	expect_status "$code" 400 &&
	json ".code == \"DataLoss\" and .detail == \"The changes to '"'"'Article'"'"' are considered breaking and could potentially result in data loss.\"" &&
	json ".errors[0].field == \"properties.sub\""
'

test_expect_success 'changing a type, an item type, localizing, indexingType are refused' '
	patch_type Article -d "{\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"num\":{\"type\":\"integer\",\"indexingType\":\"queryable\"}}}" >/dev/null &&
	for p in "{\"properties\":{\"title\":{\"type\":\"richText\"}}}" \
		"{\"properties\":{\"tags\":{\"items\":{\"type\":\"url\"}}}}" \
		"{\"properties\":{\"title\":{\"isLocalized\":true}}}" \
		"{\"properties\":{\"num\":{\"indexingType\":\"searchable\"}}}" \
		"{\"properties\":{\"num\":{\"indexingType\":null}}}" \
		"{\"mayContainTypes\":[\"Hero\"]}"; do
		code=$(patch_type Article -d "$p") && expect_status "$code" 400 &&
		json ".code == \"DataLoss\"" || exit 1
	done
'

test_expect_success 'a reference may change type without clearing the lists the server filled' '
	code=$(create_type Teaser _component "{\"link\":{\"type\":\"contentReference\"}}") &&
	expect_status "$code" 201 &&
	req GET /_cms/v1/contenttypes/Teaser >/dev/null &&
	code=$(patch_type Teaser -H "cms-ignore-data-loss-warnings: true" -d "{\"properties\":{\"link\":{\"type\":\"string\"}}}") &&
	expect_status "$code" 204 &&
	req GET /_cms/v1/contenttypes/Teaser >/dev/null && json ".properties.link.type == \"string\""
'

test_expect_success 'cms-ignore-data-loss-warnings: true (any case) applies it' '
	code=$(patch_type Article -H "cms-ignore-data-loss-warnings: True" -d "{\"properties\":{\"sub\":null}}") &&
	expect_status "$code" 204 &&
	req GET /_cms/v1/contenttypes/Article >/dev/null && json ".properties | has(\"sub\") | not" &&
	code=$(patch_type Article -H "cms-ignore-data-loss-warnings: false" -d "{\"properties\":{\"title\":null}}") &&
	expect_status "$code" 400
'

test_expect_success 'key and baseType are immutable (400)' '
	code=$(patch_type Article -d "{\"key\":\"Other\"}") && expect_status "$code" 400 &&
	json ".code == \"ImmutableField\" and .errors[0].field == \"key\"" &&
	code=$(patch_type Article -d "{\"baseType\":\"_component\"}") && expect_status "$code" 400 &&
	json ".errors[0].field == \"baseType\"" &&
	code=$(patch_type Article -d "{\"key\":\"Article\",\"baseType\":\"_page\"}") && expect_status "$code" 204
'

test_expect_success 'PATCH of an unknown key is 404' '
	code=$(patch_type Nope -d "{}") && expect_status "$code" 404
'

test_expect_success 'the patched type is validated' '
	code=$(patch_type Article -d "{\"properties\":{\"bad\":{\"type\":\"nope\"}}}") &&
	expect_status "$code" 400 && json ".errors[0].field == \"properties.bad.type\""
'

# delete

test_expect_success 'DELETE of an unknown key is 404' '
	test "$(req DELETE /_cms/v1/contenttypes/Nope)" = 404 && json ".status == 404"
'

test_expect_success 'DELETE while content instances exist is 409' '
	test "$(ctl PUT /_emulator/instances/Page02 -d "{\"count\":2}")" = 200 &&
	code=$(req DELETE /_cms/v1/contenttypes/Page02) && expect_status "$code" 409 &&
	json ".detail == \"Unable to delete content type '"'"'Page02'"'"' as content instances of this type exist.\" and .status == 409" &&
	test "$(ctl PUT /_emulator/instances/Page02 -d "{\"count\":0}")" = 200 &&
	test "$(req DELETE /_cms/v1/contenttypes/Page02)" = 204
'

test_expect_success 'DELETE with a stale If-Match is 412' '
	req GET /_cms/v1/contenttypes/Page03 >/dev/null && cur=$(hdr ETag) &&
	test "$(req DELETE /_cms/v1/contenttypes/Page03 -H "If-Match: \"x\"")" = 412 &&
	code=$(req DELETE /_cms/v1/contenttypes/Page03 -H "If-Match: $cur") &&
	expect_status "$code" 204 && ! has_hdr Content-Length &&
	test "$(req GET /_cms/v1/contenttypes/Page03)" = 404
'

test_expect_success 'DELETE with Prefer answers 200 with the type' '
	code=$(req DELETE /_cms/v1/contenttypes/Page04 -H "Prefer: return=representation") &&
	expect_status "$code" 200 && json ".key == \"Page04\"" &&
	test "$(hdr Preference-Applied)" = return=representation
'

test_expect_success 'DELETE under preview3 answers 200 with the type' '
	code=$(req DELETE /_cms/preview3/contenttypes/Page05) &&
	expect_status "$code" 200 && json ".key == \"Page05\""
'

test_expect_success 'built-ins: BlankSection 400, contracts and SysContentFolder 409' '
	code=$(req DELETE /_cms/v1/contenttypes/BlankSection) && expect_status "$code" 400 &&
	json ".status == 400 and .code == \"SystemResource\"" &&
	code=$(req DELETE /_cms/v1/contenttypes/globalcontract%3A_Item) && expect_status "$code" 409 &&
	code=$(req DELETE /_cms/v1/contenttypes/SysContentFolder) && expect_status "$code" 409 &&
	json ".detail | test(\"content instances\")"
'

test_expect_success 'built-ins: BlankExperience can be deleted' '
	test "$(req DELETE /_cms/v1/contenttypes/BlankExperience)" = 204 &&
	test "$(req GET /_cms/v1/contenttypes/BlankExperience)" = 404
'

test_expect_success 'a deleted key can be created again, at the end of the list' '
	test "$(create_type Page06 _page)" = 409 &&
	test "$(req DELETE /_cms/v1/contenttypes/Page06)" = 204 &&
	test "$(create_type Page06 _page)" = 201 &&
	req GET "/_cms/v1/contenttypes?pageSize=1000" >/dev/null &&
	json ".items[-1].key == \"Page06\""
'

test_done
