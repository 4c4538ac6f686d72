#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static void test_err(void)
{
	err_clear();
	is_str(err_msg(), "", "no message at first");
	is_int(err_code(), ERR_OK, "and no code");
	is_int(err_set(ERR_NOTFOUND, "no content type '%s'", "Blog"),
	       ERR_NOTFOUND, "err_set returns its code");
	is_str(err_msg(), "no content type 'Blog'", "and records the message");
	is_int(err_prefix("cannot export %d types", 3), ERR_NOTFOUND,
	       "err_prefix keeps the code");
	is_str(err_msg(), "cannot export 3 types: no content type 'Blog'",
	       "and puts context in front of the message");
	err_clear();
	is_str(err_msg(), "", "err_clear empties the message");
	is_int(err_prefix("context"), ERR_OK, "a prefix without an error");
	is_str(err_msg(), "context", "is the message alone");
	is_str(err_code_name(ERR_CONFLICT), "conflict", "codes have names");
	is_str(err_code_name(-99), "error", "unknown codes too");
}

/* Logs one line through a temporary stream and returns it. */
static char *capture(int level, const char *comp, const char *text)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	log_set_stream(f);
	if (level == LOG_DEBUG)
		log_debug(comp, "%s", text);
	else if (level == LOG_INFO)
		log_info(comp, "%s", text);
	else
		log_warn(comp, "%s", text);
	fclose(f);
	log_set_stream(NULL);
	return data;
}

static void test_levels(void)
{
	char *s;

	log_set_level(LOG_WARN);
	s = capture(LOG_INFO, "store", "hidden");
	is_str(s, "", "info is hidden at the default level");
	free(s);
	s = capture(LOG_WARN, "store", "shown");
	is_str(s, "warning: shown\n", "warnings are shown");
	free(s);
	is_int(log_set_trace("http,-sse"), 0, "a trace list parses");
	s = capture(LOG_DEBUG, "http", "GET /x");
	is_str(s, "debug [http]: GET /x\n", "a traced component logs debug");
	free(s);
	s = capture(LOG_DEBUG, "store", "quiet");
	is_str(s, "", "an untraced one does not");
	free(s);
	s = capture(LOG_WARN, "sse", "muted");
	is_str(s, "", "-sse silences warnings of sse");
	free(s);
	is_int(log_set_trace("http,,x"), ERR_USAGE, "an empty name is refused");
	is_int(log_set_trace("Bad!"), ERR_USAGE, "so is a bad name");
	is_int(log_set_trace("all"), 0, "all traces everything");
	s = capture(LOG_DEBUG, "anything", "on");
	is_str(s, "debug [anything]: on\n", "so debug shows everywhere");
	free(s);
	is_int(log_set_trace(""), 0, "an empty list resets");
	log_set_level(LOG_WARN);
}

static void test_redaction(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Authorization: Bearer eyJhbGciOi.x.y",
		  "Authorization: ***" },
		{ "got bearer abc.def.ghi back", "got bearer *** back" },
		{ "{\"client_id\":\"me\",\"client_secret\":\"hunter22\"}",
		  "{\"client_id\":\"me\",\"client_secret\":\"***\"}" },
		{ "grant_type=client_credentials&client_secret=s3cr3t&x=1",
		  "grant_type=client_credentials&client_secret=***&x=1" },
		{ "{\"access_token\": \"tok123\", \"expires_in\": 300}",
		  "{\"access_token\": \"***\", \"expires_in\": 300}" },
		{ "postgresql://cs:pa55word@db:5432/cs",
		  "postgresql://cs:***@db:5432/cs" },
		{ "host=db password=pa55 user=cs", "host=db password=*** user=cs" },
		{ "nothing to hide", "nothing to hide" },
	};
	struct buf b = BUF_INIT;
	char *s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		buf_reset(&b);
		buf_adds(&b, cases[i].in);
		log_redact(&b);
		is_str(b.ptr, cases[i].out, "redacts '%s'", cases[i].in);
	}
	log_add_secret("my-registered-secret");
	buf_reset(&b);
	buf_adds(&b, "x my-registered-secret y my-registered-secret");
	log_redact(&b);
	is_str(b.ptr, "x *** y ***", "a registered secret is masked anywhere");
	s = capture(LOG_WARN, "config", "using my-registered-secret now");
	is_str(s, "warning: using *** now\n", "log lines are redacted too");
	free(s);
	log_clear_secrets();
	buf_release(&b);
}

int main(void)
{
	plan_lazy();
	test_err();
	test_levels();
	test_redaction();
	return done_testing();
}
