/*
 * sync.h - checked pthread mutexes and condition variables.
 *
 * A failing lock, unlock, wait or signal is a programming error (a
 * destroyed or corrupted object, a deadlock the library detected): there is
 * no sensible way on, so these abort() instead of returning an error every
 * caller would have to ignore.  Condition variables time their waits on
 * CLOCK_MONOTONIC, so a wall-clock step cannot cut a shutdown short or
 * stretch it.
 */
#ifndef SYNC_H
#define SYNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

void	sync_mutex_init(pthread_mutex_t *m);
void	sync_cond_init(pthread_cond_t *c);	/* monotonic clock */
void	sync_lock(pthread_mutex_t *m);
void	sync_unlock(pthread_mutex_t *m);
void	sync_wait(pthread_cond_t *c, pthread_mutex_t *m);
/* Wait until the CLOCK_MONOTONIC time deadline_ns (clock.h); false when it
 * passed without a signal. */
bool	sync_wait_until(pthread_cond_t *c, pthread_mutex_t *m,
	    uint64_t deadline_ns);
void	sync_signal(pthread_cond_t *c);
void	sync_broadcast(pthread_cond_t *c);

#endif /* SYNC_H */
