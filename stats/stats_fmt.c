#include "stats_fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_html.h"
#include "yq_banned.h"

/* ------------------------------------------------------------- output */

void stats_out_add(struct stats_out *o, const char *s, size_t n)
{
    if (!o->err) {
        o->err = yq_buf_add(o->buf, s, n);
    }
}

void stats_out_adds(struct stats_out *o, const char *s)
{
    stats_out_add(o, s, strlen(s));
}

void stats_out_addf(struct stats_out *o, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    if (o->err) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->err = ERR_INVALID;
    } else if ((size_t)n < sizeof(small)) {
        stats_out_add(o, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big) {
            o->err = ERR_NOMEM;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        stats_out_add(o, big, (size_t)n);
        free(big);
    }
}

void stats_out_html(struct stats_out *o, const char *s)
{
    const char *run = s;
    for (; s && *s; s++) {
        const char *rep = yq_html_entity(*s);
        if (!rep) {
            continue;
        }
        stats_out_add(o, run, (size_t)(s - run));
        stats_out_adds(o, rep);
        run = s + 1;
    }
    if (run) {
        stats_out_adds(o, run);
    }
}

void stats_out_csv(struct stats_out *o, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    stats_out_adds(o, quote ? "\"" : "");
    if (*s == '=' || *s == '+' || *s == '-' || *s == '@') {
        stats_out_adds(o, "'"); /* a spreadsheet must not read a name as a formula */
    }
    for (; *s; s++) {
        stats_out_add(o, s, 1);
        if (*s == '"') {
            stats_out_add(o, s, 1);
        }
    }
    stats_out_adds(o, quote ? "\"" : "");
}

int stats_out_finish(struct stats_out *o, char **out, size_t *out_len)
{
    if (o->err) {
        yq_buf_release(o->buf);
        return o->err;
    }
    *out = yq_buf_steal(o->buf, out_len);
    return *out ? 0 : ERR_NOMEM;
}

/* ------------------------------------------------------------- number formats */

int64_t stats_pct_tenths(size_t num, size_t den)
{
    if (den == 0) {
        return -1;
    }
    /* round half up: floor((2 * 1000 num + den) / (2 den)) */
    return (int64_t)((2000u * (uint64_t)num + den) / (2u * (uint64_t)den));
}

const char *stats_fmt_pct(size_t num, size_t den, char *buf, size_t len)
{
    int64_t t = stats_pct_tenths(num, den);
    if (t < 0) {
        snprintf(buf, len, "—");
    } else {
        snprintf(buf, len, "%lld.%lld%%", (long long)(t / 10), (long long)(t % 10));
    }
    return buf;
}

const char *stats_fmt_dur(int64_t s, size_t n, char *buf, size_t len)
{
    /* whole minutes of the magnitude, so a negative duration reads as its magnitude signed */
    int64_t m = s < 0 ? -(s / 60) : s / 60;
    const char *sign = m > 0 && s < 0 ? "-" : "";

    if (n == 0) {
        snprintf(buf, len, "—");
    } else if (m >= 24 * 60) { /* a day and more: days, hours and minutes ("1天6小时05分") */
        snprintf(buf, len, "%s%lld天%lld小时%02lld分", sign, (long long)(m / 1440),
                 (long long)(m % 1440 / 60), (long long)(m % 60));
    } else if (m >= 60) {
        snprintf(buf, len, "%s%lld小时%02lld分", sign, (long long)(m / 60), (long long)(m % 60));
    } else {
        snprintf(buf, len, "%s%lld分", sign, (long long)m);
    }
    return buf;
}

const char *stats_fmt_minutes(int64_t s, char *buf, size_t len)
{
    /* tenths of a minute = 6 s; half up means towards +infinity, also below zero */
    int64_t t = s >= 0 ? (s + 3) / 6 : -((-s + 2) / 6);
    int64_t a = t < 0 ? -t : t;

    snprintf(buf, len, "%s%lld.%lld", t < 0 ? "-" : "", (long long)(a / 10), (long long)(a % 10));
    return buf;
}

const char *stats_fmt_period(const struct stats_report *r, char *buf, size_t len)
{
    if (r->period == STATS_PERIOD_MONTH) {
        snprintf(buf, len, "%d年%d月", r->year, r->month);
    } else {
        snprintf(buf, len, "%d年", r->year);
    }
    return buf;
}
