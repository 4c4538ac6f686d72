#!/usr/bin/env bash
# export: the Optimizely documents the Catalyst rows become, in v1 and
# preview3 wire names, the Catalyst form, the listing, and bad rows.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
QA="Catalyst QA Site"
ex() { cs --database catalyst.db --website "$QA" export --lenient "$@"; }

test_expect_success 'export --json prints one array of v1 documents' '
	ex --json >out.json &&
	jq -e "type == \"array\" and length == 5" out.json &&
	jq -e "[.[] | has(\"key\") and has(\"displayName\") and has(\"baseType\") and has(\"properties\")] | all" out.json
'

test_expect_success 'validations, enums and references are carried over' '
	jq -e ".[] | select(.key == \"Article\") | .properties.title | .minLength == 5 and .maxLength == 120 and .isRequired == true" out.json &&
	jq -e ".[] | select(.key == \"Article\") | .properties.readingTime | .type == \"integer\" and .minimum == 1 and .maximum == 60" out.json &&
	jq -e ".[] | select(.key == \"Article\") | .properties.author | .type == \"contentReference\" and .allowedTypes == [\"Author\"]" out.json &&
	jq -e ".[] | select(.key == \"Article\") | .properties.publishDate | .type == \"dateTime\" and .minimum == \"2025-01-01T00:00:00Z\"" out.json &&
	jq -e ".[] | select(.key == \"Product\") | .properties.availability | .format == \"selectOne\" and (.enum | length) == 3" out.json &&
	jq -e ".[] | select(.key == \"Product\") | .properties.images | .type == \"array\" and .items.type == \"contentReference\"" out.json
'

test_expect_success 'preview3 wire names' '
	ex --json --api-version preview3 Article >p3.json &&
	jq -e ".[0].properties.title.required == true and (.[0].properties.title | has(\"isRequired\") | not)" p3.json
'

test_expect_success 'the Catalyst form' '
	ex --json --form catalyst BlogPost >cf.json &&
	jq -e ".[0].fields.readingTime.validation.max == 60 and .[0].fields.title.required == true" cf.json
'

test_expect_success 'the readable listing' '
	ex Article >out &&
	grep -q "^Article  \"Article\"  _component" out &&
	grep -Eq "^  title +string required minLength=5 maxLength=120" out
'

test_expect_success 'seed rows (plain array shape) export their fields' '
	cs --database catalyst.db --website "TechVerse Blog" export --lenient --json >tv.json &&
	jq -e ".[] | select(.key == \"BlogPost\") | (.properties | length) == 10" tv.json &&
	jq -e ".[] | select(.key == \"BlogPost\") | .properties.category.enum[0].value == \"JavaScript\"" tv.json
'

test_expect_success 'bad --form and --api-version are usage errors' '
	test_expect_code 64 ex --form yaml 2>err && grep -q "optimizely or catalyst" err &&
	test_expect_code 64 ex --api-version v9 2>err && grep -q "v1 or preview3" err
'

make_catalyst_db bad.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
sqlite3 bad.db <"$FIXTURES/catalyst/malformed.sql"

test_expect_success 'bad rows are reported, the rest is printed, exit 1' '
	test_expect_code 1 cs --database bad.db export --lenient --json >out.json 2>err &&
	jq -e "length >= 10" out.json &&
	grep -q "not valid JSON" err
'

test_done
