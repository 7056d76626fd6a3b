/*
 * ratelimit.c - one line per interval (ratelimit.h).
 */
#include "config.h"

#include "ratelimit.h"

bool
ratelimit_allow(struct ratelimit *rl, uint64_t now_ns)
{
	if (rl->last_ns != 0 && now_ns - rl->last_ns < rl->interval_ns)
		return false;
	/* A clock reading of 0 would look like "never": keep it non-zero. */
	rl->last_ns = now_ns != 0 ? now_ns : 1;
	return true;
}
