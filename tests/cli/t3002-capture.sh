#!/usr/bin/env bash
# Change capture: edits made by another process (the sqlite3 CLI) while
# catalyst-sync is not running are all recorded, in order; Prisma's
# rebuild of ContentType drops the triggers (a warning naming init, a full
# scan) and init puts them back.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
export DATABASE_PATH=catalyst.db
QA="Catalyst QA Site"
ARTICLE=cmeg00bv8q4r2kbsqmyiam2ue

edit() {
	sqlite3 catalyst.db "$1"
}

test_expect_success 'init' '
	cs init >out && grep -q "^10 new versions" out
'

test_expect_success 'three edits by another process, then catalyst-sync runs' '
	edit "UPDATE \"ContentType\" SET \"name\" = '\''Essay'\'', \"updatedAt\" = 1755300000000 WHERE \"id\" = '\''$ARTICLE'\''" &&
	edit "UPDATE \"ContentType\" SET \"updatedAt\" = 1755300000001 WHERE \"id\" = '\''$ARTICLE'\''" &&
	edit "UPDATE \"ContentType\" SET \"fields\" = replace(\"fields\", '\''\"label\":\"Title\"'\'', '\''\"label\":\"Headline\"'\'') WHERE \"id\" = '\''$ARTICLE'\''" &&
	edit "UPDATE \"ContentType\" SET \"name\" = '\''Story'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	cs --website "$QA" log $ARTICLE >log &&
	cat log &&
	test "$(wc -l <log)" = 4
'

test_expect_success 'they are recorded in order, as UI edits, from the changelog' '
	sed -n 1p log | grep -q "UI   -  .*(edited in Catalyst; changelog #4)  (head)" &&
	sed -n 2p log | grep -q "(edited in Catalyst; changelog #3)" &&
	sed -n 3p log | grep -q "(edited in Catalyst; changelog #1)" &&
	sed -n 4p log | grep -q "(first recorded)"
'

test_expect_success 'a save that changes nothing but updatedAt is no version' '
	! grep -q "changelog #2" log
'

test_expect_success 'each version holds its moment' '
	v=$(sed -n 3p log | cut -c1-12) &&
	cs show $v --json >v.json &&
	jq -e ".version.snapshot.name == \"Essay\" and (.version.snapshot.fields.title.label == \"Title\")" v.json &&
	v=$(sed -n 2p log | cut -c1-12) &&
	cs show $v --json >v.json &&
	jq -e ".version.snapshot.name == \"Essay\" and (.version.snapshot.fields.title.label == \"Headline\")" v.json
'

test_expect_success 'a renamed type keeps its key' '
	cs --website "$QA" status Story >out &&
	grep -q "^Story  *Article  *head" out &&
	cs --website "$QA" export Story | head -1 | grep -q "^Article  \"Story\""
'

test_expect_success 'a renamed field keeps its property key in export' '
	edit "UPDATE \"ContentType\" SET \"fields\" = replace(\"fields\", '\''\"name\":\"slug\"'\'', '\''\"name\":\"permalink\"'\'') WHERE \"id\" = '\''$ARTICLE'\''" &&
	cs --website "$QA" export --lenient Story --json >e.json &&
	jq -e ".[0].properties.slug.displayName == \"URL Slug\" and (.[0].properties | has(\"permalink\") | not)" e.json &&
	cs --website "$QA" log Story >log
'

test_expect_success 'running again records nothing new' '
	cs --website "$QA" log Story >log2 && diff -u log log2
'

test_expect_success 'a type created and deleted while away' '
	edit "INSERT INTO \"ContentType\" (\"id\", \"websiteId\", \"name\", \"fields\", \"createdAt\", \"updatedAt\") VALUES ('\''cshort'\'', '\''cmedxk9n20000v8q4website01'\'', '\''Short'\'', '\''[]'\'', 1755300000000, 1755300000000)" &&
	edit "DELETE FROM \"ContentType\" WHERE \"id\" = '\''cshort'\''" &&
	cs --website "$QA" log cshort >out &&
	cat out &&
	sed -n 1p out | grep -q "(deleted in Catalyst)  (head)" &&
	sed -n 2p out | grep -q "changelog #" &&
	cs --website "$QA" status >out &&
	grep -q "^Short .*deleted in Catalyst" out
'

prisma_rebuild() {
	sqlite3 catalyst.db <<-SQL
	PRAGMA foreign_keys=OFF;
	CREATE TABLE "new_ContentType" (
	    "id" TEXT NOT NULL PRIMARY KEY,
	    "websiteId" TEXT NOT NULL,
	    "name" TEXT NOT NULL,
	    "fields" TEXT NOT NULL,
	    "settings" TEXT,
	    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	    "updatedAt" DATETIME NOT NULL,
	    CONSTRAINT "ContentType_websiteId_fkey" FOREIGN KEY ("websiteId") REFERENCES "Website" ("id") ON DELETE CASCADE ON UPDATE CASCADE
	);
	INSERT INTO "new_ContentType" ("createdAt", "fields", "id", "name", "settings", "updatedAt", "websiteId") SELECT "createdAt", "fields", "id", "name", "settings", "updatedAt", "websiteId" FROM "ContentType";
	DROP TABLE "ContentType";
	ALTER TABLE "new_ContentType" RENAME TO "ContentType";
	PRAGMA foreign_key_check;
	PRAGMA foreign_keys=ON;
	SQL
}

test_expect_success 'Prisma rebuilds ContentType: the triggers are gone' '
	edit "UPDATE \"ContentType\" SET \"name\" = '\''Before rebuild'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	prisma_rebuild &&
	test "$(sqlite3 catalyst.db "SELECT count(*) FROM sqlite_master WHERE type = '\''trigger'\''")" = 0 &&
	edit "UPDATE \"ContentType\" SET \"name\" = '\''First after'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	edit "UPDATE \"ContentType\" SET \"name\" = '\''Second after'\'' WHERE \"id\" = '\''$ARTICLE'\''"
'

test_expect_success 'the next run warns, naming init, and falls back to a full scan' '
	cs --website "$QA" log $ARTICLE >log 2>err &&
	cat err &&
	grep -q "triggers in .catalyst.db. are missing" err &&
	grep -q "run .catalyst-sync init. to reinstall them" err &&
	sed -n 1p log | grep -q "(found by a scan)  (head)" &&
	cs show $(sed -n 1p log | cut -c1-12) --json | jq -e ".version.snapshot.name == \"Second after\"" &&
	sed -n 2p log | grep -q "changelog #" &&
	cs show $(sed -n 2p log | cut -c1-12) --json | jq -e ".version.snapshot.name == \"Before rebuild\""
'

test_expect_success 'status shows the triggers are missing' '
	cs status >out 2>err &&
	grep -q "^change capture: triggers missing (full scans); run .catalyst-sync init." out &&
	cs status --json 2>/dev/null | jq -e ".capture.health == \"missing\" and .capture.triggers == 0"
'

test_expect_success 'init reinstalls them, and edits are ordered again' '
	cs init >out 2>err &&
	grep -q "triggers repaired" out &&
	! grep -q "missing" err &&
	edit "UPDATE \"ContentType\" SET \"name\" = '\''A'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	edit "UPDATE \"ContentType\" SET \"name\" = '\''B'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	cs --website "$QA" log $ARTICLE -n 2 >log 2>err &&
	test ! -s err &&
	sed -n 1p log | grep -q "changelog #" &&
	sed -n 2p log | grep -q "changelog #" &&
	cs status >out && grep -q "^change capture: triggers installed" out
'

test_expect_success 'a column added under the triggers makes them out of date' '
	edit "ALTER TABLE \"ContentType\" ADD COLUMN \"category\" TEXT" &&
	cs status >out 2>err &&
	grep -q "triggers out of date" out &&
	grep -q "out of date" err &&
	cs init >out && grep -q "triggers repaired" out &&
	cs status >out && grep -q "^change capture: triggers installed" out
'

test_expect_success 'an unreadable row is reported and the rest recorded' '
	edit "UPDATE \"ContentType\" SET \"fields\" = '\''{not json'\'' WHERE \"id\" = '\''$ARTICLE'\''" &&
	cs status >out 2>err &&
	grep -q "changelog row .*not valid JSON.*no version recorded" err
'

test_done
