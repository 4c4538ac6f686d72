/*
 * oauth: the token endpoint and bearer checks.
 *
 * Tokens are HS256 JWTs signed with a key derived from --seed, so no token
 * table is kept: a token is valid while its signature holds, its exp_ms is
 * in the future and its generation is not older than the emulator's (which
 * POST /_emulator/tokens/expire raises).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/sha256.h"
#include "util/xalloc.h"
#include "util/banned.h"

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static void sha256_bin(unsigned char out[32], const void *p, size_t n)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex(hex, p, n);
	for (int i = 0; i < 32; i++)
		out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 |
					 hexval(hex[2 * i + 1]));
}

static void hmac_sha256(unsigned char out[32], const unsigned char key[32],
			const char *msg, size_t n)
{
	struct buf b = BUF_INIT;
	unsigned char inner[32];

	for (int i = 0; i < 64; i++)
		buf_addch(&b, (i < 32 ? key[i] : 0) ^ 0x36);
	buf_add(&b, msg, n);
	sha256_bin(inner, b.ptr, b.len);
	buf_reset(&b);
	for (int i = 0; i < 64; i++)
		buf_addch(&b, (i < 32 ? key[i] : 0) ^ 0x5c);
	buf_add(&b, inner, sizeof(inner));
	sha256_bin(out, b.ptr, b.len);
	buf_release(&b);
}

void oauth_setup(struct emu *e)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "optimizely-emulator token key\n%llu",
		 (unsigned long long)e->seed);
	sha256_bin(e->token_key, b.ptr, b.len);
	buf_release(&b);
}

static void oauth_error(struct call *c, const char *error, const char *desc)
{
	json_t *body = json_pack("{s:s, s:s}", "error", error,
				 "error_description", desc);

	reply_json(c, 400, body);
	reply_header(c, "Cache-Control", "no-store");
}

/* Appends the decoded form value of name in body to out; 1 when found. */
static int form_value(struct buf *out, const char *body, size_t len,
		      const char *name)
{
	const char *p = body, *end = body + len;
	size_t nlen = strlen(name);

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) > nlen && !strncmp(p, name, nlen) &&
		    p[nlen] == '=') {
			buf_reset(out);
			if (httpd_unescape(out, p + nlen + 1,
					   (size_t)(stop - p) - nlen - 1,
					   1) < 0) {
				err_clear();
				return 0;
			}
			return 1;
		}
		p = stop + 1;
	}
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void oauth_token(struct call *c)
{
	struct emu *e = c->emu;
	const struct httpd_request *req = c->req;
	const char *ctype = httpd_header(req, "Content-Type");
	const char *auth = httpd_header(req, "Authorization");
	char *id = NULL, *secret = NULL, *grant = NULL;
	struct buf b = BUF_INIT, token = BUF_INIT, sig = BUF_INIT;
	json_t *body = NULL, *payload = NULL, *reply;
	unsigned char mac[32];
	char jti[40];
	long long exp_ms;

	if (auth && !strncasecmp(auth, "Basic ", 6)) {
		const char *colon;
		struct buf user = BUF_INIT, pass = BUF_INIT;

		if (b64_decode(&b, auth + 6, strlen(auth + 6)) < 0 ||
		    !(colon = memchr(b.ptr, ':', b.len)) ||
		    httpd_unescape(&user, b.ptr, (size_t)(colon - b.ptr), 1) <
			    0 ||
		    httpd_unescape(&pass, colon + 1,
				   b.len - (size_t)(colon - b.ptr) - 1,
				   1) < 0) {
			err_clear();
			buf_release(&user);
			buf_release(&pass);
			oauth_error(c, "invalid_client",
				    "The Basic credentials cannot be decoded.");
			goto out;
		}
		id = buf_detach(&user, NULL);
		secret = buf_detach(&pass, NULL);
		buf_reset(&b);
	}

	if (media_type_is(ctype, "application/json") ||
	    (!ctype && req->body_len && req->body[0] == '{')) {
		if (jx_load(&body, req->body, req->body_len, "the body") < 0 ||
		    !json_is_object(body)) {
			err_clear();
			oauth_error(c, "invalid_request",
				    "The body is not a JSON object.");
			goto out;
		}
		grant = dup_or_null(jx_str(body, "grant_type"));
		if (jx_str(body, "client_id")) {
			free(id);
			id = xstrdup(jx_str(body, "client_id"));
		}
		if (jx_str(body, "client_secret")) {
			free(secret);
			secret = xstrdup(jx_str(body, "client_secret"));
		}
	} else if (media_type_is(ctype, "application/x-www-form-urlencoded") ||
		   !req->body_len) {
		if (form_value(&b, req->body, req->body_len, "grant_type"))
			grant = xstrdup(b.ptr);
		if (form_value(&b, req->body, req->body_len, "client_id")) {
			free(id);
			id = xstrdup(b.ptr);
		}
		if (form_value(&b, req->body, req->body_len, "client_secret")) {
			free(secret);
			secret = xstrdup(b.ptr);
		}
	} else {
		oauth_error(c, "invalid_request",
			    "Send application/json or "
			    "application/x-www-form-urlencoded.");
		goto out;
	}

	if (!grant) {
		oauth_error(c, "invalid_request", "'grant_type' is required.");
		goto out;
	}
	if (strcmp(grant, "client_credentials")) {
		oauth_error(c, "unsupported_grant_type",
			    "This endpoint only supports the "
			    "'client_credentials' grant type.");
		goto out;
	}
	if (!id || !secret || strcmp(id, e->client_id) ||
	    strcmp(secret, e->client_secret)) {
		oauth_error(c, "invalid_client",
			    "The client credentials are invalid.");
		goto out;
	}

	exp_ms = c->now_ms + e->faults.token_ttl * 1000LL;
	snprintf(jti, sizeof(jti), "%016llx%016llx",
		 (unsigned long long)rng_next(&e->rng),
		 (unsigned long long)rng_next(&e->rng));
	payload = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:I}", "iss",
			    "optimizely-emulator", "sub", e->client_id, "scope",
			    "api:admin", "iat", (json_int_t)(c->now_ms / 1000),
			    "exp", (json_int_t)(exp_ms / 1000), "jti", jti,
			    "gen", (json_int_t)e->token_gen, "exp_ms",
			    (json_int_t)exp_ms);
	buf_reset(&b);
	b64_encode(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27, 1);
	buf_addch(&token, '.');
	jx_dump_compact(&b, payload);
	b64_encode(&token, b.ptr, b.len, 1);
	hmac_sha256(mac, e->token_key, token.ptr, token.len);
	b64_encode(&sig, mac, sizeof(mac), 1);
	buf_addch(&token, '.');
	buf_add(&token, sig.ptr, sig.len);

	reply = json_pack("{s:s, s:I, s:s}", "access_token", token.ptr,
			  "expires_in", (json_int_t)e->faults.token_ttl,
			  "token_type", "Bearer");
	reply_json(c, 200, reply);
	reply_header(c, "Cache-Control", "no-store");
	reply_header(c, "Pragma", "no-cache");
out:
	json_decref(body);
	json_decref(payload);
	buf_release(&b);
	buf_release(&token);
	buf_release(&sig);
	free(id);
	free(secret);
	free(grant);
}

static int unauthorized(struct call *c, const char *detail)
{
	reply_header(c, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	reply_problem(c, 401, "Unauthorized", NULL, "%s", detail);
	return -1;
}

int oauth_check(struct call *c)
{
	struct emu *e = c->emu;
	const char *auth = httpd_header(c->req, "Authorization");
	const char *tok, *dot1, *dot2;
	struct buf sig = BUF_INIT, raw = BUF_INIT;
	unsigned char mac[32];
	json_t *payload = NULL;
	const json_t *exp, *gen;
	int ret = -1;
	unsigned diff = 0;

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return unauthorized(c, "Authentication is required: send "
				       "'Authorization: Bearer TOKEN'.");
	tok = auth + 7;
	while (*tok == ' ')
		tok++;
	dot1 = strchr(tok, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2) {
		ret = unauthorized(c, "The access token is malformed.");
		goto out;
	}
	hmac_sha256(mac, e->token_key, tok, (size_t)(dot2 - tok));
	b64_encode(&sig, mac, sizeof(mac), 1);
	if (strlen(dot2 + 1) != sig.len) {
		ret = unauthorized(c, "The access token is not valid.");
		goto out;
	}
	for (size_t i = 0; i < sig.len; i++)
		diff |= (unsigned)(sig.ptr[i] ^ dot2[1 + i]);
	if (diff) {
		ret = unauthorized(c, "The access token is not valid.");
		goto out;
	}
	if (b64_decode(&raw, dot1 + 1, (size_t)(dot2 - dot1 - 1)) < 0 ||
	    jx_load(&payload, raw.ptr, raw.len, "the token") < 0) {
		err_clear();
		ret = unauthorized(c, "The access token is malformed.");
		goto out;
	}
	exp = json_object_get(payload, "exp_ms");
	gen = json_object_get(payload, "gen");
	if (!json_is_integer(gen) || json_integer_value(gen) < e->token_gen) {
		ret = unauthorized(c, "The access token has been revoked.");
		goto out;
	}
	if (!json_is_integer(exp) || json_integer_value(exp) <= c->now_ms) {
		ret = unauthorized(c, "The access token has expired.");
		goto out;
	}
	free(c->client);
	c->client = xstrdup(jx_str(payload, "sub") ? jx_str(payload, "sub")
						   : "api");
	ret = 0;
out:
	json_decref(payload);
	buf_release(&sig);
	buf_release(&raw);
	return ret;
}
