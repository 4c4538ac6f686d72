/*
 * err: error codes and the per-thread error message.
 *
 * Fallible functions return int: 0 is success, a negative value an error.
 * Where the failure happens, record a message and return its code in one go:
 *
 *	return err_set(ERR_NOTFOUND, "no content type '%s'", name);
 *
 * Callers propagate the code unchanged and never overwrite a lower-level
 * message (err_prefix adds context in front of it instead). A caller that
 * handles an error itself calls err_clear(). The message lives in
 * thread-local storage, so server threads do not see each other's errors.
 */
#ifndef UTIL_ERR_H
#define UTIL_ERR_H

enum err_code {
	ERR_OK = 0,
	ERR_GENERIC = -1,   /* anything without a name of its own */
	ERR_NOTFOUND = -2,  /* a named thing does not exist */
	ERR_CONFLICT = -3,  /* state moved under us (409, 412, a lock) */
	ERR_AUTH = -4,      /* credentials refused */
	ERR_RATELIMIT = -5, /* told to slow down */
	ERR_TIMEOUT = -6,   /* gave up waiting */
	ERR_INVALID = -7,   /* bad input: a file, a row, a document */
	ERR_REMOTE = -8,    /* the server failed or answered nonsense */
	ERR_USAGE = -9,     /* bad command line */
	ERR_ATTENTION = -10 /* done, but something needs a person to look */
};

/* Records a message (printf-style) and returns code. */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Puts "prefix: " in front of the current message; returns the code. */
int err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The current message ("" when none); borrowed, valid until the next set. */
const char *err_msg(void);
/* The code recorded with the current message (ERR_OK when none). */
int err_code(void);
void err_clear(void);
/* A short name for a code ("not found"), for logs and JSON. */
const char *err_code_name(int code);

#endif
