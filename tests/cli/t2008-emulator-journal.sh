#!/usr/bin/env bash
# optimizely-emulator: the request journal, with secrets masked.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

emu_start

test_expect_success 'the token request is journaled with the secret masked' '
	test "$(ctl GET /_emulator/journal)" = 200 &&
	json ".entries[0] | .method == \"POST\" and .path == \"/_cms/v1/oauth/token\" and .status == 200 and .seq == 1" &&
	json ".entries[0].body | test(\"client_secret\\\":\\\"\\\\*\\\\*\\\\*\\\"\")" &&
	! grep -q "$EMU_SECRET" body
'

test_expect_success 'Basic and Bearer credentials are masked' '
	raw POST /oauth/token -u "$EMU_ID:$EMU_SECRET" -d grant_type=client_credentials >/dev/null &&
	req GET "/_cms/v1/contenttypes?pageSize=5" -H "X-Trace: abc" >/dev/null &&
	ctl GET /_emulator/journal >/dev/null &&
	json "any(.entries[]; .headers.authorization == \"Basic ***\")" &&
	json "any(.entries[]; .headers.authorization == \"Bearer ***\")" &&
	! grep -q "$EMU_SECRET" body && ! grep -q "$EMU_TOKEN" body &&
	! grep -q "$(printf "%s" "$EMU_ID:$EMU_SECRET" | base64)" body
'

test_expect_success 'an entry has method, path, query, headers, body, status, time' '
	create_type Article _page >/dev/null &&
	ctl GET /_emulator/journal >/dev/null &&
	json ".entries[-1] | .method == \"POST\" and .path == \"/_cms/v1/contenttypes\" and .status == 201 and .query == \"\" and (.body | fromjson | .key == \"Article\") and .headers[\"content-type\"] == \"application/json\" and (.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z$\")) and .fault == null and (.durationMs >= 0)" &&
	json "any(.entries[]; .query == \"pageSize=5\" and .headers[\"x-trace\"] == \"abc\")"
'

test_expect_success 'since and limit page through the journal' '
	ctl GET /_emulator/journal >/dev/null && last=$(jq .lastSeq body) &&
	req GET /_cms/v1/contenttypes/Article >/dev/null &&
	req GET /_cms/v1/contenttypes/BlankSection >/dev/null &&
	ctl GET "/_emulator/journal?since=$last" >/dev/null &&
	json "(.entries | length) == 2 and .entries[0].seq == $last + 1 and .lastSeq == $last + 2" &&
	ctl GET "/_emulator/journal?since=$last&limit=1" >/dev/null &&
	json "(.entries | length) == 1 and .entries[0].path == \"/_cms/v1/contenttypes/Article\"" &&
	test "$(ctl GET "/_emulator/journal?limit=x")" = 400
'

test_expect_success 'control requests are not journaled' '
	ctl GET /_emulator/journal >/dev/null &&
	json "all(.entries[]; .path | startswith(\"/_emulator\") | not)"
'

test_expect_success 'the traceId of a problem is its journal sequence number' '
	req GET /_cms/v1/contenttypes/Nope >/dev/null && trace=$(jq -r .traceId body) &&
	ctl GET /_emulator/journal >/dev/null &&
	json ".entries[-1].status == 404" &&
	test "$(printf "%032x" "$(jq ".entries[-1].seq" body)")" = "$trace"
'

test_expect_success 'DELETE clears it; numbers keep counting' '
	ctl GET /_emulator/journal >/dev/null && last=$(jq .lastSeq body) &&
	test "$(ctl DELETE /_emulator/journal)" = 204 &&
	ctl GET /_emulator/journal >/dev/null && json ".entries == []" &&
	req GET /_cms/v1/contenttypes >/dev/null &&
	ctl GET /_emulator/journal >/dev/null && json ".entries[0].seq == $last + 1"
'

test_expect_success 'a body that is not UTF-8 is kept as base64' '
	printf "\377\376binary" >bin.dat &&
	req POST /_cms/v1/contenttypes -H "Content-Type: application/octet-stream" --data-binary @bin.dat >/dev/null &&
	ctl GET /_emulator/journal >/dev/null &&
	json ".entries[-1].bodyBase64 == \"//5iaW5hcnk=\" and (.entries[-1] | has(\"body\") | not)"
'

test_done
