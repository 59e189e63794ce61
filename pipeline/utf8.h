/*
 * UTF-8 helpers shared by the expression parser and term finding. Offsets reported to users
 * are Unicode code-point indexes; these convert from byte offsets.
 */
#ifndef PIPELINE_UTF8_H
#define PIPELINE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the len bytes at s are well-formed UTF-8 (no overlongs, surrogates or values
 * above U+10FFFF). On false, *bad_off (may be NULL) gets the byte offset of the first bad
 * sequence.
 */
bool utf8_valid(const char *s, size_t len, size_t *bad_off);

/* Number of code points that start in the first n bytes of s (s assumed valid UTF-8). */
size_t utf8_count_cp(const char *s, size_t n);

#endif
