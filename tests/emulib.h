/*
 * emulib: optimizely-emulator as a child process of a unit test, for tests
 * that talk to it over real HTTP and read its control API (/_emulator/).
 */
#ifndef TESTS_EMULIB_H
#define TESTS_EMULIB_H

#include <jansson.h>
#include <sys/types.h>

struct http;

struct emu {
	pid_t pid;
	int out_fd;
	char *url; /* http://127.0.0.1:PORT */
	struct http *ctl;
};

/*
 * Starts the emulator on a free port with client "test-client" /
 * "s3cr3t-value" and the extra arguments (NULL-terminated, may be NULL).
 * Returns 0, or -1 with a TAP diagnostic.
 */
int emu_start(struct emu *e, const char *const *extra);
/* Stops it (SIGTERM, waited for) and frees e's contents. */
void emu_stop(struct emu *e);
/*
 * A control call: method, path under the emulator, an optional JSON body.
 * Returns the status; *out (when not NULL) gets the parsed answer.
 */
long emu_ctl(struct emu *e, const char *method, const char *path,
	     const char *body, json_t **out);
/* The journal entries since the last clear (a new array). */
json_t *emu_journal(struct emu *e);
/* PUT /_emulator/faults with json. */
void emu_faults(struct emu *e, const char *json);
/* Adds a scripted fault rule. */
void emu_rule(struct emu *e, const char *json);
/* POST /_emulator/reset. */
void emu_reset(struct emu *e);

#endif
