/*
 * UTF-8 decoding for every process (the rule language, normalisation, matching, ticket texts,
 * notification texts). Decoding goes through utf8proc (utf8proc_iterate), so the project has
 * one decoder (issue #12): an
 * invalid, overlong, surrogate or truncated sequence, or a value above U+10FFFF, is never a
 * character. Offsets reported to users are Unicode code-point indexes; these convert from
 * byte offsets.
 */
#ifndef YQ_UTF8_H
#define YQ_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode the character at s (len >= 1 bytes left, need not be NUL-terminated). Returns its
 * byte length (1 to 4) with the code point in *cp; a sequence that is not well-formed UTF-8
 * returns 1 with *cp = U+FFFD (each bad byte is one replacement character). Thread-safe.
 */
size_t yq_utf8_next(const char *s, size_t len, int32_t *cp);

/*
 * The well-formed UTF-8 sequence at s (len bytes left, need not be NUL-terminated): its byte
 * length (1 to 4) with the code point in *cp, or 0 (and *cp untouched) when len is 0 or s
 * starts no well-formed sequence (invalid, overlong, a surrogate, above U+10FFFF or
 * truncated). The one place the log escaper, the feed preparer and the channels decode a
 * sequence. Thread-safe.
 */
size_t yq_utf8_seq(const char *s, size_t len, int32_t *cp);

/*
 * True when the len bytes at s are well-formed UTF-8 (no overlongs, surrogates or values
 * above U+10FFFF). On false, *bad_off (may be NULL) gets the byte offset of the first bad
 * sequence.
 */
bool yq_utf8_valid(const char *s, size_t len, size_t *bad_off);

/* Number of code points that start in the first n bytes of s (s assumed valid UTF-8). */
size_t yq_utf8_count_cp(const char *s, size_t n);

#endif
