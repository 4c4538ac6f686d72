#!/usr/bin/env bash
# optimizely-emulator: server-side validation of content types, with
# problem+json errors that name the field, in v1 and preview3.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

emu_start

# post V BODY: create under version V (v1 or preview3).
post() {
	req POST "/_cms/$1/contenttypes" -H 'Content-Type: application/json' -d "$2"
}

# refused V BODY FIELD [DETAIL-REGEX]: 400 ValidationFailed naming FIELD.
refused() {
	local code
	code=$(post "$1" "$2") && expect_status "$code" 400 &&
	json '.status == 400 and .title == "Bad Request" and .code == "ValidationFailed" and (.detail | length > 0)' &&
	json --arg f "$3" 'any(.errors[]; .field == $f)' || {
		cat body >&2
		return 1
	}
	if [ -n "${4:-}" ]; then
		json --arg f "$3" --arg d "$4" 'any(.errors[]; .field == $f and (.detail | test($d)))' ||
			{ cat body >&2; return 1; }
	fi
}

test_expect_success 'setup: a component and a contract to refer to' '
	test "$(create_type Hero _component)" = 201 &&
	test "$(post v1 "{\"key\":\"Seo\",\"displayName\":\"SEO\",\"isContract\":true}")" = 201
'

test_expect_success 'key: required, pattern, length' '
	refused v1 "{\"displayName\":\"x\",\"baseType\":\"_page\"}" key "required" &&
	refused v1 "{\"key\":\"1abc\",\"displayName\":\"x\",\"baseType\":\"_page\"}" key "letter" &&
	refused v1 "{\"key\":\"_abc\",\"displayName\":\"x\",\"baseType\":\"_page\"}" key &&
	refused v1 "{\"key\":\"a-b\",\"displayName\":\"x\",\"baseType\":\"_page\"}" key &&
	refused v1 "{\"key\":\"a\",\"displayName\":\"x\",\"baseType\":\"_page\"}" key "2 to 255" &&
	long=$(printf "a%.0s" $(seq 1 256)) &&
	refused v1 "{\"key\":\"$long\",\"displayName\":\"x\",\"baseType\":\"_page\"}" key &&
	refused v1 "{\"key\":5,\"displayName\":\"x\",\"baseType\":\"_page\"}" key "string"
'

test_expect_success 'displayName: required in v1, optional in preview3' '
	refused v1 "{\"key\":\"NoName\",\"baseType\":\"_page\"}" displayName "required" &&
	refused v1 "{\"key\":\"NoName\",\"displayName\":\"\",\"baseType\":\"_page\"}" displayName &&
	test "$(post preview3 "{\"key\":\"NoName\",\"baseType\":\"_page\"}")" = 201
'

test_expect_success 'displayName and description lengths' '
	long=$(printf "a%.0s" $(seq 1 256)) &&
	refused v1 "{\"key\":\"Long1\",\"displayName\":\"$long\",\"baseType\":\"_page\"}" displayName "255" &&
	refused v1 "{\"key\":\"Long1\",\"displayName\":\"x\",\"description\":\"$long\",\"baseType\":\"_page\"}" description
'

test_expect_success 'baseType: required unless a contract, and known' '
	refused v1 "{\"key\":\"NoBase\",\"displayName\":\"x\"}" baseType "required" &&
	refused v1 "{\"key\":\"BadBase\",\"displayName\":\"x\",\"baseType\":\"page\"}" baseType "not a base type" &&
	refused v1 "{\"key\":\"Elem\",\"displayName\":\"x\",\"baseType\":\"_element\"}" baseType "The base type .?_element.? is not supported." &&
	for b in _page _component _media _image _video _folder _experience _section; do
		test "$(post v1 "{\"key\":\"B$b\",\"displayName\":\"x\",\"baseType\":\"$b\"}")" = 201 || exit 1
	done
'

test_expect_success 'a contract needs no baseType and stores none' '
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" -H "Prefer: return=representation" \
		-d "{\"key\":\"Contract2\",\"displayName\":\"C\",\"isContract\":true,\"baseType\":\"_page\"}") &&
	expect_status "$code" 201 && json ".isContract == true and (has(\"baseType\") | not)"
'

test_expect_success 'sortOrder and other integers are 32-bit integers' '
	refused v1 "{\"key\":\"So\",\"displayName\":\"x\",\"baseType\":\"_page\",\"sortOrder\":1.5}" sortOrder "integer" &&
	refused v1 "{\"key\":\"So\",\"displayName\":\"x\",\"baseType\":\"_page\",\"sortOrder\":4294967296}" sortOrder
'

test_expect_success 'mayContainTypes must name types, base types or *' '
	refused v1 "{\"key\":\"Mc\",\"displayName\":\"x\",\"baseType\":\"_page\",\"mayContainTypes\":[\"*\",\"_image\",\"Hero\",\"Ghost\"]}" "mayContainTypes[3]" "Ghost" &&
	refused v1 "{\"key\":\"Mc\",\"displayName\":\"x\",\"baseType\":\"_page\",\"mayContainTypes\":\"Hero\"}" mayContainTypes &&
	test "$(post v1 "{\"key\":\"Mc\",\"displayName\":\"x\",\"baseType\":\"_page\",\"mayContainTypes\":[\"*\",\"_image\",\"Hero\",\"Mc\"]}")" = 201
'

test_expect_success 'compositionBehaviors: known values, only on _component' '
	refused v1 "{\"key\":\"Cb\",\"displayName\":\"x\",\"baseType\":\"_component\",\"compositionBehaviors\":[\"fly\"]}" "compositionBehaviors[0]" &&
	refused v1 "{\"key\":\"Cb\",\"displayName\":\"x\",\"baseType\":\"_page\",\"compositionBehaviors\":[\"sectionEnabled\"]}" compositionBehaviors "_component" &&
	test "$(post v1 "{\"key\":\"Cb\",\"displayName\":\"x\",\"baseType\":\"_component\",\"compositionBehaviors\":[\"sectionEnabled\",\"elementEnabled\"]}")" = 201
'

test_expect_success 'contracts must name existing contracts' '
	refused v1 "{\"key\":\"Ct\",\"displayName\":\"x\",\"baseType\":\"_page\",\"contracts\":[\"Hero\"]}" "contracts[0]" "not a contract" &&
	refused v1 "{\"key\":\"Ct\",\"displayName\":\"x\",\"baseType\":\"_page\",\"contracts\":[\"Nope\"]}" "contracts[0]" &&
	test "$(post v1 "{\"key\":\"Ct\",\"displayName\":\"x\",\"baseType\":\"_page\",\"contracts\":[\"Seo\"]}")" = 201
'

# property rules: prop V NAME PROPERTY-JSON FIELD [DETAIL]
prop() {
	refused "$1" "{\"key\":\"Pt\",\"displayName\":\"x\",\"baseType\":\"_page\",\"properties\":{\"$2\":$3}}" "$4" "${5:-}"
}

test_expect_success 'property names follow the key rule' '
	prop v1 "9lives" "{\"type\":\"string\"}" "properties.9lives" "not valid" &&
	prop v1 "x" "{\"type\":\"string\"}" "properties.x"
'

test_expect_success 'composition is reserved on experience types' '
	refused v1 "{\"key\":\"Exp\",\"displayName\":\"x\",\"baseType\":\"_experience\",\"properties\":{\"composition\":{\"type\":\"string\"}}}" properties.composition "reserved" &&
	test "$(post v1 "{\"key\":\"Pg\",\"displayName\":\"x\",\"baseType\":\"_page\",\"properties\":{\"composition\":{\"type\":\"string\"}}}")" = 201
'

test_expect_success 'the property type is required and from the version enum' '
	prop v1 title "{}" properties.title.type "required" &&
	prop v1 title "{\"type\":\"strin\"}" properties.title.type "not a property type" &&
	prop v1 title "{\"type\":\"binary\"}" properties.title.type &&
	prop v1 title "{\"type\":\"composition\"}" properties.title.type
'

test_expect_success 'array needs items, items only on array, no nested arrays' '
	prop v1 list "{\"type\":\"array\"}" properties.list.items "needs" &&
	prop v1 list "{\"type\":\"string\",\"items\":{\"type\":\"string\"}}" properties.list.items "only allowed" &&
	prop v1 list "{\"type\":\"array\",\"items\":{\"type\":\"array\"}}" properties.list.items.type "Nested" &&
	prop v1 list "{\"type\":\"array\",\"items\":{}}" properties.list.items.type "required"
'

test_expect_success 'component needs contentType naming a _component type' '
	prop v1 hero "{\"type\":\"component\"}" properties.hero.contentType "needs" &&
	prop v1 hero "{\"type\":\"component\",\"contentType\":\"Nope\"}" properties.hero.contentType "Nope" &&
	prop v1 hero "{\"type\":\"component\",\"contentType\":\"Mc\"}" properties.hero.contentType "_component" &&
	prop v1 heroes "{\"type\":\"array\",\"items\":{\"type\":\"component\"}}" properties.heroes.items.contentType &&
	prop v1 title "{\"type\":\"string\",\"contentType\":\"Hero\"}" properties.title.contentType "only allowed"
'

test_expect_success 'content references: types must exist; contentType excludes allowedTypes' '
	prop v1 ref "{\"type\":\"contentReference\",\"allowedTypes\":[\"_image\",\"Nope\"]}" "properties.ref.allowedTypes[1]" "Nope" &&
	prop v1 ref "{\"type\":\"content\",\"restrictedTypes\":[\"Ghost\"]}" "properties.ref.restrictedTypes[0]" &&
	prop v1 ref "{\"type\":\"content\",\"contentType\":\"Hero\",\"allowedTypes\":[\"Hero\"]}" properties.ref.contentType "combined" &&
	prop v1 ref "{\"type\":\"string\",\"allowedTypes\":[\"Hero\"]}" properties.ref.allowedTypes "only allowed" &&
	prop v1 refs "{\"type\":\"array\",\"items\":{\"type\":\"content\",\"allowedTypes\":[\"Nope\"]}}" "properties.refs.items.allowedTypes[0]"
'

test_expect_success 'indexingType on a reference may only be disabled' '
	prop v1 ref "{\"type\":\"contentReference\",\"indexingType\":\"queryable\"}" properties.ref.indexingType "IndexingType.Queryable" &&
	prop v1 title "{\"type\":\"string\",\"indexingType\":\"fast\"}" properties.title.indexingType "one of"
'

test_expect_success 'minimum/maximum match the property type' '
	prop v1 num "{\"type\":\"integer\",\"minimum\":1.5}" properties.num.minimum "integer" &&
	prop v1 num "{\"type\":\"float\",\"maximum\":\"x\"}" properties.num.maximum "number" &&
	prop v1 when "{\"type\":\"dateTime\",\"minimum\":\"yesterday\"}" properties.when.minimum "date-time" &&
	prop v1 title "{\"type\":\"string\",\"minimum\":1}" properties.title.minimum "only allowed" &&
	prop v1 num "{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}" properties.num.minimum "greater"
'

test_expect_success 'enum: allowed types, value types, displayName' '
	prop v1 title "{\"type\":\"string\",\"enum\":[{\"value\":1,\"displayName\":\"One\"}]}" "properties.title.enum[0].value" "string" &&
	prop v1 num "{\"type\":\"integer\",\"enum\":[{\"value\":\"a\",\"displayName\":\"A\"}]}" "properties.num.enum[0].value" &&
	prop v1 title "{\"type\":\"string\",\"enum\":[{\"value\":\"a\",\"displayName\":\"\"}]}" "properties.title.enum[0].displayName" &&
	prop v1 title "{\"type\":\"string\",\"enum\":[{\"value\":\"a\",\"displayName\":\"A\",\"color\":1}]}" "properties.title.enum[0].color" "not a known member" &&
	prop v1 flag "{\"type\":\"boolean\",\"enum\":[{\"value\":true,\"displayName\":\"Y\"}]}" properties.flag.enum "only allowed"
'

test_expect_success 'string and array companions' '
	prop v1 title "{\"type\":\"string\",\"minLength\":-1}" properties.title.minLength &&
	prop v1 title "{\"type\":\"string\",\"minLength\":5,\"maxLength\":2}" properties.title.minLength "greater" &&
	prop v1 num "{\"type\":\"integer\",\"maxLength\":5}" properties.num.maxLength "only allowed" &&
	prop v1 title "{\"type\":\"string\",\"minItems\":1}" properties.title.minItems "only allowed" &&
	prop v1 list "{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":3,\"maxItems\":1}" properties.list.minItems
'

test_expect_success 'booleans must be booleans; names follow the version' '
	prop v1 title "{\"type\":\"string\",\"isRequired\":\"yes\"}" properties.title.isRequired "true or false" &&
	prop preview3 title "{\"type\":\"string\",\"required\":1}" properties.title.required "true or false"
'

test_expect_success 'v1 rejects unknown property members but ignores unknown type members' '
	prop v1 title "{\"type\":\"string\",\"layout\":\"x\"}" properties.title.layout "not a known member" &&
	prop v1 title "{\"type\":\"string\",\"required\":true}" properties.title.required &&
	prop v1 title "{\"type\":\"string\",\"imageDescriptor\":{}}" properties.title.imageDescriptor &&
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" -H "Prefer: return=representation" \
		-d "{\"key\":\"Unk\",\"displayName\":\"x\",\"baseType\":\"_page\",\"layoutType\":\"grid\"}") &&
	expect_status "$code" 201 && json "has(\"layoutType\") | not"
'

test_expect_success 'preview3 rejects unknown members everywhere, naming them' '
	refused preview3 "{\"key\":\"Unk3\",\"baseType\":\"_page\",\"layoutType\":\"grid\"}" layoutType "not a known member" &&
	refused preview3 "{\"key\":\"Unk3\",\"baseType\":\"_page\",\"isContract\":false}" isContract &&
	refused preview3 "{\"key\":\"Unk3\",\"baseType\":\"_page\",\"contracts\":[]}" contracts &&
	prop preview3 title "{\"type\":\"string\",\"isRequired\":true}" properties.title.isRequired &&
	prop preview3 title "{\"type\":\"string\",\"editorSettings\":{}}" properties.title.editorSettings &&
	prop preview3 list "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"x\":1}}" properties.list.items.x
'

test_expect_success 'preview3 accepts binary and imageDescriptor' '
	code=$(post preview3 "{\"key\":\"Img3\",\"baseType\":\"_image\",\"properties\":{\"thumb\":{\"type\":\"binary\",\"localized\":true,\"imageDescriptor\":{\"width\":10,\"height\":10,\"pregenerated\":true}}}}") &&
	expect_status "$code" 201 &&
	json ".properties.thumb.imageDescriptor.width == 10 and .properties.thumb.localized == true" &&
	req GET /_cms/v1/contenttypes/Img3 >/dev/null &&
	json ".properties.thumb.isLocalized == true and (.properties.thumb | has(\"imageDescriptor\") | not)"
'

test_expect_success 'v1 accepts editorSettings and displayMode; preview3 hides them' '
	test "$(post v1 "{\"key\":\"Rt\",\"displayName\":\"x\",\"baseType\":\"_page\",\"properties\":{\"body\":{\"type\":\"richText\",\"displayMode\":\"hidden\",\"editorSettings\":{\"preset\":\"minimal\"}}}}")" = 201 &&
	req GET /_cms/preview3/contenttypes/Rt >/dev/null &&
	json "(.properties.body | has(\"editorSettings\") or has(\"displayMode\")) | not"
'

test_expect_success 'every error is reported at once' '
	code=$(post v1 "{\"key\":\"1x\",\"baseType\":\"nope\",\"properties\":{\"aa\":{\"type\":\"x\"},\"bb\":{}}}") &&
	expect_status "$code" 400 &&
	json "[.errors[].field] | index(\"key\") and index(\"displayName\") and index(\"baseType\") and index(\"properties.aa.type\") and index(\"properties.bb.type\")"
'

test_expect_success 'a type may refer to itself' '
	test "$(post v1 "{\"key\":\"Self\",\"displayName\":\"x\",\"baseType\":\"_page\",\"mayContainTypes\":[\"Self\"],\"properties\":{\"rel\":{\"type\":\"array\",\"items\":{\"type\":\"content\",\"allowedTypes\":[\"Self\"]}}}}")" = 201
'

test_done
