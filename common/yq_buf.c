#include "yq_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

void yq_buf_init(struct yq_buf *b, size_t max_len)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_len = max_len;
}

void yq_buf_release(struct yq_buf *b)
{
    if (!b) {
        return;
    }
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void yq_buf_reset(struct yq_buf *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

static int grow(struct yq_buf *b, size_t extra)
{
    size_t need, ncap;
    char *nd;

    if (extra > b->max_len || b->len > b->max_len - extra) {
        return ERR_TOO_BIG;
    }
    need = b->len + extra + 1;
    if (need <= b->cap) {
        return 0;
    }
    ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    }
    if (ncap > b->max_len + 1) {
        ncap = b->max_len + 1;
    }
    nd = realloc(b->data, ncap);
    if (!nd) {
        return ERR_NOMEM;
    }
    b->data = nd;
    b->cap = ncap;
    return 0;
}

int yq_buf_reserve(struct yq_buf *b, size_t extra)
{
    return grow(b, extra);
}

int yq_buf_add(struct yq_buf *b, const void *data, size_t len)
{
    int err;

    if (b->cap && b->len + len < b->cap) { /* fast path: room left */
        memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
    }
    err = grow(b, len);
    if (err) {
        return err;
    }
    if (len) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int yq_buf_adds(struct yq_buf *b, const char *s)
{
    return yq_buf_add(b, s, strlen(s));
}

int yq_buf_addc(struct yq_buf *b, char c)
{
    return yq_buf_add(b, &c, 1);
}

/* yq_buf_addf() on a va_list (ap is consumed). */
__attribute__((format(printf, 2, 0))) static int vaddf(struct yq_buf *b, const char *fmt,
                                                       va_list ap)
{
    char small[256];
    va_list again;
    int n, err;

    va_copy(again, ap);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(again);
        return ERR_NOMEM;
    }
    if ((size_t)n < sizeof(small)) {
        va_end(again);
        return yq_buf_add(b, small, (size_t)n);
    }
    err = grow(b, (size_t)n);
    if (!err) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return err;
}

int yq_buf_addf(struct yq_buf *b, const char *fmt, ...)
{
    va_list ap;
    int err;

    va_start(ap, fmt);
    err = vaddf(b, fmt, ap);
    va_end(ap);
    return err;
}

int yq_buf_addf_chain(int err, struct yq_buf *b, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        return err;
    }
    va_start(ap, fmt);
    err = vaddf(b, fmt, ap);
    va_end(ap);
    return err;
}

char *yq_buf_steal(struct yq_buf *b, size_t *len_out)
{
    char *s = b->data;
    size_t len = b->len;

    if (!s) {
        s = strdup("");
        len = 0;
        if (!s) {
            return NULL;
        }
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    if (len_out) {
        *len_out = len;
    }
    return s;
}
