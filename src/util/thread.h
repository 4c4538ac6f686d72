/*
 * thread: starting helper threads that stay out of signal handling.
 */
#ifndef UTIL_THREAD_H
#define UTIL_THREAD_H

#include <pthread.h>

/*
 * Starts fn(arg) on a new thread with every asynchronous signal blocked
 * (SIGINT and SIGTERM go to the threads whose handlers expect them); a
 * fault is still reported on the thread where it happens. Returns 0, or
 * -1 with the error set when no thread could be started (the caller can
 * then do the work itself).
 */
int thread_start(pthread_t *out, void *(*fn)(void *), void *arg)
	__attribute__((warn_unused_result));

#endif
