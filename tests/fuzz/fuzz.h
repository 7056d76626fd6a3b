/*
 * fuzz.h - what every libFuzzer target here shares: the entry point
 * libFuzzer calls, and the one way a target reports a finding.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: abort, and libFuzzer saves the input. */
static inline void
check(int ok)
{
	if (!ok)
		abort();
}

#endif /* FUZZ_H */
