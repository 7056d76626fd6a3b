/*
 * sync.c - checked pthread wrappers (sync.h).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "sync.h"

void
sync_mutex_init(pthread_mutex_t *m)
{
	if (pthread_mutex_init(m, NULL) != 0)
		abort();
}

void
sync_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t attr;

	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(c, &attr) != 0)
		abort();
	(void)pthread_condattr_destroy(&attr);
}

void
sync_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) != 0)
		abort();
}

void
sync_unlock(pthread_mutex_t *m)
{
	if (pthread_mutex_unlock(m) != 0)
		abort();
}

void
sync_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (pthread_cond_wait(c, m) != 0)
		abort();
}

bool
sync_wait_until(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline_ns)
{
	struct timespec until;
	int rc;

	until.tv_sec = (time_t)(deadline_ns / CLOCK_NS_PER_S);
	until.tv_nsec = (long)(deadline_ns % CLOCK_NS_PER_S);
	rc = pthread_cond_timedwait(c, m, &until);
	if (rc == ETIMEDOUT)
		return false;
	if (rc != 0)
		abort();
	return true;
}

void
sync_signal(pthread_cond_t *c)
{
	if (pthread_cond_signal(c) != 0)
		abort();
}

void
sync_broadcast(pthread_cond_t *c)
{
	if (pthread_cond_broadcast(c) != 0)
		abort();
}
