#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "target/http.h"
#include "target/oauth.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define DEFAULT_LIFETIME_S 300
#define MAX_MARGIN_MS 30000

struct oauth {
	struct http *h;
	char *token_url;
	char *client_id;
	char *client_secret;
	char *token;	      /* the cached access token, or NULL */
	unsigned gen;	      /* bumped with every new token */
	long long expires_at; /* monotonic ms */
	long long refresh_at; /* monotonic ms */
	long long fetch_sent; /* when the running fetch was submitted */
	int fetching;
	int final_code; /* credentials refused: every request fails */
	char *final_msg;
	int last_code; /* how the last fetch failed (0: it did not) */
	char *last_msg;
	unsigned long fetches;
};

long long oauth_refresh_margin_ms(long long lifetime_ms)
{
	long long tenth = lifetime_ms / 10;

	return tenth < MAX_MARGIN_MS ? tenth : MAX_MARGIN_MS;
}

static void set_last(struct oauth *o, int code, const char *msg)
{
	struct buf b = BUF_INIT;

	o->last_code = code;
	free(o->last_msg);
	buf_adds(&b, msg);
	log_redact(&b);
	o->last_msg = buf_detach(&b, NULL);
}

/* The token endpoint's own words: error_description, error or code. */
static void describe_refusal(struct buf *out, const struct http_call *c)
{
	json_t *j = NULL;
	const char *desc, *code;

	if (c->response.len &&
	    jx_load(&j, c->response.ptr, c->response.len, "token error") == 0) {
		desc = jx_str(j, "error_description");
		code = jx_str(j, "error");
		if (!code)
			code = jx_str(j, "code");
		if (desc && *desc)
			buf_addf(out, ": %s", desc);
		if (code && *code)
			buf_addf(out, " (%s)", code);
	}
	err_clear();
	json_decref(j);
}

static void on_token(struct http_call *c, void *payload)
{
	struct oauth *o = payload;
	struct buf msg = BUF_INIT;
	json_t *j = NULL, *exp;
	const char *tok;
	long long lifetime_ms;
	int code = 0;

	o->fetching = 0;
	if (c->result < 0) {
		code = c->result;
		buf_addf(&msg, "cannot get a token: %s", c->error);
		goto out;
	}
	if (c->status == 400 || c->status == 401 || c->status == 403) {
		code = ERR_AUTH;
		buf_addf(&msg,
			 "the client credentials were refused by '%s' "
			 "(HTTP %ld)",
			 o->token_url, c->status);
		describe_refusal(&msg, c);
		goto out;
	}
	if (c->status != 200 && c->status != 201) {
		code = c->status == 429 ? ERR_RATELIMIT : ERR_REMOTE;
		buf_addf(&msg, "cannot get a token from '%s': HTTP %ld",
			 o->token_url, c->status);
		goto out;
	}
	if (jx_load(&j, c->response.ptr, c->response.len, "token answer") < 0) {
		code = ERR_REMOTE;
		buf_addf(&msg, "the token answer from '%s' is not JSON",
			 o->token_url);
		err_clear();
		goto out;
	}
	tok = jx_str(j, "access_token");
	if (!tok || !*tok) {
		code = ERR_REMOTE;
		buf_addf(&msg, "the token answer from '%s' has no access_token",
			 o->token_url);
		goto out;
	}
	exp = json_object_get(j, "expires_in");
	lifetime_ms = json_is_number(exp)
			      ? (long long)(json_number_value(exp) * 1000)
			      : 0;
	if (lifetime_ms <= 0)
		lifetime_ms = DEFAULT_LIFETIME_S * 1000LL;
	free(o->token);
	o->token = xstrdup(tok);
	o->gen++;
	o->expires_at = o->fetch_sent + lifetime_ms;
	o->refresh_at = o->expires_at - oauth_refresh_margin_ms(lifetime_ms);
	o->last_code = 0;
	log_debug("http", "got a token valid for %lld ms", lifetime_ms);
out:
	if (code < 0) {
		set_last(o, code, msg.ptr);
		if (code == ERR_AUTH) {
			o->final_code = code;
			free(o->final_msg);
			o->final_msg = xstrdup(o->last_msg);
		}
		http_auth_ready(o->h, code, o->last_msg);
	} else {
		http_auth_ready(o->h, 0, NULL);
	}
	buf_release(&msg);
	json_decref(j);
	http_call_free(c);
}

static void start_fetch(struct oauth *o)
{
	struct http_call *c = http_call_new("POST", o->token_url);
	json_t *body = json_pack(
		"{s:s,s:s,s:s}", "grant_type", "client_credentials",
		"client_id", o->client_id, "client_secret", o->client_secret);
	struct buf text = BUF_INIT;

	jx_dump_compact(&text, body);
	http_call_set_body(c, text.ptr, text.len, "application/json");
	c->flags = HTTP_URGENT;
	o->fetching = 1;
	o->fetches++;
	o->fetch_sent = time_mono_ms();
	http_submit(o->h, c, on_token, o);
	buf_release(&text);
	json_decref(body);
}

static int prepare(struct http *h, char **header_out, unsigned *gen_out,
		   void *payload)
{
	struct oauth *o = payload;
	long long now = time_mono_ms();
	struct buf b = BUF_INIT;

	(void)h;
	if (o->final_code)
		return err_set(o->final_code, "%s", o->final_msg);
	if (o->token && now < o->expires_at) {
		if (now >= o->refresh_at && !o->fetching)
			start_fetch(o);
		buf_addf(&b, "Authorization: Bearer %s", o->token);
		*header_out = buf_detach(&b, NULL);
		*gen_out = o->gen;
		return 0;
	}
	if (!o->fetching)
		start_fetch(o);
	return HTTP_AUTH_WAIT;
}

static void rejected(struct http *h, unsigned gen, void *payload)
{
	struct oauth *o = payload;

	(void)h;
	if (o->token && gen == o->gen) {
		log_debug("http", "the token was refused; getting a new one");
		FREE_AND_NULL(o->token);
	}
}

int oauth_new(struct oauth **out, struct http *h, const char *token_url,
	      const char *client_id, const char *client_secret)
{
	struct oauth *o;
	struct http_auth auth;

	*out = NULL;
	if (!client_id || !*client_id)
		return err_set(ERR_INVALID, "no OAuth client id configured");
	if (!client_secret || !*client_secret)
		return err_set(ERR_INVALID,
			       "no OAuth client secret configured");
	o = xcalloc(1, sizeof(*o));
	o->h = h;
	o->token_url = xstrdup(token_url);
	o->client_id = xstrdup(client_id);
	o->client_secret = xstrdup(client_secret);
	log_add_secret(client_secret);
	auth.prepare = prepare;
	auth.rejected = rejected;
	auth.payload = o;
	http_set_auth(h, &auth);
	*out = o;
	return 0;
}

void oauth_free(struct oauth *o)
{
	if (!o)
		return;
	http_set_auth(o->h, NULL);
	free(o->token_url);
	free(o->client_id);
	free(o->client_secret);
	free(o->token);
	free(o->final_msg);
	free(o->last_msg);
	free(o);
}

int oauth_login(struct oauth *o)
{
	long long now = time_mono_ms();

	if (o->final_code)
		return err_set(o->final_code, "%s", o->final_msg);
	if (o->token && now < o->refresh_at)
		return 0;
	if (!o->fetching)
		start_fetch(o);
	if (http_run(o->h) < 0)
		return -1;
	if (o->token && time_mono_ms() < o->expires_at)
		return 0;
	if (o->last_code)
		return err_set(o->last_code, "%s", o->last_msg);
	return err_set(ERR_AUTH, "no token from '%s'", o->token_url);
}

void oauth_invalidate(struct oauth *o)
{
	FREE_AND_NULL(o->token);
	FREE_AND_NULL(o->final_msg);
	o->final_code = 0;
}

unsigned long oauth_fetches(const struct oauth *o)
{
	return o->fetches;
}
