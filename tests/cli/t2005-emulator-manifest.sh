#!/usr/bin/env bash
# optimizely-emulator: GET and POST /manifest, as the official CLI uses them.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

# What @optimizely/cms-cli 2.2.0 sent on "config push" (recorded).
EXAMPLE=cli-push-manifest.json
cat >"$EXAMPLE" <<\END
{
 "contentTypes": [
  {
   "displayName": "Article",
   "baseType": "_page",
   "properties": {
    "metaTitle": {
     "type": "string",
     "maxLength": 60
    },
    "hero": {
     "type": "component",
     "contentType": "Hero"
    },
    "links": {
     "type": "array",
     "items": {
      "type": "link"
     },
     "format": "LinkCollection"
    },
    "heroes": {
     "type": "array",
     "items": {
      "type": "component",
      "contentType": "Hero"
     }
    },
    "image": {
     "type": "contentReference",
     "allowedTypes": [
      "_image"
     ]
    },
    "related": {
     "type": "array",
     "items": {
      "type": "content",
      "allowedTypes": [
       "Article",
       "Hero"
      ]
     }
    },
    "body": {
     "type": "richText",
     "isLocalized": true,
     "group": "seo",
     "editorSettings": {
      "preset": "minimal"
     }
    },
    "when": {
     "type": "dateTime",
     "minimum": "2025-01-01T00:00:00Z"
    }
   },
   "key": "Article",
   "mayContainTypes": [
    "Article",
    "*",
    "Hero"
   ],
   "contracts": [
    "SeoContract"
   ]
  },
  {
   "displayName": "Hero",
   "baseType": "_component",
   "compositionBehaviors": [
    "sectionEnabled"
   ],
   "properties": {
    "title": {
     "type": "string",
     "isRequired": true,
     "enum": [
      {
       "value": "a",
       "displayName": "A"
      }
     ]
    },
    "count": {
     "type": "integer",
     "minimum": 1,
     "maximum": 5
    }
   },
   "key": "Hero"
  },
  {
   "key": "SeoContract",
   "displayName": "SEO",
   "isContract": true,
   "properties": {
    "metaTitle": {
     "type": "string",
     "maxLength": 60
    }
   }
  }
 ],
 "displayTemplates": [
  {
   "key": "HeroDT",
   "displayName": "Hero DT",
   "isDefault": true,
   "contentType": "Hero",
   "settings": {
    "color": {
     "displayName": "Color",
     "editor": "select",
     "sortOrder": 0,
     "choices": {
      "red": {
       "displayName": "Red",
       "sortOrder": 0
      }
     }
    }
   }
  }
 ],
 "propertyGroups": [
  {
   "key": "seo",
   "displayName": "SEO",
   "sortOrder": 1
  },
  {
   "key": "extra",
   "displayName": "Extra",
   "sortOrder": 2
  }
 ]
}
END

emu_start

push() {
	req POST /_cms/v1/manifest \
		-H 'Content-Type: application/vnd.optimizely.cms.v1.manifest+json' \
		-H 'Accept: application/json' "$@"
}

test_expect_success 'GET: contentTypes always, built-ins without read-only ones' '
	test "$(req GET /_cms/v1/manifest)" = 200 &&
	json "[.contentTypes[].key] == [\"BlankExperience\",\"BlankSection\"]" &&
	json "has(\"propertyGroups\") and has(\"displayTemplates\") and .locales == []" &&
	json ".propertyGroups == [] and all(.contentTypes[]; has(\"isContract\"))"
'

test_expect_success 'GET: includeReadOnly adds the read-only built-ins' '
	req GET "/_cms/v1/manifest?includeReadOnly=true" >/dev/null &&
	json "(.contentTypes | length) == 9 and (.propertyGroups | length) == 6" &&
	json "any(.contentTypes[]; .key == \"globalcontract:_Item\" and .isContract == true)"
'

test_expect_success 'GET: sections, repeated or comma-separated' '
	req GET "/_cms/v1/manifest?sections=propertyGroups" >/dev/null &&
	json "(keys - [\"lastModified\"]) == [\"contentTypes\",\"propertyGroups\"]" &&
	req GET "/_cms/v1/manifest?sections=contentTypes&sections=displayTemplates&sections=propertyGroups" >/dev/null &&
	json "has(\"displayTemplates\") and has(\"propertyGroups\") and (has(\"locales\") | not)" &&
	req GET "/_cms/v1/manifest?sections=contentTypes,propertyGroups" >/dev/null &&
	json "has(\"propertyGroups\") and (has(\"displayTemplates\") | not)" &&
	test "$(req GET "/_cms/v1/manifest?sections=bogus")" = 400 &&
	json ".errors[0].field == \"sections\"" &&
	test "$(req GET "/_cms/v1/manifest?includeReadOnly=maybe")" = 400
'

test_expect_success 'POST: another media type is 415; a non-object 400' '
	test "$(req POST /_cms/v1/manifest -H "Content-Type: text/plain" -d "{}")" = 415 &&
	test "$(push -d "[]")" = 400 && json ".code == \"InvalidJson\""
'

test_expect_success 'POST: the CLI example imports (vendor media type)' '
	code=$(push --data-binary @"$EXAMPLE") && expect_status "$code" 200 &&
	json ".errors == []" &&
	json "[.outcomes[] | select(.section == \"contentTypes\") | .resource] == [\"Article\",\"Hero\",\"SeoContract\"]" &&
	json "[.outcomes[].section] | index(\"propertyGroups\") and index(\"displayTemplates\")" &&
	json "all(.outcomes[]; .message | test(\"was created\"))"
'

test_expect_success 'the imported types are served' '
	test "$(req GET /_cms/v1/contenttypes/Article)" = 200 &&
	json ".contracts == [\"SeoContract\"] and .properties.links.format == \"LinkCollection\" and .properties.body.isLocalized == true" &&
	json ".mayContainTypes == [\"Article\",\"*\",\"Hero\"]" &&
	test "$(req GET /_cms/v1/contenttypes/SeoContract)" = 200 &&
	json ".isContract == true" &&
	test "$(req GET /_cms/v1/propertygroups/seo)" = 200 &&
	req GET /_cms/v1/manifest >/dev/null &&
	json "[.displayTemplates[].key] == [\"HeroDT\"]"
'

test_expect_success 'pushing it again changes nothing' '
	req GET /_cms/v1/contenttypes/Article >/dev/null && e1=$(hdr ETag) &&
	code=$(push --data-binary @"$EXAMPLE") && expect_status "$code" 200 &&
	json "all(.outcomes[]; .message | test(\"unchanged\")) and .errors == []" &&
	req GET /_cms/v1/contenttypes/Article >/dev/null && test "$(hdr ETag)" = "$e1"
'

test_expect_success 'application/json works too; a change is an update' '
	jq ".contentTypes[1].displayName = \"Hero 2\"" "$EXAMPLE" >m2.json &&
	code=$(req POST /_cms/v1/manifest -H "Content-Type: application/json" --data-binary @m2.json) &&
	expect_status "$code" 200 &&
	json "any(.outcomes[]; .resource == \"Hero\" and (.message | test(\"updated\")))" &&
	req GET /_cms/v1/contenttypes/Hero >/dev/null && json ".displayName == \"Hero 2\""
'

test_expect_success 'a breaking change is refused as an error in a 200' '
	jq "del(.contentTypes[0].properties.when) | .contentTypes[1].properties.count.type = \"string\" | del(.contentTypes[1].properties.count.minimum, .contentTypes[1].properties.count.maximum)" m2.json >m3.json &&
	code=$(push --data-binary @m3.json) && expect_status "$code" 200 &&
	json ".outcomes == [] and (.errors | length) == 2" &&
	json "all(.errors[]; .section == \"contentTypes\" and (.message | test(\"considered breaking and could potentially result in data loss. Use the .ignoreDataLossWarnings. option to apply the changes anyway.\")))" &&
	req GET /_cms/v1/contenttypes/Article >/dev/null && json ".properties | has(\"when\")"
'

test_expect_success '... and applied with cms-ignore-data-loss-warnings' '
	code=$(push -H "cms-ignore-data-loss-warnings: true" --data-binary @m3.json) &&
	expect_status "$code" 200 && json ".errors == []" &&
	req GET /_cms/v1/contenttypes/Article >/dev/null && json ".properties | has(\"when\") | not" &&
	req GET /_cms/v1/contenttypes/Hero >/dev/null && json ".properties.count.type == \"string\""
'

test_expect_success 'the import is atomic: one bad type and nothing happens' '
	jq ".contentTypes += [{\"key\":\"NewOne\",\"displayName\":\"N\",\"baseType\":\"_page\"},{\"key\":\"Broken\",\"displayName\":\"B\",\"baseType\":\"_page\",\"properties\":{\"xx\":{\"type\":\"nope\"}}}] | .propertyGroups += [{\"key\":\"more\",\"displayName\":\"M\"}]" m3.json >m4.json &&
	code=$(push --data-binary @m4.json) && expect_status "$code" 200 &&
	json ".outcomes == [] and .errors[0].resource == \"Broken\" and (.errors[0].message | test(\"properties.xx.type\"))" &&
	test "$(req GET /_cms/v1/contenttypes/NewOne)" = 404 &&
	test "$(req GET /_cms/v1/propertygroups/more)" = 404
'

test_expect_success 'references resolve against the manifest itself, in any order' '
	cat >m5.json <<-\EOF &&
	{"contentTypes":[
	 {"key":"Later","displayName":"L","baseType":"_page","mayContainTypes":["Earlier"],
	  "properties":{"kid":{"type":"component","contentType":"Block"}}},
	 {"key":"Block","displayName":"B","baseType":"_component"},
	 {"key":"Earlier","displayName":"E","baseType":"_page","mayContainTypes":["Later"]}]}
	EOF
	code=$(push --data-binary @m5.json) && expect_status "$code" 200 &&
	json ".errors == [] and (.outcomes | length) == 3"
'

test_expect_success 'unknown references are errors' '
	echo "{\"contentTypes\":[{\"key\":\"Dangling\",\"displayName\":\"D\",\"baseType\":\"_page\",\"mayContainTypes\":[\"Missing\"]}]}" >m6.json &&
	code=$(push --data-binary @m6.json) && expect_status "$code" 200 &&
	json ".errors[0].resource == \"Dangling\" and (.errors[0].message | test(\"Missing\"))"
'

test_expect_success 'duplicate keys and bad groups are errors' '
	echo "{\"contentTypes\":[{\"key\":\"Dup\",\"displayName\":\"D\",\"baseType\":\"_page\"},{\"key\":\"Dup\",\"displayName\":\"D\",\"baseType\":\"_page\"}],\"propertyGroups\":[{\"key\":\"content\",\"displayName\":\"C\"}]}" >m7.json &&
	code=$(push --data-binary @m7.json) && expect_status "$code" 200 &&
	json "any(.errors[]; .resource == \"Dup\" and (.message | test(\"more than once\")))" &&
	json "any(.errors[]; .section == \"propertyGroups\" and (.message | test(\"reserved\")))"
'

test_expect_success 'read-only built-ins pushed unchanged are accepted' '
	req GET "/_cms/v1/manifest?includeReadOnly=true&sections=contentTypes" >/dev/null &&
	jq "{contentTypes: [.contentTypes[] | select(.key | startswith(\"globalcontract\"))]}" body >m8.json &&
	code=$(push --data-binary @m8.json) && expect_status "$code" 200 &&
	json ".errors == [] and (.outcomes | length) == 6" &&
	jq ".contentTypes[0].displayName = \"Changed\"" m8.json >m9.json &&
	code=$(push --data-binary @m9.json) && json ".errors[0].message | test(\"read-only\")"
'

test_expect_success 'a 1,000-type, 1.6 MB manifest imports quickly' '
	python3 - >big.json <<-\EOF &&
	import json
	kinds = ["string", "integer", "boolean", "float", "dateTime", "richText",
	         "url", "json", "link"]
	types = []
	for i in range(1000):
	    props = {}
	    for j in range(20):
	        t = kinds[j % len(kinds)]
	        p = {"type": t, "displayName": "Field %d" % j,
	             "isRequired": j % 3 == 0}
	        if t == "string":
	            p["maxLength"] = 100 + j
	        props["field%02d" % j] = p
	    if i:
	        props["ref"] = {"type": "contentReference",
	                        "allowedTypes": ["Bulk%04d" % (i - 1)]}
	    types.append({"key": "Bulk%04d" % i, "displayName": "Bulk %d" % i,
	                  "baseType": "_page" if i % 2 else "_component",
	                  "properties": props})
	print(json.dumps({"contentTypes": types}, separators=(",", ":")))
	EOF
	size=$(wc -c <big.json) && test "$size" -gt 1500000 &&
	start=$(date +%s%N) &&
	code=$(push --data-binary @big.json) &&
	end=$(date +%s%N) &&
	expect_status "$code" 200 && json ".errors == [] and (.outcomes | length) == 1000" &&
	ms=$(( (end - start) / 1000000 )) && echo "# import of $size bytes took $ms ms" &&
	{ test "${CS_TEST_VALGRIND:-0}" = 1 || test "$ms" -lt 3000; } &&
	start=$(date +%s%N) &&
	code=$(push --data-binary @big.json) &&
	end=$(date +%s%N) &&
	json "all(.outcomes[]; .message | test(\"unchanged\"))" &&
	echo "# an unchanged re-import took $(( (end - start) / 1000000 )) ms" &&
	req GET "/_cms/v1/contenttypes?sources=DEFAULT&pageSize=10000" >/dev/null &&
	json ".totalCount >= 1000"
'

test_done
