/* Helpers shared by the stats renderers (not installed; not for other modules). */
#ifndef STATS_STATS_INTERNAL_H
#define STATS_STATS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* A growable NUL-terminated text buffer, bounded by STATS_SBUF_MAX_BYTES. */
#define STATS_SBUF_MAX_BYTES (64u * 1024 * 1024)

struct stats_sbuf {
    char *p;
    size_t len, cap;
    int err; /* sticky: the first ERR_NOMEM / ERR_TOO_BIG; later appends do nothing */
};

void stats_sbuf_put(struct stats_sbuf *b, const char *s, size_t n);
void stats_sbuf_puts(struct stats_sbuf *b, const char *s);
void stats_sbuf_printf(struct stats_sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s with &, <, >, ", ' as character references. */
void stats_sbuf_html(struct stats_sbuf *b, const char *s);
/* Hand the text over (*out, free()) or free it on a sticky error; returns 0 or the error. */
int stats_sbuf_finish(struct stats_sbuf *b, char **out, size_t *out_len);

/* "96.4" (num/den as a percentage, rounded half up to 0.1) into buf; "—" when den is 0. */
const char *stats_fmt_pct(size_t num, size_t den, char *buf, size_t len);
/* The same value in tenths of a percent; -1 when den is 0. */
int64_t stats_pct_tenths(size_t num, size_t den);
/* "3小时05分" / "42分" (seconds floored to minutes) into buf; "—" when n is 0. */
const char *stats_fmt_dur(int64_t s, size_t n, char *buf, size_t len);
/* "2024年3月" / "2024年" */
const char *stats_fmt_period(const struct stats_report *r, char *buf, size_t len);

/* Clocks summarised in tables: {clock, what the met count is called}. */
#define STATS_MAIN_CLOCKS 7

/* Met = on_time + late. */
static inline size_t stats_met(const struct stats_clock_tally *t)
{
    return t->on_time + t->late;
}

/* HTML rendering (stats_html.c). */
int stats_render_html(const struct stats_report *r, const char *asset_base, const char *office,
                      struct stats_sbuf *b);

#endif
