/*
 * emulib: optimizely-emulator as a child process of a unit test.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulib.h"
#include "tap.h"
#include "target/http.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"


/* $CATALYST_SYNC_EMULATOR, else <build>/emulator/optimizely-emulator. */
static char *emu_path(void)
{
	const char *env = getenv("CATALYST_SYNC_EMULATOR");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;
	struct buf b = BUF_INIT;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return xstrdup("optimizely-emulator");
	self[n] = '\0';
	/* <build>/tests/t_NAME -> <build> */
	for (int i = 0; i < 2; i++)
		if ((slash = strrchr(self, '/')))
			*slash = '\0';
	buf_addf(&b, "%s/emulator/optimizely-emulator", self);
	return buf_detach(&b, NULL);
}

/* Starts the emulator with extra arguments; 0, or -1 with a diagnostic. */
int emu_start(struct emu *e, const char *const *extra)
{
	char *path = emu_path();
	const char *argv[32];
	int p[2], argc = 0;
	struct buf line = BUF_INIT;
	long long deadline = time_mono_ms() + 10000;
	struct http_options o;
	const char *hit;

	memset(e, 0, sizeof(*e));
	e->pid = -1;
	argv[argc++] = path;
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--client-id";
	argv[argc++] = "test-client";
	argv[argc++] = "--client-secret";
	argv[argc++] = "s3cr3t-value";
	argv[argc++] = "--quiet";
	for (; extra && *extra && argc < 30; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	if (pipe(p) < 0) {
		diag("pipe: %s", strerror(errno));
		free(path);
		return -1;
	}
	e->pid = fork();
	if (e->pid == 0) {
		/* never outlive a test that crashes */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(path, (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	e->out_fd = p[0];
	free(path);
	while (!strchr(line.ptr, '\n') && time_mono_ms() < deadline) {
		struct pollfd pfd = {e->out_fd, POLLIN, 0};
		char chunk[256];
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(e->out_fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		buf_add(&line, chunk, (size_t)n);
	}
	hit = strstr(line.ptr, "listening on ");
	if (!hit || !strchr(hit, '\n')) {
		diag("the emulator did not start: '%s'", line.ptr);
		buf_release(&line);
		emu_stop(e);
		return -1;
	}
	hit += strlen("listening on ");
	e->url = xstrndup(hit, strcspn(hit, "\r\n"));
	buf_release(&line);
	http_options_init(&o);
	o.retries = 0;
	o.concurrency = 1;
	if (http_new(&e->ctl, &o) < 0)
		return -1;
	return 0;
}

void emu_stop(struct emu *e)
{
	int status;

	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		waitpid(e->pid, &status, 0);
	}
	if (e->out_fd > 0)
		close(e->out_fd);
	http_free(e->ctl);
	free(e->url);
	memset(e, 0, sizeof(*e));
}

/*
 * A control call: method, path under the emulator, an optional JSON body.
 * Returns the status; *out (when not NULL) gets the parsed answer.
 */
long emu_ctl(struct emu *e, const char *method, const char *path,
		    const char *body, json_t **out)
{
	struct buf url = BUF_INIT;
	struct http_call *c;
	long status;

	buf_addf(&url, "%s%s", e->url, path);
	c = http_call_new(method, url.ptr);
	if (body)
		http_call_set_body(c, body, strlen(body), "application/json");
	if (http_perform(e->ctl, c) < 0)
		diag("control call %s %s failed: %s", method, path, err_msg());
	status = c->status;
	if (out) {
		*out = NULL;
		if (c->response.len &&
		    jx_load(out, c->response.ptr, c->response.len,
			    "control answer") < 0)
			diag("bad control answer: %s", err_msg());
	}
	http_call_free(c);
	buf_release(&url);
	return status;
}

/* The journal entries since the last clear (a new array). */
json_t *emu_journal(struct emu *e)
{
	json_t *j = NULL, *entries;

	emu_ctl(e, "GET", "/_emulator/journal", NULL, &j);
	entries = json_incref(json_object_get(j, "entries"));
	json_decref(j);
	return entries ? entries : json_array();
}

void emu_faults(struct emu *e, const char *json)
{
	if (emu_ctl(e, "PUT", "/_emulator/faults", json, NULL) != 200)
		diag("cannot set faults %s", json);
}

void emu_rule(struct emu *e, const char *json)
{
	if (emu_ctl(e, "POST", "/_emulator/faults/script", json, NULL) != 201)
		diag("cannot add rule %s", json);
}

void emu_reset(struct emu *e)
{
	emu_ctl(e, "POST", "/_emulator/reset", NULL, NULL);
}
