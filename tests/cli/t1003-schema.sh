#!/usr/bin/env bash
# Schema conformance: every sample Catalyst row exports as content types that
# the JSON Schemas of a v1 and a preview3 request body accept (ajv). Skips,
# with the reason, without Node.js or the npm registry, except under CI=true.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

need_ajv() {
	local major
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		echo "Node.js and npm are not installed"
		return 1
	fi
	major=$(node -p 'process.versions.node.split(".")[0]')
	if [ "$major" -lt 18 ]; then
		echo "Node.js $major is too old (ajv needs 18 or later)"
		return 1
	fi
	AJV_PREFIX="$CS_BUILD_DIR/npm-ajv"
	if [ ! -d "$AJV_PREFIX/node_modules/ajv-formats" ]; then
		mkdir -p "$AJV_PREFIX"
		if ! npm install --silent --no-audit --no-fund --prefix "$AJV_PREFIX" \
			ajv@8 ajv-formats@3 >"$TEST_DIR/npm.log" 2>&1; then
			echo "cannot install ajv from the npm registry: $(tail -1 "$TEST_DIR/npm.log")"
			return 1
		fi
	fi
	export AJV_PREFIX
}

if reason=$(need_ajv); then
	need_ajv >/dev/null
	make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
	for v in v1 preview3; do
		test_expect_success "every sample row is a valid $v request body" "
			cs --database catalyst.db export --lenient --json --api-version $v >docs.json &&
			jq -e 'length == 10' docs.json &&
			node '$FIXTURES/schema/validate.mjs' '$FIXTURES/schema/schema-$v.json' <docs.json
		"
	done
	test_expect_success 'the demo model is valid too' '
		sqlite3 demo.db <"$CS_SOURCE_DIR/examples/sample-model.sql" &&
		cs --database demo.db export --json >demo.json &&
		node "$FIXTURES/schema/validate.mjs" "$FIXTURES/schema/schema-v1.json" <demo.json
	'
	test_expect_success 'the schema check itself rejects a bad document' '
		echo "[{\"key\":\"1bad\",\"displayName\":\"x\",\"baseType\":\"_page\",\"properties\":{\"a\":{\"type\":\"nope\"}}}]" >bad.json &&
		! node "$FIXTURES/schema/validate.mjs" "$FIXTURES/schema/schema-v1.json" <bad.json
	'
elif [ "${CI:-}" = true ]; then
	test_expect_success "schema conformance needs ajv under CI ($reason)" false
else
	test_skip "schema conformance: $reason"
fi

test_done
