#!/usr/bin/env bash
# record, branches, log (and --graph), show, diff, status, map: the outputs.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
export DATABASE_PATH=catalyst.db
QA="Catalyst QA Site"
ARTICLE=cmeg00bv8q4r2kbsqmyiam2ue
SEED=cmeg004v8q4me1fftxjyf2buc

fields_of() {
	sqlite3 catalyst.db "SELECT \"fields\" FROM \"ContentType\" WHERE \"id\" = '$1'"
}

test_expect_success 'setup' '
	cs init >/dev/null &&
	cs --website "$QA" log Article >log && test "$(wc -l <log)" = 1 &&
	V1=$(cut -c1-12 log) && echo "$V1" >v1 &&
	cs --website "$QA" export Article --form catalyst --json >article.json
'

test_expect_success 'record an AI edit: written to Catalyst, one version' '
	jq ".[0].fields.title.label = \"Headline\" | .[0].fields.summary = {type: \"textarea\", label: \"Summary\", required: false, order: 9}" \
		article.json >edit.json &&
	cs --website "$QA" record Article --file edit.json --source AI \
		--author claude --message "add a summary" >out &&
	grep -Eq "^recorded [0-9a-f]{12} \(AI, claude\): add a summary$" out &&
	fields_of $ARTICLE >f &&
	grep -q "\"label\":\"Headline\"" f &&
	grep -q "{\"name\":\"summary\",\"type\":\"textarea\"" f &&
	head -c 1 f | grep -q "{"
'

test_expect_success 'log shows it at the head, with its attribution' '
	cs --website "$QA" log Article >log &&
	test "$(wc -l <log)" = 2 &&
	sed -n 1p log | grep -Eq "^[0-9a-f]{12}  [0-9T:-]+Z  AI   claude  +add a summary  \(head\)$" &&
	V2=$(sed -n 1p log | cut -c1-12) && echo "$V2" >v2
'

test_expect_success 'our own write coming back through the triggers is no version' '
	cs --website "$QA" log Article >log2 && diff -u log log2 &&
	test "$(sqlite3 catalyst.db "SELECT count(*) FROM _catalyst_sync_changelog")" = 1
'

test_expect_success 'recording the same document again records nothing' '
	cs --website "$QA" record Article --file edit.json --source AI >out &&
	grep -q "^nothing to record: the document equals the head" out
'

test_expect_success 'show prints the version and its form' '
	cs show $(cat v2) >out &&
	grep -q "^version  $(cat v2)" out &&
	grep -q "^type     Article (cmeg00bv8q4r2kbsqmyiam2ue), key Article$" out &&
	grep -q "^parents  $(cat v1)" out &&
	grep -q "^source   AI$" out &&
	grep -q "^author   claude$" out &&
	grep -q "^message  add a summary$" out &&
	grep -q "\"label\": \"Headline\"" out &&
	cs show $(cat v2) --json | jq -e ".format_version == 1 and .version.source == \"AI\" and (.version.parents | length) == 1"
'

test_expect_success 'show: short and ambiguous prefixes' '
	test_expect_code 1 cs show abc 2>err &&
	grep -q "at least 7" err &&
	test_expect_code 1 cs show 0000000 2>err &&
	grep -q "no version" err
'

test_expect_success 'diff between versions, down to each attribute' '
	cs --website "$QA" diff Article $(cat v1) >out &&
	cat out &&
	sed -n 1p out | grep -q "^--- $(cat v1)" &&
	sed -n 2p out | grep -q "^+++ $(cat v2)" &&
	grep -q "^+ fields.summary: {\"type\":\"textarea\",\"label\":\"Summary\",\"required\":false,\"order\":9}$" out &&
	grep -q "^~ fields.title.label: \"Title\" -> \"Headline\"$" out &&
	test "$(wc -l <out)" = 4
'

test_expect_success 'diff in the Optimizely form' '
	cs --website "$QA" diff Article $(cat v1) $(cat v2) --form optimizely >out &&
	cat out &&
	grep -q "^~ properties.title.displayName: \"Title\" -> \"Headline\"$" out &&
	grep -q "^+ properties.summary: " out
'

test_expect_success 'diff --json' '
	cs --website "$QA" diff Article $(cat v1) --json >d.json &&
	jq -e ".format_version == 1 and .form == \"catalyst\" and (.changes | length) == 2" d.json &&
	jq -e ".changes[] | select(.path == \"fields.title.label\") | .op == \"change\" and .old == \"Title\" and .new == \"Headline\" and .segments == [\"fields\",\"title\",\"label\"]" d.json
'

test_expect_success 'no differences' '
	cs --website "$QA" diff Article $(cat v2) >out &&
	grep -q "^no differences$" out
'

test_expect_success 'a version of another type is refused' '
	cs --website "$QA" log BlogPost >l && other=$(cut -c1-12 l) &&
	test_expect_code 1 cs --website "$QA" diff Article $other 2>err &&
	grep -q "is a version of .BlogPost., not of .Article." err
'

test_expect_success 'an edit based on an old version becomes a branch' '
	jq ".[0].description = \"From the old base\"" article.json >branch.json &&
	cs --website "$QA" record Article --file branch.json --source UI \
		--author ana --base $(cat v1) --no-merge >out &&
	grep -q "as a branch of Article: the head moved to $(cat v2)" out &&
	fields_of $ARTICLE | grep -vq "From the old base"
'

test_expect_success 'status shows the second head' '
	cs --website "$QA" status >out &&
	grep -q "^Article  *Article  *head $(cat v2)  never synced  1 branch: " out &&
	grep -q "1 with branches to merge" out &&
	cs --website "$QA" status --json >s.json &&
	jq -e ".types[] | select(.name == \"Article\") | (.branches | length) == 1 and .head != null and .sync == []" s.json
'

test_expect_success 'log --graph draws the branch' '
	cs --website "$QA" log Article --graph >out &&
	cat out &&
	test "$(wc -l <out)" = 4 &&
	sed -n 1p out | grep -q "^\* [0-9a-f]\{12\} .*(branch)$" &&
	sed -n 2p out | grep -q "^| \* $(cat v2) .*(head)$" &&
	sed -n 3p out | grep -q "^|/$" &&
	sed -n 4p out | grep -q "^\* $(cat v1) "
'

test_expect_success 'log filters and JSON' '
	cs --website "$QA" log Article --author claude >out &&
	test "$(wc -l <out)" = 1 &&
	cs --website "$QA" log Article --source ui >out &&
	test "$(wc -l <out)" = 2 &&
	cs --website "$QA" log Article --since 2000-01-01 -n 1 >out &&
	test "$(wc -l <out)" = 1 &&
	cs --website "$QA" log Article --since 1d >out &&
	test "$(wc -l <out)" = 3 &&
	cs --website "$QA" log Article --json >l.json &&
	jq -e ".format_version == 1 and .type.key == \"Article\" and (.versions | length) == 3 and (.branches | length) == 1" l.json &&
	jq -e "[.versions[] | select(.head)] | length == 1" l.json &&
	test_expect_code 64 cs --website "$QA" log Article --source robot &&
	test_expect_code 64 cs --website "$QA" log Article --since yesterday
'

test_expect_success 'record keeps a plain-array row a plain array' '
	cs --website "TechVerse Blog" export "Blog Post" --form catalyst --json >seed.json &&
	jq ".[0].fields.title.validation.maxLength = 150" seed.json >seed2.json &&
	cs --website "TechVerse Blog" record "Blog Post" --file seed2.json >out &&
	fields_of $SEED >f &&
	head -c 1 f | grep -q "\[" &&
	grep -q "{\"name\":\"title\",\"type\":\"text\",\"required\":true,\"maxLength\":150}" f
'

test_expect_success 'record refuses a document of another type, or of several' '
	test_expect_code 1 cs --website "TechVerse Blog" record "Blog Post" --file edit.json 2>err &&
	grep -q "is content type .cmeg00bv8q4r2kbsqmyiam2ue." err &&
	jq ". + ." seed.json >two.json &&
	test_expect_code 1 cs --website "TechVerse Blog" record "Blog Post" --file two.json 2>err &&
	grep -q "holds 2 documents" err &&
	test_expect_code 64 cs --website "TechVerse Blog" record "Blog Post" --file seed.json --source ROBOT &&
	test_expect_code 64 cs --website "TechVerse Blog" record "Blog Post"
'

test_expect_success 'record refuses what the row has no place for' '
	jq ".[0].relationships.author = {type: \"manyToOne\", targetContentTypeId: \"x\"}" seed.json >rel.json &&
	test_expect_code 1 cs --website "TechVerse Blog" record "Blog Post" --file rel.json 2>err &&
	grep -q "no place for relationships" err
'

test_expect_success 'record --json' '
	jq ".[0].name = \"Articles\"" article.json >n.json &&
	cs --website "$QA" record Article --file n.json --json >r.json &&
	jq -e ".format_version == 1 and .written and (.branch | not) and (.version | length) == 64" r.json
'

test_expect_success 'map binds a type to an existing remote key' '
	cs --website "$QA" map Article EditorialArticle >out &&
	grep -q "^mapped Articles (cmeg00bv8q4r2kbsqmyiam2ue) to the key .EditorialArticle. (was .Article.)$" out &&
	cs --website "$QA" export EditorialArticle | head -1 | grep -q "^EditorialArticle  \"Articles\"" &&
	cs --website "$QA" status >out &&
	grep -q "^Articles  *EditorialArticle  *head" out
'

test_expect_success 'map refuses a bad key, a taken key, a synced type' '
	test_expect_code 64 cs --website "$QA" map Product "2bad key" 2>err &&
	grep -q "is not an Optimizely key" err &&
	test_expect_code 1 cs --website "$QA" map Product EditorialArticle 2>err &&
	grep -q "already held by content type .cmeg00bv8q4r2kbsqmyiam2ue." err &&
	sqlite3 catalyst-sync.db "INSERT INTO sync_state (target, type_id, type_key, status, updated_at) VALUES ('\''optimizely'\'', '\''cmeg00dv8q4p2q8pvopdmtbh3'\'', '\''Product'\'', '\''in_sync'\'', 1)" &&
	test_expect_code 1 cs --website "$QA" map Product Goods 2>err &&
	grep -q "was synced to target .optimizely. as .Product." err
'

test_expect_success 'status compares the head with the version last synced' '
	head=$(cs --website "$QA" status --json | jq -r ".types[] | select(.id == \"cmeg00dv8q4p2q8pvopdmtbh3\") | .head") &&
	sqlite3 catalyst-sync.db "UPDATE sync_state SET local_version = '\''$head'\''" &&
	cs --website "$QA" status >out &&
	grep -q "^Product  *Product  *head ${head:0:12}  optimizely: in sync$" out &&
	sqlite3 catalyst.db "UPDATE \"ContentType\" SET \"name\" = '\''Goods'\'' WHERE \"id\" = '\''cmeg00dv8q4p2q8pvopdmtbh3'\''" &&
	cs --website "$QA" status >out &&
	grep -q "^Goods  *Product  *head [0-9a-f]*  optimizely: changed since last sync$" out
'

test_done
