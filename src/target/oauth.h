/*
 * oauth: OAuth 2.0 client credentials for the HTTP engine (brief §14).
 *
 * An oauth object is the auth provider of one struct http (http.h): every
 * call submitted with HTTP_AUTH gets "Authorization: Bearer TOKEN".
 *
 *  - The token comes from POST TOKEN_URL with a JSON body
 *    {"grant_type":"client_credentials","client_id":..,"client_secret":..}
 *    and is cached.
 *  - It is refreshed shortly before it expires: at expires_in minus a
 *    margin of min(30 s, expires_in / 10), counted from when the token
 *    request was sent. A refresh in the margin runs in the background;
 *    requests go on with the current token meanwhile. Once the token has
 *    expired, requests wait for the new one without holding a slot.
 *  - One fetch at a time: however many requests need a token, or saw a 401
 *    with the same token, one token request serves them all, and each of
 *    those requests is retried once.
 *  - expires_in missing or <= 0 counts as 300 s.
 *  - A 400/401/403 from the token endpoint (invalid_client and the like)
 *    is final for the life of the object: every later request fails at
 *    once with ERR_AUTH instead of asking again. Other failures (the
 *    endpoint down after the engine's retries) fail the requests that were
 *    waiting; the next request asks again.
 *  - The client secret is registered with log_add_secret; neither it nor
 *    a token ever appears in a log line or an error message.
 */
#ifndef TARGET_OAUTH_H
#define TARGET_OAUTH_H

struct http;
struct oauth;

/*
 * A new provider for h (installed with http_set_auth; free with oauth_free
 * before h). The strings are copied. Returns 0, or ERR_INVALID when the
 * client id or secret is missing.
 */
int oauth_new(struct oauth **out, struct http *h, const char *token_url,
	      const char *client_id, const char *client_secret)
	__attribute__((warn_unused_result));
/* Uninstalls and frees the provider; accepts NULL. */
void oauth_free(struct oauth *o);

/*
 * Makes sure a valid token is cached, fetching one now if needed
 * (blocking: runs h until everything queued is done; never call it from a
 * done callback). Returns 0, ERR_AUTH for refused credentials, or the
 * engine's error (ERR_REMOTE, ERR_TIMEOUT, ERR_RATELIMIT).
 */
int oauth_login(struct oauth *o) __attribute__((warn_unused_result));

/* Forgets the cached token (and a final failure); the next request asks. */
void oauth_invalidate(struct oauth *o);

/* How many token requests were sent so far. */
unsigned long oauth_fetches(const struct oauth *o);

/* The refresh margin for a token lifetime: min(30 s, lifetime / 10). */
long long oauth_refresh_margin_ms(long long lifetime_ms);

#endif
