/*
 * A bounded, growable byte buffer (after curl's dynbuf): every append checks a maximum set at
 * init time, so untrusted input (feed bodies, repaired XML, extracted text) cannot grow memory
 * without limit. The data is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef YQ_BUF_H
#define YQ_BUF_H

#include <stddef.h>

struct yq_buf {
    char *data;     /* NULL until the first append; owned */
    size_t len;     /* bytes used, excluding the terminating NUL */
    size_t cap;     /* bytes allocated */
    size_t max_len; /* appends that would exceed it fail with ERR_TOO_BIG */
};

/* Initialise caller storage b with maximum length max_len bytes. Never fails. */
void yq_buf_init(struct yq_buf *b, size_t max_len);

/* Free the data and reset b to empty (keeps max_len). NULL is a no-op. */
void yq_buf_release(struct yq_buf *b);

/* Drop the contents but keep the allocation. */
void yq_buf_reset(struct yq_buf *b);

/*
 * Append len bytes of data (need not be NUL-terminated; may contain NULs).
 * Returns 0, ERR_TOO_BIG (b unchanged) or ERR_NOMEM (b unchanged).
 */
int yq_buf_add(struct yq_buf *b, const void *data, size_t len);

/*
 * Make room for extra more bytes without changing the contents (one allocation instead of
 * many for a known size). Returns 0, ERR_TOO_BIG (beyond max_len) or ERR_NOMEM.
 */
int yq_buf_reserve(struct yq_buf *b, size_t extra);

/* Append a NUL-terminated string. Same returns as yq_buf_add(). */
int yq_buf_adds(struct yq_buf *b, const char *s);

/* Append one byte. Same returns as yq_buf_add(). */
int yq_buf_addc(struct yq_buf *b, char c);

/* printf-style append. Same returns as yq_buf_add(). */
int yq_buf_addf(struct yq_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * yq_buf_addf() unless an earlier append of a chain failed: err is that earlier result
 * (0 = none). Returns err when it is not 0 (nothing appended), else yq_buf_addf()'s result;
 * written err = yq_buf_addf_chain(err, &b, ...) line after line, one check at the end.
 */
int yq_buf_addf_chain(int err, struct yq_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Hand the contents over: returns the NUL-terminated data (new, free()) and resets b; an
 * empty buffer yields a new "" string. *len_out (may be NULL) receives the length.
 * Returns NULL only on ERR_NOMEM.
 */
char *yq_buf_steal(struct yq_buf *b, size_t *len_out);

#endif
