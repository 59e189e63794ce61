/*
 * SHA-1 as lower-case hex, through OpenSSL EVP, behind a header that needs no OpenSSL types.
 */
#ifndef YQ_FEED_SHA1_H
#define YQ_FEED_SHA1_H

#include <stdbool.h>
#include <stddef.h>

#define FEED_SHA1_HEX_LEN 41 /* 40 hex digits + NUL */

/*
 * Write the SHA-1 of len bytes of data as 40 hex digits + NUL into out (at least
 * FEED_SHA1_HEX_LEN bytes). Returns false only when OpenSSL fails (out of memory).
 * Thread-safe.
 */
bool feed_sha1_hex(const void *data, size_t len, char *out);

#endif
