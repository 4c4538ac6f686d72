/*
 * optimizely-emulator: a local model of the Optimizely CMS content-type
 * REST API (v1 and preview3). See docs/emulator.md.
 *
 * main parses the command line, loads the state file, starts the server,
 * prints the one "listening" line and waits for SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "util/err.h"
#include "util/httpd.h"
#include "util/log.h"
#include "util/opt.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define EXIT_USAGE 64

static const char synopsis[] =
	"optimizely-emulator --port N --client-id ID --client-secret SECRET "
	"[options]";
static const char description[] =
	"Serve the Optimizely CMS content-type API (v1 and preview3) on "
	"loopback.";

static const char *port_s, *client_id, *client_secret, *listen_addr,
	*state_path, *seed_s, *latency_s, *jitter_s, *error_rate_s,
	*rate_limit_s, *token_ttl_s, *drop_rate_s, *truncate_rate_s, *stale_s,
	*max_body_s, *trace;
static int quiet;

static const struct opt_spec options[] = {
	OPT_STRING_("port", 0, &port_s, "N",
		    "TCP port; 0 picks a free one (required)"),
	OPT_STRING_("client-id", 0, &client_id, "ID",
		    "the only client allowed to get a token (required)"),
	OPT_STRING_("client-secret", 0, &client_secret, "SECRET",
		    "that client's secret (required)"),
	OPT_STRING_("listen", 0, &listen_addr, "ADDR",
		    "address to bind (default 127.0.0.1)"),
	OPT_STRING_("state", 0, &state_path, "FILE",
		    "keep state in FILE (JSON, written atomically)"),
	OPT_STRING_("seed", 0, &seed_s, "N",
		    "seed of the PRNG behind all randomness (default 1)"),
	OPT_STRING_("latency-ms", 0, &latency_s, "N",
		    "delay added to each API request (default 0)"),
	OPT_STRING_("jitter-ms", 0, &jitter_s, "N",
		    "extra random delay, 0..N ms (default 0)"),
	OPT_STRING_("error-rate", 0, &error_rate_s, "R",
		    "share of API requests answered 500/502/503 (0..1)"),
	OPT_STRING_("rate-limit", 0, &rate_limit_s, "N",
		    "API requests allowed per minute; 0 = no limit"),
	OPT_STRING_("token-ttl", 0, &token_ttl_s, "SECONDS",
		    "lifetime of an access token (default 300)"),
	OPT_STRING_("drop-rate", 0, &drop_rate_s, "R",
		    "share of responses dropped (connection closed)"),
	OPT_STRING_("truncate-rate", 0, &truncate_rate_s, "R",
		    "share of responses cut short"),
	OPT_STRING_("stale-read-ms", 0, &stale_s, "N",
		    "GET of a type lags N ms behind its writes"),
	OPT_STRING_("max-body", 0, &max_body_s, "BYTES",
		    "largest request body accepted (default 33554432)"),
	OPT_STRING_("trace", 0, &trace, "LIST",
		    "debug output for components (http, all)"),
	OPT_FLAG_("quiet", 0, &quiet, "log nothing but errors"),
	OPT_END_()};

static int parse_ull(const char *name, const char *s, unsigned long long max,
		     unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		goto bad;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out > max)
		goto bad;
	return 0;
bad:
	return err_set(ERR_USAGE,
		       "option '--%s' expects a number from 0 to "
		       "%llu, not '%s'",
		       name, max, s ? s : "");
}

static int parse_long(const char *name, const char *s, long max, long *out)
{
	unsigned long long v;

	if (!s)
		return 0;
	if (parse_ull(name, s, (unsigned long long)max, &v) < 0)
		return ERR_USAGE;
	*out = (long)v;
	return 0;
}

static int parse_rate(const char *name, const char *s, double *out)
{
	char *end;
	double v;

	if (!s)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !(v >= 0 && v <= 1))
		return err_set(ERR_USAGE,
			       "option '--%s' expects a number from 0 to 1, "
			       "not '%s'",
			       name, s);
	*out = v;
	return 0;
}

static int configure(struct emu *e, struct httpd_options *ho)
{
	struct emu_faults *f = &e->faults;
	unsigned long long n;
	long port = 0;

	if (!port_s || !client_id || !client_secret)
		return err_set(ERR_USAGE, "--port, --client-id and "
					  "--client-secret are required");
	if (!*client_id || !*client_secret)
		return err_set(ERR_USAGE,
			       "--client-id and --client-secret may not be "
			       "empty");
	if (parse_long("port", port_s, 65535, &port) < 0 ||
	    parse_long("latency-ms", latency_s, 600000, &f->latency_ms) < 0 ||
	    parse_long("jitter-ms", jitter_s, 600000, &f->jitter_ms) < 0 ||
	    parse_long("rate-limit", rate_limit_s, 1000000, &f->rate_limit) <
		    0 ||
	    parse_long("token-ttl", token_ttl_s, 86400L * 365, &f->token_ttl) <
		    0 ||
	    parse_long("stale-read-ms", stale_s, 3600000, &f->stale_read_ms) <
		    0 ||
	    parse_rate("error-rate", error_rate_s, &f->error_rate) < 0 ||
	    parse_rate("drop-rate", drop_rate_s, &f->drop_rate) < 0 ||
	    parse_rate("truncate-rate", truncate_rate_s, &f->truncate_rate) < 0)
		return ERR_USAGE;
	if (token_ttl_s && f->token_ttl < 1)
		return err_set(ERR_USAGE, "option '--token-ttl' must be at "
					  "least 1");
	if (seed_s) {
		if (parse_ull("seed", seed_s, ~0ULL, &n) < 0)
			return ERR_USAGE;
		e->seed = n;
	}
	if (max_body_s) {
		if (parse_ull("max-body", max_body_s, 1ULL << 32, &n) < 0)
			return ERR_USAGE;
		ho->max_body = (size_t)n;
	}
	ho->port = (int)port;
	if (listen_addr)
		ho->listen = listen_addr;
	e->client_id = xstrdup(client_id);
	e->client_secret = xstrdup(client_secret);
	e->state_path = state_path ? xstrdup(state_path) : NULL;
	e->faults_initial = e->faults;
	return 0;
}

int main(int argc, char **argv)
{
	const struct opt_spec *const tables[] = {options, NULL};
	struct httpd_options ho = HTTPD_OPTIONS_INIT;
	struct httpd *server = NULL;
	struct emu e;
	char **positionals;
	int nr = 0, help = 0, sig = 0, ret = 1;
	sigset_t set;

	emu_init(&e);
	e.seed = 1;
	positionals = xcalloc((size_t)argc + 1, sizeof(*positionals));
	if (opt_parse(tables, argc - 1, argv + 1, positionals, &nr, &help) < 0)
		goto usage;
	if (help) {
		opt_usage(stdout, synopsis, description, tables);
		ret = 0;
		goto out;
	}
	if (nr) {
		err_set(ERR_USAGE, "unexpected argument '%s'", positionals[0]);
		goto usage;
	}
	if (configure(&e, &ho) < 0)
		goto usage;
	log_set_level(quiet ? LOG_ERROR : LOG_WARN);
	if (trace && log_set_trace(trace) < 0)
		goto usage;
	log_add_secret(e.client_secret);

	oauth_setup(&e);
	emu_reset(&e);
	if (emu_load_state_file(&e) < 0) {
		fprintf(stderr, "optimizely-emulator: %s\n", err_msg());
		goto out;
	}

	/* The server's threads inherit this mask; main waits for signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (httpd_start(&server, &ho, emu_handle, &e) < 0) {
		fprintf(stderr, "optimizely-emulator: %s\n", err_msg());
		goto out;
	}
	if (strchr(ho.listen, ':'))
		printf("optimizely-emulator listening on http://[%s]:%d\n",
		       ho.listen, httpd_port(server));
	else
		printf("optimizely-emulator listening on http://%s:%d\n",
		       ho.listen, httpd_port(server));
	fflush(stdout);

	while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	log_info(NULL, "signal %d: stopping", sig);
	httpd_stop(server);
	server = NULL;
	ret = 0;
	goto out;
usage:
	fprintf(stderr, "optimizely-emulator: %s\n", err_msg());
	fprintf(stderr, "usage: %s\n", synopsis);
	ret = EXIT_USAGE;
out:
	httpd_stop(server);
	free(positionals);
	emu_release(&e);
	log_clear_secrets();
	log_set_trace("");
	return ret;
}
