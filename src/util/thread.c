#include <signal.h>
#include <string.h>

#include "util/err.h"
#include "util/thread.h"

int thread_start(pthread_t *out, void *(*fn)(void *), void *arg)
{
	static const int faults[] = {SIGSEGV, SIGBUS,  SIGFPE, SIGILL,
				     SIGTRAP, SIGABRT, SIGSYS};
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	for (size_t i = 0; i < sizeof(faults) / sizeof(*faults); i++)
		sigdelset(&all, faults[i]);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(out, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return err_set(-1, "cannot start a thread: %s", strerror(ret));
	return 0;
}
