/*
 * catalyst-sync demo: a whole sync against a local emulator, with nothing
 * to configure and no input (brief §16).
 *
 * The demo is a driver, not a second implementation: it starts
 * optimizely-emulator, builds a Catalyst database from the sample model
 * embedded at build time (examples/sample-model.sql), writes a config, and
 * runs this very binary (/proc/self/exe) as child processes for init, plan
 * and apply, so the user sees the real commands and their real output.
 * Then it edits a type in the Catalyst database as Catalyst Studio would
 * and runs plan and apply again. The emulator is always stopped (it also
 * gets SIGTERM if the demo dies, through PR_SET_PDEATHSIG).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/syncenv.h"
#include "source/capture.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "demo_sample_model.h"
#include "util/banned.h"

#define DEMO_DEFAULT_WORKSPACE "catalyst-sync-demo"
#define DEMO_MARKER ".catalyst-sync-demo"
#define DEMO_CONFIG "catalyst-sync.yaml"
#define DEMO_DATABASE "catalyst.db"
#define DEMO_STORE "catalyst-sync.db"
#define DEMO_EMU_STATE "emulator.json"
#define DEMO_EMU_LOG "emulator.log"
#define DEMO_CLIENT_ID "catalyst-sync-demo"
#define DEMO_LISTEN_PREFIX "optimizely-emulator listening on "
#define DEMO_START_TIMEOUT_MS 10000
#define DEMO_STOP_TIMEOUT_MS 10000

/* The type the demo edits, and how. */
#define DEMO_EDIT_TYPE "Author"
#define DEMO_EDIT_MAXLEN_FIELD "fullName"
#define DEMO_EDIT_MAXLEN 120
#define DEMO_EDIT_LABEL_FIELD "bio"
#define DEMO_EDIT_LABEL "About the Author"
#define DEMO_NEW_FIELD "socialHandle"
#define DEMO_NEW_LABEL "Social Handle"
#define DEMO_NEW_MAXLEN 30

static const char demo_synopsis[] =
	"catalyst-sync demo [--workspace DIR] [--keep]";
static const char demo_description[] =
	"Runs a whole sync with nothing to configure and no input. It starts\n"
	"the Optimizely emulator (optimizely-emulator, found beside\n"
	"catalyst-sync or named by CATALYST_SYNC_EMULATOR) on a free loopback\n"
	"port, builds a Catalyst database from the project's sample model in\n"
	"the workspace folder, writes a configuration for it and runs init,\n"
	"plan and apply. Then it edits a content type in the Catalyst\n"
	"database, as Catalyst Studio does, and runs plan and apply again,\n"
	"which push just that change. Each command is shown with its real\n"
	"output. A non-empty folder is refused unless an earlier demo made\n"
	"it; then the demo starts over in it. The emulator is stopped at the\n"
	"end; with --keep it runs until Ctrl-C, so that the suggested\n"
	"commands can be tried. The global --config, --database and --website\n"
	"are not used. Exit codes: 0, 1, or the exit code of the step that\n"
	"failed (130 when interrupted).";

struct demo {
	char *ws;	      /* the workspace, as given */
	struct buf ws_shown;  /* the same, quoted for a shell */
	struct buf exe;	      /* this binary */
	struct buf exe_shown; /* how to type it */
	struct buf emu;	      /* the emulator */
	struct buf emu_shown;
	struct buf config; /* WS/catalyst-sync.yaml */
	struct buf config_shown;
	char secret[33];
	char *edited_id; /* the Catalyst id of the edited type */
	int started;	 /* the emulator was started */
	pid_t emu_pid;
	int emu_out; /* the read end of the emulator's stdout */
	char *url;
	long port;
	volatile sig_atomic_t *stop;
};

/* ---- small helpers ------------------------------------------------------- */

/* Appends s quoted for a POSIX shell, bare when that is safe. */
static void add_quoted(struct buf *out, const char *s)
{
	if (*s &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_./:=@%+,-") == strlen(s)) {
		buf_adds(out, s);
		return;
	}
	buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addch(out, *s);
	}
	buf_addch(out, '\'');
}

static void path_join(struct buf *out, const char *dir, const char *name)
{
	buf_reset(out);
	buf_adds(out, dir);
	if (out->len && out->ptr[out->len - 1] != '/')
		buf_addch(out, '/');
	buf_adds(out, name);
}

/* Sets out to WS/name. */
static void ws_path(struct buf *out, const struct demo *d, const char *name)
{
	path_join(out, d->ws, name);
}

/*
 * How to type the program at path: its bare name when PATH finds this very
 * file under that name, a path relative to the current folder when it is
 * below it, else the absolute path.
 */
static void shown_program(struct buf *out, const char *path, const char *name)
{
	const char *env = getenv("PATH");
	struct buf dir = BUF_INIT, cand = BUF_INIT, cwd = BUF_INIT;
	struct stat want, got;
	char here[PATH_MAX];

	buf_reset(out);
	if (env && !stat(path, &want)) {
		const char *p = env;

		while (*p) {
			size_t n = strcspn(p, ":");

			buf_reset(&dir);
			buf_add(&dir, p, n);
			path_join(&cand, n ? dir.ptr : ".", name);
			if (!stat(cand.ptr, &got) &&
			    got.st_dev == want.st_dev &&
			    got.st_ino == want.st_ino) {
				buf_adds(out, name);
				goto out;
			}
			/* Only the first match is what a shell would run. */
			if (!access(cand.ptr, X_OK))
				break;
			p += n + (p[n] == ':');
		}
	}
	if (getcwd(here, sizeof(here))) {
		buf_adds(&cwd, here);
		if (strcmp(here, "/"))
			buf_addch(&cwd, '/');
		if (!strncmp(path, cwd.ptr, cwd.len) && path[cwd.len]) {
			add_quoted(out, path + cwd.len);
			goto out;
		}
	}
	add_quoted(out, path);
out:
	buf_release(&dir);
	buf_release(&cand);
	buf_release(&cwd);
}

static int random_bytes(unsigned char *p, size_t n)
{
	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return err_set(ERR_GENERIC,
				       "cannot get random bytes: %s",
				       strerror(errno));
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* The exit code of a wait status: 128 + the signal for a killed child. */
static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_ERROR;
}

/* ---- finding the programs ------------------------------------------------ */

static int find_programs(struct demo *d)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("CATALYST_SYNC_EMULATOR");
	struct buf dir = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	int ret = 0;

	if (n <= 0 || (size_t)n >= sizeof(self) - 1)
		return err_set(ERR_GENERIC,
			       "cannot find the catalyst-sync binary "
			       "(/proc/self/exe): %s",
			       n < 0 ? strerror(errno) : "path too long");
	self[n] = '\0';
	buf_adds(&d->exe, self);
	buf_add(&dir, self, (size_t)(strrchr(self, '/') - self));
	buf_reset(&d->emu);
	if (env && *env) {
		if (access(env, X_OK))
			ret = err_set(ERR_NOTFOUND,
				      "CATALYST_SYNC_EMULATOR is '%s', which "
				      "is not a program that can be run",
				      env);
		else
			buf_adds(&d->emu, env);
		goto out;
	}
	/* The build tree first, then an installation side by side. */
	path_join(&a, dir.ptr, "emulator/optimizely-emulator");
	path_join(&b, dir.ptr, "optimizely-emulator");
	if (!access(a.ptr, X_OK))
		buf_adds(&d->emu, a.ptr);
	else if (!access(b.ptr, X_OK))
		buf_adds(&d->emu, b.ptr);
	else
		ret = err_set(ERR_NOTFOUND,
			      "cannot find optimizely-emulator: it is neither "
			      "'%s' nor '%s'; build it (ninja -C build) or "
			      "name it with CATALYST_SYNC_EMULATOR",
			      a.ptr, b.ptr);
out:
	if (!ret) {
		shown_program(&d->exe_shown, d->exe.ptr, "catalyst-sync");
		shown_program(&d->emu_shown, d->emu.ptr, "optimizely-emulator");
	}
	buf_release(&dir);
	buf_release(&a);
	buf_release(&b);
	return ret;
}

/* ---- the workspace ------------------------------------------------------- */

static int remove_errno;
static char remove_failed[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	if (ftw->level == 0)
		return 0;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == 0)
		return 0;
	remove_errno = errno;
	snprintf(remove_failed, sizeof(remove_failed), "%s", path);
	return 1;
}

/* Whether dir has entries; -1 with errno when it cannot be read. */
static int dir_has_entries(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!dh)
		return -1;
	while ((e = readdir(dh)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			found = 1;
			break;
		}
	closedir(dh);
	return found;
}

/*
 * Makes the workspace ready: created when missing, used when empty,
 * emptied when an earlier demo made it (it holds DEMO_MARKER), refused
 * otherwise. Writes the marker.
 */
static int prepare_workspace(struct demo *d)
{
	struct buf p = BUF_INIT;
	struct stat st;
	int ret = 0, has, fd;

	if (mkdir(d->ws, 0755) == 0) {
		/* new */
	} else if (errno != EEXIST) {
		ret = err_set(ERR_GENERIC,
			      "cannot create the workspace '%s': %s", d->ws,
			      strerror(errno));
		goto out;
	} else if (stat(d->ws, &st) || !S_ISDIR(st.st_mode)) {
		ret = err_set(ERR_INVALID,
			      "the workspace '%s' is not a folder; choose "
			      "another with --workspace DIR",
			      d->ws);
		goto out;
	} else if ((has = dir_has_entries(d->ws)) < 0) {
		ret = err_set(ERR_GENERIC, "cannot read the workspace '%s': %s",
			      d->ws, strerror(errno));
		goto out;
	} else if (has) {
		ws_path(&p, d, DEMO_MARKER);
		if (lstat(p.ptr, &st) || !S_ISREG(st.st_mode)) {
			ret = err_set(ERR_INVALID,
				      "'%s' is not empty and is not a demo "
				      "workspace (it has no %s); choose "
				      "another folder with --workspace DIR",
				      d->ws, DEMO_MARKER);
			goto out;
		}
		/* An earlier demo's: start over. The trailing slash makes a
		 * symbolic link to the folder count as the folder. */
		path_join(&p, d->ws, "");
		remove_errno = 0;
		if (nftw(p.ptr, remove_entry, 16,
			 FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
			ret = err_set(
				ERR_GENERIC,
				"cannot empty the earlier demo workspace "
				"'%s': '%s': %s",
				d->ws, remove_errno ? remove_failed : d->ws,
				strerror(remove_errno ? remove_errno : errno));
			goto out;
		}
		printf("Starting over in the earlier demo workspace %s.\n",
		       d->ws_shown.ptr);
	}
	ws_path(&p, d, DEMO_MARKER);
	fd = open(p.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dprintf(fd, "This folder is a catalyst-sync demo "
				  "workspace: 'catalyst-sync demo' empties it "
				  "when run on it again.\n") < 0) {
		ret = err_set(ERR_GENERIC, "cannot write '%s': %s", p.ptr,
			      strerror(errno));
	}
	if (fd >= 0)
		close(fd);
out:
	buf_release(&p);
	return ret;
}

/* ---- the emulator -------------------------------------------------------- */

/* The first line of the emulator's log, for messages (may be empty). */
static void emulator_log_line(struct demo *d, struct buf *out)
{
	struct buf p = BUF_INIT;
	char line[512];
	FILE *f;

	ws_path(&p, d, DEMO_EMU_LOG);
	f = fopen(p.ptr, "r");
	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		buf_addf(out, ": %s", line);
	}
	if (f)
		fclose(f);
	buf_release(&p);
}

/* SIGTERM, then wait (SIGKILL after a while). Returns its exit code. */
static int stop_emulator(struct demo *d)
{
	long long deadline = time_mono_ms() + DEMO_STOP_TIMEOUT_MS;
	int status = 0, code = 0, killed = 0;
	pid_t got;

	if (d->emu_pid <= 0)
		goto out;
	kill(d->emu_pid, SIGTERM);
	for (;;) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		got = waitpid(d->emu_pid, &status, WNOHANG);
		if (got == d->emu_pid || (got < 0 && errno != EINTR))
			break;
		if (!killed && time_mono_ms() > deadline) {
			kill(d->emu_pid, SIGKILL);
			killed = 1;
		}
		nanosleep(&ts, NULL);
	}
	code = got == d->emu_pid ? status_code(status) : 0;
	d->emu_pid = 0;
out:
	if (d->emu_out >= 0)
		close(d->emu_out);
	d->emu_out = -1;
	return code;
}

/* Nonzero when the emulator has exited on its own (it is reaped). */
static int emulator_gone(struct demo *d, int *code_out)
{
	int status;

	if (d->emu_pid <= 0)
		return 0;
	if (waitpid(d->emu_pid, &status, WNOHANG) != d->emu_pid)
		return 0;
	*code_out = status_code(status);
	d->emu_pid = 0;
	return 1;
}

/* In the forked child: becomes the emulator; never returns. */
static void emulator_child(struct demo *d, const char *state, int out_fd,
			   int log_fd, pid_t parent)
{
	const char *argv[] = {
		d->emu.ptr,    "--port",       "0",
		"--client-id", DEMO_CLIENT_ID, "--client-secret",
		d->secret,     "--state",      state,
		NULL,
	};
	int null_fd = open("/dev/null", O_RDONLY);

	/* Its own process group: Ctrl-C is the demo's to handle. And a
	 * demo that dies takes its emulator along. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	if (null_fd >= 0)
		dup2(null_fd, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(log_fd, STDERR_FILENO);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execv(argv[0], (char **)argv);
	dprintf(STDERR_FILENO, "cannot run '%s': %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* Reads the emulator's first line: "... listening on URL". */
static int await_listening(struct demo *d)
{
	long long deadline = time_mono_ms() + DEMO_START_TIMEOUT_MS;
	struct buf line = BUF_INIT, why = BUF_INIT;
	const char *url, *colon;
	char *end;
	int ret = 0, code = 0;

	while (!memchr(line.ptr, '\n', line.len)) {
		struct pollfd pfd = {d->emu_out, POLLIN, 0};
		long long left = deadline - time_mono_ms();
		char chunk[256];
		ssize_t n;
		int rc;

		if (emulator_gone(d, &code))
			break;
		if (*d->stop) {
			ret = err_set(ERR_GENERIC, "interrupted while the "
						   "emulator was starting");
			goto out;
		}
		if (left <= 0) {
			emulator_log_line(d, &why);
			ret = err_set(ERR_TIMEOUT,
				      "cannot start the emulator: '%s' did not "
				      "say it was listening within %d s (see "
				      "%s/%s)%s",
				      d->emu.ptr, DEMO_START_TIMEOUT_MS / 1000,
				      d->ws, DEMO_EMU_LOG, why.ptr);
			goto out;
		}
		rc = poll(&pfd, 1, (int)(left > 200 ? 200 : left));
		if (rc < 0 && errno != EINTR) {
			ret = err_set(ERR_GENERIC,
				      "cannot start the emulator: "
				      "poll: %s",
				      strerror(errno));
			goto out;
		}
		if (rc <= 0)
			continue;
		n = read(d->emu_out, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* It closed its stdout: it exited, or soon will. */
			code = stop_emulator(d);
			break;
		}
		if (buf_add_capped(&line, chunk, (size_t)n, 4096) < 0) {
			ret = err_set(ERR_REMOTE, "cannot start the emulator: "
						  "its first line is too long");
			goto out;
		}
	}
	if (d->emu_pid <= 0) {
		emulator_log_line(d, &why);
		ret = err_set(ERR_GENERIC,
			      "cannot start the emulator: '%s' exited with "
			      "code %d before it listened (see %s/%s)%s",
			      d->emu.ptr, code, d->ws, DEMO_EMU_LOG, why.ptr);
		goto out;
	}
	line.ptr[strcspn(line.ptr, "\r\n")] = '\0';
	url = line.ptr + strlen(DEMO_LISTEN_PREFIX);
	colon = strrchr(line.ptr, ':');
	if (strncmp(line.ptr, DEMO_LISTEN_PREFIX, strlen(DEMO_LISTEN_PREFIX)) ||
	    strncmp(url, "http://", 7) || !colon || colon < url + 7) {
		ret = err_set(ERR_REMOTE,
			      "cannot start the emulator: it said '%s', not "
			      "'" DEMO_LISTEN_PREFIX "URL'",
			      line.ptr);
		goto out;
	}
	errno = 0;
	d->port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || d->port <= 0 ||
	    d->port > 65535) {
		ret = err_set(ERR_REMOTE,
			      "cannot start the emulator: no port "
			      "in '%s'",
			      line.ptr);
		goto out;
	}
	d->url = xstrdup(url);
out:
	buf_release(&line);
	buf_release(&why);
	return ret;
}

static int start_emulator(struct demo *d)
{
	struct buf state = BUF_INIT, log = BUF_INIT;
	int fds[2] = {-1, -1}, log_fd = -1, ret = 0;
	unsigned char raw[16];
	pid_t parent = getpid(), pid;

	if ((ret = random_bytes(raw, sizeof(raw))) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(d->secret + 2 * i, 3, "%02x", raw[i]);
	ws_path(&state, d, DEMO_EMU_STATE);
	ws_path(&log, d, DEMO_EMU_LOG);
	log_fd = open(log.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0) {
		ret = err_set(ERR_GENERIC, "cannot create '%s': %s", log.ptr,
			      strerror(errno));
		goto out;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ret = err_set(ERR_GENERIC,
			      "cannot start the emulator: pipe: %s",
			      strerror(errno));
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = err_set(ERR_GENERIC,
			      "cannot start the emulator: fork: %s",
			      strerror(errno));
		goto out;
	}
	if (pid == 0)
		emulator_child(d, state.ptr, fds[1], log_fd, parent);
	d->emu_pid = pid;
	d->emu_out = fds[0];
	fds[0] = -1;
	/* Only the emulator writes to the pipe: its exit is our EOF. */
	close(fds[1]);
	fds[1] = -1;
	ret = await_listening(d);
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (log_fd >= 0)
		close(log_fd);
	buf_release(&state);
	buf_release(&log);
	return ret;
}

/* ---- Catalyst's database ------------------------------------------------- */

static int db_fail(sqlite3 *db, const char *path, const char *what)
{
	return err_set(ERR_GENERIC, "cannot %s '%s': %s", what, path,
		       db ? sqlite3_errmsg(db) : "out of memory");
}

/* Builds WS/catalyst.db from the embedded sample model. */
static int build_database(struct demo *d)
{
	struct buf path = BUF_INIT;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *msg = NULL;
	int ret = 0, rc;

	/* The model is one C string: a NUL inside would cut it short. */
	assert(strlen((const char *)demo_sample_model) ==
	       DEMO_SAMPLE_MODEL_LEN);
	ws_path(&path, d, DEMO_DATABASE);
	rc = sqlite3_open_v2(path.ptr, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		ret = db_fail(db, path.ptr, "create");
		goto out;
	}
	rc = sqlite3_exec(db, (const char *)demo_sample_model, NULL, NULL,
			  &msg);
	if (rc != SQLITE_OK) {
		ret = err_set(ERR_GENERIC,
			      "cannot build '%s' from the sample model: %s",
			      path.ptr, msg ? msg : sqlite3_errstr(rc));
		goto out;
	}
	printf("Made a Catalyst database from the sample model: %s/%s\n",
	       d->ws_shown.ptr, DEMO_DATABASE);
	rc = sqlite3_prepare_v2(db,
				"SELECT w.\"name\", group_concat(t.\"name\", "
				"', ') FROM \"Website\" w JOIN (SELECT * FROM "
				"\"ContentType\" ORDER BY \"name\") t ON "
				"t.\"websiteId\" = w.\"id\" GROUP BY w.\"id\" "
				"ORDER BY w.\"name\"",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = db_fail(db, path.ptr, "read");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		printf("  website '%s': %s\n", sqlite3_column_text(st, 0),
		       sqlite3_column_text(st, 1));
	if (rc != SQLITE_DONE)
		ret = db_fail(db, path.ptr, "read");
out:
	sqlite3_finalize(st);
	sqlite3_free(msg);
	sqlite3_close(db);
	buf_release(&path);
	return ret;
}

/*
 * The new updatedAt of a row, in the row's own format: Prisma writes
 * INTEGER milliseconds (so does the sample); older rows may hold digits
 * as TEXT, ISO 8601 ("2025-08-15T01:23:45.160Z") or SQL text
 * ("2025-08-15 01:23:45"). Never earlier than the old value.
 */
static void bind_updated_at(sqlite3_stmt *up, int i, sqlite3_stmt *row, int col)
{
	long long now = time_now_ms();
	int type = sqlite3_column_type(row, col);
	const char *old = (const char *)sqlite3_column_text(row, col);
	struct buf text = BUF_INIT;

	if (type != SQLITE_TEXT) {
		long long was = sqlite3_column_int64(row, col);

		sqlite3_bind_int64(up, i, now > was ? now : was + 1);
		return;
	}
	if (old && *old && strspn(old, "0123456789") == strlen(old)) {
		buf_addf(&text, "%lld", now);
	} else if (old && strchr(old, 'T')) {
		time_format_iso(&text, now);
	} else {
		struct tm tm;
		time_t secs = (time_t)(now / 1000);
		char out[32];

		gmtime_r(&secs, &tm);
		strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S", &tm);
		buf_adds(&text, out);
	}
	sqlite3_bind_text(up, i, text.ptr, (int)text.len, SQLITE_TRANSIENT);
	buf_release(&text);
}

static json_t *find_field(json_t *fields, const char *name)
{
	json_t *f;
	size_t i;

	json_array_foreach(fields, i, f)
	{
		if (jx_str(f, "name") && !strcmp(jx_str(f, "name"), name))
			return f;
	}
	return NULL;
}

/*
 * The Catalyst builder's edit of DEMO_EDIT_TYPE: a longer maximum for one
 * field, a new label for another, and a new field, with an id as Catalyst
 * makes them (Date.now() and nine base-36 characters). Prints what it did.
 */
static int edit_fields(json_t *doc, const char *type)
{
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	json_t *fields = json_object_get(doc, "fields");
	json_t *grow, *relabel, *validation, *added;
	unsigned char raw[9];
	char suffix[10];
	struct buf id = BUF_INIT;
	long long old_max;
	char *old_label;
	int ret;

	grow = find_field(fields, DEMO_EDIT_MAXLEN_FIELD);
	relabel = find_field(fields, DEMO_EDIT_LABEL_FIELD);
	if (!json_is_array(fields) || !grow || !relabel)
		return err_set(ERR_INVALID,
			       "the sample model's '%s' type has no fields "
			       "'%s' and '%s' to edit",
			       type, DEMO_EDIT_MAXLEN_FIELD,
			       DEMO_EDIT_LABEL_FIELD);
	if ((ret = random_bytes(raw, sizeof(raw))) < 0)
		return ret;
	for (size_t i = 0; i < sizeof(raw); i++)
		suffix[i] = b36[raw[i] % 36];
	suffix[9] = '\0';

	validation = json_object_get(grow, "validation");
	if (!json_is_object(validation)) {
		validation = json_object();
		json_object_set_new(grow, "validation", validation);
	}
	old_max = json_integer_value(json_object_get(validation, "maxLength"));
	json_object_set_new(validation, "maxLength",
			    json_integer(DEMO_EDIT_MAXLEN));
	old_label = xstrdup(jx_str(relabel, "label") ? jx_str(relabel, "label")
						     : "");
	json_object_set_new(relabel, "label", json_string(DEMO_EDIT_LABEL));

	buf_addf(&id, "%lld_%s", time_now_ms(), suffix);
	added = json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:i}, s:s, s:I}", "id",
			  id.ptr, "name", DEMO_NEW_FIELD, "label",
			  DEMO_NEW_LABEL, "type", "text", "required", 0,
			  "validation", "maxLength", DEMO_NEW_MAXLEN,
			  "placeholder", "Enter text...", "order",
			  (json_int_t)json_array_size(fields));
	json_array_append_new(fields, added);

	printf("  %s.%s: maximum length %lld -> %d\n", type,
	       DEMO_EDIT_MAXLEN_FIELD, old_max, DEMO_EDIT_MAXLEN);
	printf("  %s.%s: label '%s' -> '%s'\n", type, DEMO_EDIT_LABEL_FIELD,
	       old_label, DEMO_EDIT_LABEL);
	printf("  %s.%s: a new text field '%s' (at most %d characters)\n", type,
	       DEMO_NEW_FIELD, DEMO_NEW_LABEL, DEMO_NEW_MAXLEN);
	free(old_label);
	buf_release(&id);
	return 0;
}

/* Edits one type straight in Catalyst's database, as Catalyst does. */
static int edit_catalyst(struct demo *d)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	sqlite3 *db = NULL;
	sqlite3_stmt *row = NULL, *up = NULL;
	json_t *doc = NULL;
	int ret = 0, rc;

	ws_path(&path, d, DEMO_DATABASE);
	printf("\nMeanwhile someone edits the '%s' type in Catalyst Studio. "
	       "The demo writes\nthe edit into Catalyst's database as the app "
	       "does (one UPDATE of the row's\nfields and updatedAt):\n",
	       DEMO_EDIT_TYPE);
	rc = sqlite3_open_v2(path.ptr, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"SELECT \"id\", \"fields\", "
					"\"updatedAt\" FROM \"ContentType\" "
					"WHERE \"name\" = ?1",
					-1, &row, NULL);
	if (rc != SQLITE_OK) {
		ret = db_fail(db, path.ptr, "edit");
		goto out;
	}
	sqlite3_bind_text(row, 1, DEMO_EDIT_TYPE, -1, SQLITE_STATIC);
	rc = sqlite3_step(row);
	if (rc != SQLITE_ROW) {
		ret = rc == SQLITE_DONE
			      ? err_set(ERR_NOTFOUND,
					"no content type '%s' in '%s' to edit",
					DEMO_EDIT_TYPE, path.ptr)
			      : db_fail(db, path.ptr, "read");
		goto out;
	}
	d->edited_id = xstrdup((const char *)sqlite3_column_text(row, 0));
	if ((ret = jx_load(&doc, (const char *)sqlite3_column_text(row, 1),
			   (size_t)sqlite3_column_bytes(row, 1),
			   "the fields of " DEMO_EDIT_TYPE)) < 0 ||
	    (ret = edit_fields(doc, DEMO_EDIT_TYPE)) < 0 ||
	    (ret = capture_stringify(&text, doc)) < 0)
		goto out;
	rc = sqlite3_prepare_v2(db,
				"UPDATE \"ContentType\" SET \"fields\" = ?1, "
				"\"updatedAt\" = ?2 WHERE \"id\" = ?3",
				-1, &up, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(up, 1, text.ptr, (int)text.len,
				  SQLITE_STATIC);
		bind_updated_at(up, 2, row, 2);
		sqlite3_bind_value(up, 3, sqlite3_column_value(row, 0));
		rc = sqlite3_step(up);
	}
	if (rc == SQLITE_DONE)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		ret = db_fail(db, path.ptr, "edit");
out:
	sqlite3_finalize(row);
	sqlite3_finalize(up);
	if (ret < 0 && db)
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	json_decref(doc);
	buf_release(&path);
	buf_release(&text);
	return ret;
}

/* ---- the configuration --------------------------------------------------- */

static int write_config(struct demo *d)
{
	struct buf text = BUF_INIT;
	FILE *f = NULL;
	int fd, ret = 0;

	buf_addf(&text,
		 "# Written by 'catalyst-sync demo'. Paths are relative to "
		 "this file.\n"
		 "source:\n"
		 "  database: %s\n"
		 "sync:\n"
		 "  platforms:\n"
		 "    optimizely:\n"
		 "      url: %s\n"
		 "      auth:\n"
		 "        client_id: %s\n"
		 "        client_secret: %s\n"
		 "  state:\n"
		 "    storage: %s\n",
		 DEMO_DATABASE, d->url, DEMO_CLIENT_ID, d->secret, DEMO_STORE);
	fd = open(d->config.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && fchmod(fd, 0600) == 0)
		f = fdopen(fd, "w");
	if (!f || fwrite(text.ptr, 1, text.len, f) != text.len || fflush(f))
		ret = err_set(ERR_GENERIC, "cannot write '%s': %s",
			      d->config.ptr, strerror(errno));
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	if (!ret)
		printf("Wrote the configuration %s (mode 600):\n"
		       "  %-27s %s\n"
		       "  %-27s %s, client '%s' with a generated secret\n"
		       "  %-27s %s\n",
		       d->config_shown.ptr, "source.database", DEMO_DATABASE,
		       "sync.platforms.optimizely", d->url, DEMO_CLIENT_ID,
		       "sync.state.storage", DEMO_STORE);
	buf_release(&text);
	return ret;
}

/* ---- the steps ----------------------------------------------------------- */

/*
 * Waits for the child pid, polling so that no signal slips between a
 * check and a blocking wait. With forward a stop request is passed on to
 * pid as SIGTERM (once) and the wait goes on; without, a stop request
 * ends the wait and 1 is returned. Returns 0 with *status_out when pid
 * has exited, or -1.
 */
static int wait_pid(struct demo *d, pid_t pid, int forward, int *status_out)
{
	int forwarded = 0;

	for (;;) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		pid_t got = waitpid(pid, status_out, WNOHANG);

		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return err_set(ERR_GENERIC,
				       "cannot wait for process %ld: %s",
				       (long)pid, strerror(errno));
		if (*d->stop && !forward)
			return 1;
		if (*d->stop && !forwarded) {
			kill(pid, SIGTERM);
			forwarded = 1;
		}
		nanosleep(&ts, NULL);
	}
}

/* A Ctrl-C (or SIGTERM) between steps stops the demo as interrupted. */
static int check_stop(struct demo *d)
{
	if (!*d->stop)
		return 0;
	fflush(stdout);
	fprintf(stderr, "catalyst-sync: demo interrupted\n");
	return EXIT_INTERRUPTED;
}

/*
 * Runs "catalyst-sync --config CONFIG VERB [ARG]" as a child, headed by
 * its command line. Returns 0, the child's nonzero exit code (with a
 * message naming the step), or -1.
 */
static int run_step(struct demo *d, const char *verb, const char *arg)
{
	const char *argv[] = {
		d->exe.ptr, "--config", d->config.ptr, verb, arg, NULL,
	};
	int status, code, gone, ret;
	pid_t pid;

	if ((code = check_stop(d)))
		return code;
	printf("\n$ %s --config %s %s%s%s\n", d->exe_shown.ptr,
	       d->config_shown.ptr, verb, arg ? " " : "", arg ? arg : "");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return err_set(ERR_GENERIC, "cannot run '%s': fork: %s", verb,
			       strerror(errno));
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(argv[0], (char **)argv);
		dprintf(STDERR_FILENO, "catalyst-sync: cannot run '%s': %s\n",
			argv[0], strerror(errno));
		_exit(127);
	}
	/* A Ctrl-C reaches the child too; a SIGTERM is passed on. */
	if ((ret = wait_pid(d, pid, 1, &status)) < 0)
		return ret;
	code = status_code(status);
	if (!code && *d->stop)
		return check_stop(d);
	if (code) {
		fflush(stdout);
		fprintf(stderr,
			"catalyst-sync: demo stopped: step '%s %s%s%s' failed "
			"with exit code %d\n",
			"catalyst-sync", verb, arg ? " " : "", arg ? arg : "",
			code);
		if (emulator_gone(d, &gone))
			fprintf(stderr,
				"catalyst-sync: the emulator had exited with "
				"code %d; see %s/%s\n",
				gone, d->ws, DEMO_EMU_LOG);
	}
	return code;
}

/* Keeps the oldest version seen (the query goes newest first). */
static int oldest_version(const struct store_version *v, void *payload)
{
	struct buf *out = payload;

	buf_reset(out);
	buf_add(out, v->id, strlen(v->id) > 12 ? 12 : strlen(v->id));
	return 0;
}

/*
 * The first version of the edited type, for a 'diff' that shows the edit;
 * empty when it cannot be read (the suggestion is left out).
 */
static void first_version(struct demo *d, struct buf *out)
{
	const struct store_options opt = {0, 0};
	struct store_version_query q = {0};
	struct store *s = NULL;
	struct buf path = BUF_INIT;

	buf_reset(out);
	ws_path(&path, d, DEMO_STORE);
	q.type_id = d->edited_id;
	if (!d->edited_id || store_open(&s, path.ptr, &opt) < 0 ||
	    store_version_query(s, &q, oldest_version, out) < 0)
		buf_reset(out);
	err_clear();
	store_close(s);
	buf_release(&path);
}

/*
 * One suggested command line, "PROGRAM --config CONFIG ARGS", and a
 * comment why, aligned for ARGS up to args_width characters.
 */
static void print_try(struct demo *d, const char *args, int args_width,
		      const char *why)
{
	printf("  %s --config %s %-*s", d->exe_shown.ptr, d->config_shown.ptr,
	       why ? args_width : 0, args);
	if (why)
		printf("  # %s", why);
	printf("\n");
}

/* Where the workspace is, and what to try next. */
static void print_next(struct demo *d, int keep)
{
	struct buf v = BUF_INIT, args = BUF_INIT;
	int w;

	printf("\nDone. The workspace is %s:\n"
	       "  %-20s the Catalyst database (the sample model, edited)\n"
	       "  %-20s the configuration\n"
	       "  %-20s the state store: versions, sync state, runs\n"
	       "  %-20s the emulator's content types (its --state)\n"
	       "\nTry, from this folder:\n",
	       d->ws_shown.ptr, DEMO_DATABASE, DEMO_CONFIG, DEMO_STORE,
	       DEMO_EMU_STATE);
	first_version(d, &v);
	if (v.len)
		buf_addf(&args, "diff %s %s", DEMO_EDIT_TYPE, v.ptr);
	w = args.len > 10 + strlen(DEMO_EDIT_TYPE)
		    ? (int)args.len
		    : 10 + (int)strlen(DEMO_EDIT_TYPE);
	print_try(d, "status", w, "each type's head and sync state");
	print_try(d, "log " DEMO_EDIT_TYPE, w,
		  "the versions of " DEMO_EDIT_TYPE);
	if (args.len)
		print_try(d, args.ptr, w, "what the edit changed");
	print_try(d, "history", w, "what was synced, by whom");
	print_try(d, "runs", w, "the runs of apply");
	if (keep)
		printf("\nThe emulator keeps running at %s, so plan and apply "
		       "work too.\n",
		       d->url);
	else
		printf("\nplan and apply need the emulator, which is stopped. "
		       "Start it again on its\nstate and the configured URL, "
		       "in another terminal from this folder:\n"
		       "  %s --port %ld --client-id %s --client-secret %s "
		       "--state %s/%s\n"
		       "(or run '%s demo --keep', which leaves it running).\n",
		       d->emu_shown.ptr, d->port, DEMO_CLIENT_ID, d->secret,
		       d->ws_shown.ptr, DEMO_EMU_STATE, d->exe_shown.ptr);
	printf("Edit a type in Catalyst's database (or in Catalyst Studio), "
	       "for instance:\n"
	       "  sqlite3 %s/%s \"UPDATE ContentType SET fields = "
	       "json_set(fields, '$.fields[2].label', 'Portrait'), updatedAt "
	       "= updatedAt + 1 WHERE name = '%s'\"\nthen:\n",
	       d->ws_shown.ptr, DEMO_DATABASE, DEMO_EDIT_TYPE);
	print_try(d, "plan", 0, NULL);
	print_try(d, "apply", 0, NULL);
	if (keep)
		printf("\nPress Ctrl-C to stop the emulator.\n");
	fflush(stdout);
	buf_release(&v);
	buf_release(&args);
}

/* With --keep: waits until a signal, or until the emulator exits. */
static int wait_keep(struct demo *d)
{
	int status, ret = wait_pid(d, d->emu_pid, 0, &status);

	if (ret < 0)
		return ret;
	if (ret == 0) {
		d->emu_pid = 0;
		return err_set(ERR_GENERIC,
			       "the emulator exited with code %d; see %s/%s",
			       status_code(status), d->ws, DEMO_EMU_LOG);
	}
	printf("\n");
	return 0;
}

/* The environment must not point the children elsewhere. */
static void scrub_environment(void)
{
	static const char *const names[] = {
		"CATALYST_SYNC_CONFIG",	    "DATABASE_PATH",
		"OPTIMIZELY_CMS_API_URL",   "OPTIMIZELY_API_URL",
		"OPTIMIZELY_CMS_CLIENT_ID", "OPTIMIZELY_CMS_CLIENT_SECRET",
		"OPTIMIZELY_CLIENT_ID",	    "OPTIMIZELY_CLIENT_SECRET",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
	/* Loopback only: no proxy in between. */
	setenv("no_proxy", "*", 1);
	setenv("NO_PROXY", "*", 1);
}

static int demo_run(struct demo *d, int keep)
{
	int ret, code;

	if ((ret = find_programs(d)) < 0 || (ret = prepare_workspace(d)) < 0)
		return ret;
	printf("Starting the Optimizely emulator: %s\n", d->emu_shown.ptr);
	fflush(stdout);
	d->started = 1;
	if ((ret = start_emulator(d)) < 0)
		return ret;
	printf("  listening on %s, keeping its state in %s/%s\n", d->url,
	       d->ws_shown.ptr, DEMO_EMU_STATE);
	if ((ret = check_stop(d)) || (ret = build_database(d)) < 0 ||
	    (ret = write_config(d)) < 0)
		return ret;
	printf("\nA first sync: init records every type, plan shows what a "
	       "sync would do, and\napply does it.\n");
	if ((ret = run_step(d, "init", NULL)) ||
	    (ret = run_step(d, "plan", NULL)) ||
	    (ret = run_step(d, "apply", "--auto-approve")) ||
	    (ret = check_stop(d)) || (ret = edit_catalyst(d)) < 0)
		return ret;
	printf("\nThe next sync pushes just that change:\n");
	if ((ret = run_step(d, "plan", NULL)) ||
	    (ret = run_step(d, "apply", "--auto-approve")))
		return ret;
	if (!keep) {
		code = stop_emulator(d);
		if (code)
			return err_set(ERR_GENERIC,
				       "the emulator exited with code %d when "
				       "stopped; see %s/%s",
				       code, d->ws, DEMO_EMU_LOG);
	}
	print_next(d, keep);
	if (keep && (ret = wait_keep(d)) < 0)
		return ret;
	return 0;
}

int cmd_demo(int argc, char **argv, struct ctx *ctx)
{
	const char *ws = NULL;
	int keep = 0;
	const struct opt_spec opts[] = {
		OPT_STRING_("workspace", 0, &ws, "DIR",
			    "the folder to work in (default "
			    "./" DEMO_DEFAULT_WORKSPACE ")"),
		OPT_FLAG_("keep", 0, &keep,
			  "leave the emulator running at the end, until "
			  "Ctrl-C"),
		OPT_END_()};
	struct demo d = {.ws_shown = BUF_INIT,
			 .exe = BUF_INIT,
			 .exe_shown = BUF_INIT,
			 .emu = BUF_INIT,
			 .emu_shown = BUF_INIT,
			 .config = BUF_INIT,
			 .config_shown = BUF_INIT,
			 .emu_out = -1};
	char *pos[1];
	size_t len;
	int nr, ret, code;

	ret = cmd_parse(ctx, argc, argv, opts, demo_synopsis, demo_description,
			pos, &nr, 0);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (ctx->config_path || ctx->database || ctx->website)
		return err_set(ERR_USAGE,
			       "demo writes its own configuration in the "
			       "workspace; --config, --database and --website "
			       "are not used");
	if (!ws)
		ws = DEMO_DEFAULT_WORKSPACE;
	if (!*ws)
		return err_set(ERR_USAGE, "--workspace needs a folder");
	d.ws = xstrdup(ws);
	len = strlen(d.ws);
	while (len > 1 && d.ws[len - 1] == '/')
		d.ws[--len] = '\0';
	add_quoted(&d.ws_shown, d.ws);
	ws_path(&d.config, &d, DEMO_CONFIG);
	add_quoted(&d.config_shown, d.config.ptr);
	d.stop = sync_catch_signals();
	scrub_environment();

	ret = demo_run(&d, keep);
	code = stop_emulator(&d);
	if (keep && ret == 0 && code == 0)
		printf("Stopped the emulator.\n");
	if (ret == 0 && code != 0)
		ret = err_set(ERR_GENERIC,
			      "the emulator exited with code %d when stopped; "
			      "see %s/%s",
			      code, d.ws, DEMO_EMU_LOG);
	if (ret != 0 && d.started) {
		if (ret < 0 && err_msg()[0]) {
			/* main prints the message; this line comes after. */
			fprintf(stderr, "catalyst-sync: %s\n", err_msg());
			err_clear();
			ret = EXIT_ERROR;
		}
		fprintf(stderr,
			"catalyst-sync: the emulator is stopped; the "
			"workspace is kept in %s\n",
			d.ws_shown.ptr);
	}
	if (d.emu_out >= 0)
		close(d.emu_out);
	free(d.ws);
	free(d.url);
	free(d.edited_id);
	buf_release(&d.ws_shown);
	buf_release(&d.exe);
	buf_release(&d.exe_shown);
	buf_release(&d.emu);
	buf_release(&d.emu_shown);
	buf_release(&d.config);
	buf_release(&d.config_shown);
	return ret;
}
