#include "yq_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "yq_err.h"
#include "yq_banned.h"

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

static bool char_ok(const char *s, size_t len, size_t *adv);

/* Width of the character at s (len bytes left); *adv gets its length in bytes (>= 1). */
static size_t char_width(const char *s, size_t len, size_t *adv)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
    int w;

    if (n <= 0) {
        *adv = 1;
        return 1;
    }
    *adv = (size_t)n;
    if (cp < 0x20 || cp == 0x7f) {
        return 1;
    }
    w = utf8proc_charwidth(cp);
    return w < 0 ? 1 : (size_t)w;
}

size_t yq_text_width(const char *s)
{
    size_t w = 0, len, adv;

    if (!s) {
        return 0;
    }
    len = strlen(s);
    for (size_t i = 0; i < len; i += adv) {
        w += char_width(s + i, len - i, &adv);
    }
    return w;
}

/*
 * Copy s (NULL reads as "") into buf (len > 0 bytes) a whole character at a time while it fits
 * with the NUL; printable: each control character and invalid byte becomes U+FFFD (as
 * yq_text_printable() says), else every character is copied as it is and *width (when not
 * NULL) gets the display width copied. Returns the bytes written before the NUL; *whole: all of
 * s fit.
 */
static size_t copy_chars(const char *s, bool printable, char *buf, size_t len, size_t *width,
                         bool *whole)
{
    size_t o = 0, w = 0, slen, adv;

    s = s ? s : "";
    slen = strlen(s);
    *whole = true;
    for (size_t i = 0; i < slen; i += adv) {
        const char *piece;
        size_t n;

        if (printable) {
            bool ok = char_ok(s + i, slen - i, &adv);
            piece = ok ? s + i : REPLACEMENT;
            n = ok ? adv : sizeof(REPLACEMENT) - 1;
        } else {
            w += char_width(s + i, slen - i, &adv);
            piece = s + i;
            n = adv;
        }
        if (o + n >= len) {
            *whole = false;
            break;
        }
        memcpy(buf + o, piece, n);
        o += n;
    }
    buf[o] = '\0';
    if (width) {
        *width = w;
    }
    return o;
}

char *yq_text_pad(const char *s, size_t width, char *buf, size_t len)
{
    size_t o, w;
    bool whole;

    if (len == 0) {
        return buf;
    }
    o = copy_chars(s, false, buf, len, &w, &whole);
    if (!whole) {
        return buf; /* no room left for padding */
    }
    while (w < width && o + 1 < len) {
        buf[o++] = ' ';
        w++;
    }
    buf[o] = '\0';
    return buf;
}

char *yq_text_pad_left(const char *s, size_t width, char *buf, size_t len)
{
    size_t w = yq_text_width(s), o = 0;

    if (len == 0) {
        return buf;
    }
    for (; w < width && o + 1 < len; w++) {
        buf[o++] = ' ';
    }
    yq_text_pad(s, 0, buf + o, len - o);
    return buf;
}

int yq_text_fput_padded(const char *s, size_t width, FILE *out)
{
    size_t w = yq_text_width(s);

    if (fputs(s ? s : "", out) == EOF) {
        return ERR_IO;
    }
    for (; w < width; w++) {
        if (fputc(' ', out) == EOF) {
            return ERR_IO;
        }
    }
    return 0;
}

/* C0, DEL, C1, U+2028, U+2029, and the bidirectional embeddings, overrides and isolates
   U+202A..U+202E, U+2066..U+2069 (text shown reordered: Unicode TR36 §2.3, bidi spoofing). */
bool yq_text_is_control(int32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

bool yq_text_is_bidi_control(int32_t cp)
{
    return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

static bool is_control(utf8proc_int32_t cp)
{
    return yq_text_is_control(cp) || yq_text_is_bidi_control(cp);
}

/* The character at s (len bytes left): its length in *adv (>= 1); false when it is a control
 * character or an invalid byte. */
static bool char_ok(const char *s, size_t len, size_t *adv)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);

    if (n <= 0) {
        *adv = 1;
        return false;
    }
    *adv = (size_t)n;
    return !is_control(cp);
}

bool yq_text_has_control(const char *s)
{
    size_t len, adv;

    if (!s) {
        return false;
    }
    len = strlen(s);
    for (size_t i = 0; i < len; i += adv) {
        if (!char_ok(s + i, len - i, &adv)) {
            return true;
        }
    }
    return false;
}

char *yq_text_printable(const char *s, char *buf, size_t len)
{
    bool whole;

    if (len > 0) {
        (void)copy_chars(s, true, buf, len, NULL, &whole);
    }
    return buf;
}

int yq_text_one_line(const char *s, char **out)
{
    size_t len = s ? strlen(s) : 0, o = 0, adv;
    bool space = false;
    char *c = malloc(3 * len + 1); /* one byte grows at most to U+FFFD's three */

    *out = NULL;
    if (!c) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < len; i += adv) {
        utf8proc_int32_t cp = 0;
        bool ok = char_ok(s + i, len - i, &adv);

        if (!ok && adv > 1) {
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)adv, &cp);
        } else if (!ok && (unsigned char)s[i] < 0x80) {
            cp = (unsigned char)s[i];
        }
        if (!ok && ((cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0x2028 || cp == 0x2029)) {
            if (!space) {
                c[o++] = ' ';
            }
            space = true;
            continue;
        }
        space = false;
        memcpy(c + o, ok ? s + i : REPLACEMENT, ok ? adv : sizeof(REPLACEMENT) - 1);
        o += ok ? adv : sizeof(REPLACEMENT) - 1;
    }
    c[o] = '\0';
    *out = c;
    return 0;
}

/* Unicode's White_Space property: the separators (Zs, Zl, Zp), TAB..CR and NEL (U+0085). */
static bool is_white_space(utf8proc_int32_t cp)
{
    utf8proc_category_t c;

    if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) {
        return true;
    }
    c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

/* A copy of s (len bytes, NUL-terminated) with each invalid byte as U+FFFD: new, or NULL. */
static char *valid_copy(const char *s, size_t len)
{
    char *c = malloc(3 * len + 1); /* one byte grows at most to U+FFFD's three */
    size_t o = 0;
    utf8proc_ssize_t adv;

    if (!c) {
        return NULL;
    }
    for (size_t i = 0; i < len; i += (size_t)adv) {
        utf8proc_int32_t cp;

        adv = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (adv > 0) {
            memcpy(c + o, s + i, (size_t)adv);
            o += (size_t)adv;
        } else {
            adv = 1;
            memcpy(c + o, REPLACEMENT, sizeof(REPLACEMENT) - 1);
            o += sizeof(REPLACEMENT) - 1;
        }
    }
    c[o] = '\0';
    return c;
}

int yq_text_fold(const char *s, char **out)
{
    size_t len = strlen(s), o = 0;
    char *valid = NULL;
    utf8proc_uint8_t *nfkc = NULL;
    utf8proc_ssize_t n;
    bool space = false;

    *out = NULL;
    valid = valid_copy(s, len);
    if (!valid) {
        return ERR_NOMEM;
    }
    n = utf8proc_map((const utf8proc_uint8_t *)valid, 0, &nfkc,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                         UTF8PROC_IGNORE);
    free(valid);
    if (n < 0) {
        return ERR_NOMEM; /* the input is valid UTF-8: only memory can fail */
    }
    /* in place: a character is only dropped, or a run of white space shortened to one byte */
    for (utf8proc_ssize_t i = 0, adv; i < n; i += adv) {
        utf8proc_int32_t cp;

        adv = utf8proc_iterate(nfkc + i, n - i, &cp); /* valid: utf8proc wrote it */
        if (adv <= 0) {
            break;
        }
        if (is_white_space(cp)) {
            space = o > 0;
        } else if (utf8proc_category(cp) != UTF8PROC_CATEGORY_CF) {
            if (space) {
                nfkc[o++] = ' ';
                space = false;
            }
            memmove(nfkc + o, nfkc + i, (size_t)adv);
            o += (size_t)adv;
        }
    }
    nfkc[o] = '\0';
    *out = (char *)nfkc;
    return 0;
}
