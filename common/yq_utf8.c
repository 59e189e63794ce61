#include "yq_utf8.h"

#include <utf8proc.h>

#include "yq_banned.h"

size_t yq_utf8_seq(const char *s, size_t len, int32_t *cp)
{
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t k;

    if (len == 0) {
        return 0;
    }
    /* a sequence is at most 4 bytes; the cap also keeps len within utf8proc_ssize_t */
    k = utf8proc_iterate((const utf8proc_uint8_t *)s, len > 4 ? 4 : (utf8proc_ssize_t)len, &c);
    if (k <= 0) {
        return 0;
    }
    *cp = c;
    return (size_t)k;
}

size_t yq_utf8_next(const char *s, size_t len, int32_t *cp)
{
    size_t k = yq_utf8_seq(s, len, cp);

    if (k == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    return k;
}

bool yq_utf8_valid(const char *s, size_t len, size_t *bad_off)
{
    size_t i = 0;

    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0) {
            if (bad_off) {
                *bad_off = i;
            }
            return false;
        }
        i += (size_t)k;
    }
    return true;
}

size_t yq_utf8_count_cp(const char *s, size_t n)
{
    size_t count = 0;

    /* valid text: a character starts at every byte that is not a continuation byte */
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            count++;
        }
    }
    return count;
}
