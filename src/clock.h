/*
 * clock.h - the one monotonic clock every program here reads.
 *
 * CLOCK_MONOTONIC never steps with the wall clock, so deadlines, rate
 * limits and latency figures stay right across an NTP correction.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

#define CLOCK_NS_PER_MS	UINT64_C(1000000)
#define CLOCK_NS_PER_S	UINT64_C(1000000000)

/* Nanoseconds since an arbitrary fixed point (boot, on Linux). */
uint64_t	clock_now_ns(void);

/*
 * The same clock to the last scheduler tick (a few ms): read from memory
 * the kernel shares with every process, never a system call, whatever the
 * clock source.  For stamps taken on the echo path, where a few ms do not
 * matter and every nanosecond does.
 */
uint64_t	clock_coarse_ns(void);

#endif /* CLOCK_H */
