/*
 * ratelimit.h - "at most one line per interval" for repeating warnings.
 *
 * A warning that a flood can trigger (out of descriptors, queue full) must
 * not flood the log in turn.  One struct ratelimit per warning; not
 * thread-safe: the thread that owns the warning is the only caller.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t	interval_ns;
	uint64_t	last_ns;	/* when it last allowed; 0 = never */
};

#define RATELIMIT_INIT(ns)	{ (ns), 0 }

/* True on the first call and then at most once per interval, given the
 * current time in nanoseconds (clock_now_ns()). */
bool	ratelimit_allow(struct ratelimit *rl, uint64_t now_ns);

#endif /* RATELIMIT_H */
