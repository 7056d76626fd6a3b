/*
 * errstr.h - the text of an error number, safe from any thread.
 *
 * strerror(3) may return a buffer shared by every thread; strerror_r(3) has
 * two incompatible signatures.  errstr() hides both: it formats into a
 * buffer of the calling thread's own and returns it, valid until that
 * thread's next errstr() call.  Never fails ("error N" for unknown numbers).
 */
#ifndef ERRSTR_H
#define ERRSTR_H

const char	*errstr(int err);

#endif /* ERRSTR_H */
