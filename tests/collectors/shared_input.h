/* Test helper: read files under YQ_SHARED_DIR (../shared), skipping cleanly when absent. */
#ifndef YQ_TEST_SHARED_INPUT_H
#define YQ_TEST_SHARED_INPUT_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_fs.h"

/*
 * Read YQ_SHARED_DIR/rel into *body (new, free()) and *len. When the file is absent, print
 * why and skip() the calling cmocka test (never fails for a missing ../shared).
 */
#define SHARED_READ_OR_SKIP(rel, body, len)                                                    \
    do {                                                                                       \
        char path_[1024];                                                                      \
        snprintf(path_, sizeof(path_), "%s/%s", YQ_SHARED_DIR, (rel));                         \
        if (yq_fs_read_file(path_, 64 * 1024 * 1024, (body), (len)) != 0) {                    \
            print_message("shared input %s not found: skipping\n", path_);                     \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

/*
 * Split a raw HTTP response (as in cases/inputs/FC-011.http) into the header value of name
 * (copied into val, "" when absent) and a pointer to the body inside raw.
 */
static inline const char *http_split(const char *raw, size_t len, const char *name, char *val,
                                     size_t vlen, size_t *body_len)
{
    const char *end = NULL;
    size_t nl = strlen(name);

    val[0] = '\0';
    for (size_t i = 0; i + 3 < len; i++) {
        if (memcmp(raw + i, "\r\n\r\n", 4) == 0) {
            end = raw + i;
            break;
        }
    }
    if (!end) {
        *body_len = 0;
        return NULL;
    }
    for (const char *p = raw; p < end;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol || eol > end) {
            eol = end;
        }
        if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ') {
                v++;
            }
            snprintf(val, vlen, "%.*s", (int)(eol - v), v);
        }
        p = eol + 2;
    }
    *body_len = len - (size_t)(end + 4 - raw);
    return end + 4;
}

#endif
