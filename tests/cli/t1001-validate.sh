#!/usr/bin/env bash
# validate: reading the real Catalyst rows, per-row errors, websites, TYPE
# arguments, text and JSON reports, exit codes.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
QA="Catalyst QA Site"

test_expect_success 'every sample row validates (all websites)' '
	cs --database catalyst.db validate --lenient >out &&
	grep -q "^10 types checked: 10 valid, 0 invalid" out
'

test_expect_success 'one website by name' '
	cs --database catalyst.db --website "$QA" validate --lenient >out &&
	grep -q "^5 types checked" out &&
	grep -q "^Article (Article): ok" out
'

test_expect_success 'one website by id, flag after the command' '
	cs validate --lenient --website cmeg001v8q48mfvlko9frxe53 --database catalyst.db >out &&
	grep -q "^2 types checked" out
'

test_expect_success 'an unknown website is an error that lists the websites' '
	test_expect_code 1 cs --database catalyst.db --website Nope validate 2>err &&
	grep -q "Nope" err && grep -q "TechVerse Blog" err
'

test_expect_success 'a TYPE by key, id or unique name' '
	cs --database catalyst.db --website "$QA" validate --lenient Article >out &&
	grep -q "^1 type checked" out &&
	cs --database catalyst.db validate --lenient cmeg00bv8q4r2kbsqmyiam2ue >out &&
	grep -q "^Article (Article)" out &&
	cs --database catalyst.db --website "$QA" validate --lenient BlogPost >out &&
	grep -q "^BlogPost (BlogPost)" out
'

test_expect_success 'a name used in two websites asks for --website' '
	test_expect_code 1 cs --database catalyst.db validate Author 2>err &&
	grep -q "pick one with --website" err
'

test_expect_success 'an unknown TYPE is an error' '
	test_expect_code 1 cs --database catalyst.db validate NoSuchType 2>err &&
	grep -q "no content type .NoSuchType." err
'

test_expect_success 'the JSON report' '
	cs --database catalyst.db --website "$QA" validate --lenient --json >out.json &&
	jq -e ".format_version == 1 and .summary.types == 5 and (.types | length) == 5" out.json &&
	jq -e ".types[] | select(.name == \"Article\") | .key == \"Article\" and .valid" out.json &&
	jq -e "[.types[].findings[] | has(\"code\") and has(\"severity\") and has(\"path\") and has(\"message\")] | all" out.json
'

test_expect_success 'a missing database is an error naming it' '
	test_expect_code 1 cs --database nowhere.db validate 2>err &&
	grep -q "nowhere.db" err && test ! -e nowhere.db
'

test_expect_success 'no database at all is a usage error that says how' '
	test_expect_code 64 cs validate 2>err &&
	grep -q "DATABASE_PATH" err
'

test_expect_success 'DATABASE_PATH and the configuration file find the database' '
	DATABASE_PATH=catalyst.db cs validate --lenient >out &&
	grep -q "^10 types checked" out &&
	mkdir -p conf && cp catalyst.db conf/c.db &&
	printf "source:\n  database: c.db\n  website: %s\n" "$QA" >conf/cs.yaml &&
	cs --config conf/cs.yaml validate --lenient >out &&
	grep -q "^5 types checked" out
'

test_expect_success 'a bad configuration file is an error with its place' '
	printf "sync:\n  mode: sideways\n" >bad.yaml &&
	test_expect_code 1 cs --config bad.yaml --database catalyst.db validate 2>err &&
	grep -q "bad.yaml:2:9: sync.mode must be one of" err
'

# Malformed rows: each is reported with its id, name and reason, and the
# other rows are still read.
make_catalyst_db bad.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
sqlite3 bad.db <"$FIXTURES/catalyst/malformed.sql"

test_expect_success 'malformed rows fail the run but not the other rows' '
	test_expect_code 1 cs --database bad.db validate --lenient >out 2>err &&
	grep -q "cannot be read" out &&
	grep -q "^Article (Article): ok" out &&
	grep -q "^BlogPost (BlogPost): ok" out
'

test_expect_success 'a row whose fields are not JSON names the row and where' '
	grep -A1 "cannot be read" out | grep -q "not valid JSON at"
'

test_expect_success 'duplicate field names name the field' '
	grep -q "two fields are named" out
'

cat >odd.sql <<'SQL'
INSERT INTO "ContentType" VALUES ('cx1', 'cmedxk9n20000v8q4website01', 'Odd',
	'[{"name":"a","type":"hologram"}]', NULL, 1, 1);
SQL

test_expect_success 'strict mode makes warnings fail' '
	sqlite3 catalyst.db <odd.sql &&
	test_expect_code 1 cs --database catalyst.db --website "$QA" validate Odd >out &&
	grep -q "unknown-field-type" out &&
	cs --database catalyst.db --website "$QA" validate --lenient Odd >out &&
	grep -q "Odd (Odd): ok (0 errors, 1 warning)" out
'

test_expect_success 'validation: strict in the configuration does the same' '
	printf "sync:\n  protection:\n    validation: lenient\n" >lenient.yaml &&
	cs --config lenient.yaml --database catalyst.db --website "$QA" validate Odd >out &&
	grep -q "Odd (Odd): ok" out &&
	test_expect_code 1 cs --config lenient.yaml --database catalyst.db --website "$QA" validate --strict Odd >out
'

test_done
