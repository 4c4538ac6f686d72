#!/usr/bin/env bash
# optimizely-emulator: the token endpoint and bearer checks.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

emu_start --token-ttl 1

test_expect_success 'a JSON body gets a bearer token' '
	code=$(raw POST /_cms/v1/oauth/token -H "Content-Type: application/json" \
		-d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$EMU_ID\",\"client_secret\":\"$EMU_SECRET\"}") &&
	expect_status "$code" 200 &&
	json ".token_type == \"Bearer\" and .expires_in == 1 and (.access_token | split(\".\") | length) == 3" &&
	test "$(hdr Cache-Control)" = no-store &&
	has_hdr Content-Length
'

test_expect_success 'a form body with Basic authentication gets a token' '
	code=$(raw POST /oauth/token -u "$EMU_ID:$EMU_SECRET" \
		-H "Content-Type: application/x-www-form-urlencoded" \
		-d grant_type=client_credentials) &&
	expect_status "$code" 200 && json ".access_token | length > 20"
'

test_expect_success 'a form body with the credentials in it gets a token' '
	code=$(raw POST /_cms/preview3/oauth/token \
		--data-urlencode grant_type=client_credentials \
		--data-urlencode "client_id=$EMU_ID" \
		--data-urlencode "client_secret=$EMU_SECRET") &&
	expect_status "$code" 200
'

test_expect_success 'tokens differ from one request to the next' '
	a=$(emu_token) && b=$(emu_token) && test "$a" != "$b"
'

test_expect_success 'a wrong secret is 400 invalid_client' '
	code=$(raw POST /_cms/v1/oauth/token -H "Content-Type: application/json" \
		-d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$EMU_ID\",\"client_secret\":\"nope\"}") &&
	expect_status "$code" 400 &&
	json ".error == \"invalid_client\" and (.error_description | length > 0)"
'

test_expect_success 'a wrong client id with Basic is 400 invalid_client' '
	code=$(raw POST /oauth/token -u "someone:$EMU_SECRET" \
		-d grant_type=client_credentials) &&
	expect_status "$code" 400 && json ".error == \"invalid_client\""
'

test_expect_success 'another grant type is 400 unsupported_grant_type' '
	code=$(raw POST /oauth/token -u "$EMU_ID:$EMU_SECRET" -d grant_type=password) &&
	expect_status "$code" 400 && json ".error == \"unsupported_grant_type\""
'

test_expect_success 'a body that is neither JSON nor a form is invalid_request' '
	code=$(raw POST /oauth/token -H "Content-Type: text/plain" -d hello) &&
	expect_status "$code" 400 && json ".error == \"invalid_request\""
'

test_expect_success 'GET on the token endpoint is 405' '
	test "$(raw GET /oauth/token)" = 405
'

test_expect_success 'the API needs a bearer token (401 problem+json)' '
	code=$(raw GET /_cms/v1/contenttypes) &&
	expect_status "$code" 401 &&
	hdr Content-Type | grep -q "^application/problem+json" &&
	hdr WWW-Authenticate | grep -q "^Bearer" &&
	json ".status == 401 and .title == \"Unauthorized\" and (.detail | length > 0)"
'

test_expect_success 'every API route needs it' '
	for p in /v1/contenttypes /_cms/preview3/contenttypes/BlankSection \
		/_cms/v1/propertygroups /_cms/v1/manifest; do
		test "$(raw GET $p)" = 401 || exit 1
	done
'

test_expect_success 'a tampered token is refused' '
	t=$(emu_token) &&
	case "$t" in *x) bad="${t%?}y";; *) bad="${t%?}x";; esac &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $t")" = 200 &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $bad")" = 401 &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer abc")" = 401 &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Basic abc")" = 401
'

test_expect_success 'a valid token is accepted' '
	EMU_TOKEN=$(emu_token) &&
	test "$(req GET /_cms/v1/contenttypes)" = 200
'

test_expect_success 'a token expires after --token-ttl seconds' '
	t=$(emu_token) &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $t")" = 200 &&
	sleep 1.2 &&
	code=$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $t") &&
	expect_status "$code" 401 && json ".detail | test(\"expired\")"
'

test_expect_success 'the tokenTtl fault setting changes new tokens' '
	test "$(ctl PUT /_emulator/faults -d "{\"tokenTtl\":300}")" = 200 &&
	code=$(raw POST /oauth/token -u "$EMU_ID:$EMU_SECRET" -d grant_type=client_credentials) &&
	json ".expires_in == 300" &&
	t=$(jq -r .access_token body) &&
	sleep 1.2 &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $t")" = 200
'

test_expect_success 'tokens/expire ends every token issued so far' '
	t=$(emu_token) &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $t")" = 200 &&
	test "$(ctl POST /_emulator/tokens/expire)" = 204 &&
	code=$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $t") &&
	expect_status "$code" 401 && json ".detail | test(\"revoked\")" &&
	t2=$(emu_token) &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $t2")" = 200
'

test_expect_success 'a token stays valid across a restart with the same seed' '
	t=$(emu_token) && echo "$t" >saved-token
'
emu_stop
emu_start --token-ttl 60
test_expect_success '... and is accepted by the new process' '
	emu_stopped_cleanly &&
	test "$(raw GET /_cms/v1/contenttypes -H "Authorization: Bearer $(cat saved-token)")" = 200
'

test_done
