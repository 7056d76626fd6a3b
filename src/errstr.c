/*
 * errstr.c - thread-safe strerror (errstr.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errstr.h"

#define ERRSTR_MAX	128

const char *
errstr(int err)
{
	static _Thread_local char buf[ERRSTR_MAX];
	int saved = errno;
	const char *s;

#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	/* GNU strerror_r may return a static string instead of filling buf. */
	s = strerror_r(err, buf, sizeof(buf));
#else
	if (strerror_r(err, buf, sizeof(buf)) != 0)
		(void)snprintf(buf, sizeof(buf), "error %d", err);
	s = buf;
#endif
	errno = saved;
	return s;
}
