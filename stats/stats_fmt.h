/*
 * What every statistics writer shares (stats_fmt.c): the output they append to, a struct
 * yq_buf behind a sticky error (struct stats_out), and the number, duration and period formats
 * of the tables and the 通报. Internal to the statistics library.
 */
#ifndef STATS_STATS_FMT_H
#define STATS_STATS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "yq_buf.h"

/*
 * The largest rendered report, in bytes. A year's HTML report of a busy city is well under
 * 10 MB (about 2 KB per department, source and rule group row plus the overdue list); the
 * maximum only stops a runaway (a corrupt store) from taking the host's memory. Past it the
 * render fails with ERR_TOO_BIG, never a cut report.
 */
#define STATS_OUT_MAX_BYTES (64u * 1024 * 1024)

/*
 * A writer's output: appends go to buf (borrowed) until one fails; that first error
 * (ERR_TOO_BIG past buf's maximum, ERR_NOMEM, ERR_INVALID for a bad format) sticks and later
 * appends do nothing, so a writer checks once, at its end, and a report is whole or absent.
 */
struct stats_out {
    struct yq_buf *buf;
    int err;
};

/* An output appending to buf (borrowed; yq_buf_init()ed by the caller). */
static inline struct stats_out stats_out_on(struct yq_buf *buf)
{
    struct stats_out o = {buf, 0};
    return o;
}

/* Append n bytes of s / the NUL-terminated s / printf-style text. */
void stats_out_add(struct stats_out *o, const char *s, size_t n);
void stats_out_adds(struct stats_out *o, const char *s);
void stats_out_addf(struct stats_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s (NUL-terminated; NULL appends nothing) with &, <, >, ", ' as character references. */
void stats_out_html(struct stats_out *o, const char *s);
/* s (NUL-terminated) as one CSV field: quoted when it holds , " CR or LF (quotes doubled), and
 * a leading = + - @ prefixed with ' so that a spreadsheet does not read it as a formula. */
void stats_out_csv(struct stats_out *o, const char *s);

/*
 * Hand o's text over: *out a new NUL-terminated string (free()), *out_len (may be NULL) its
 * length; on a sticky error the text is freed instead. Either way o->buf is left empty.
 * Returns 0 or the sticky error (or ERR_NOMEM).
 */
int stats_out_finish(struct stats_out *o, char **out, size_t *out_len);

/* "96.4%" (num/den as a percentage, rounded half up to 0.1) into buf; "—" when den is 0. */
const char *stats_fmt_pct(size_t num, size_t den, char *buf, size_t len);
/* The same value in tenths of a percent; -1 when den is 0. */
int64_t stats_pct_tenths(size_t num, size_t den);
/*
 * s seconds floored to the minute into buf, the one form of every report and the web page
 * (web/static/app.js fmtDuration()): "42分", "3小时05分", from a day on "1天6小时05分"
 * (minutes always shown, two digits after hours); a negative s as "-" and its magnitude's form;
 * "—" when n (the sample size) is 0. Returns buf.
 */
const char *stats_fmt_dur(int64_t s, size_t n, char *buf, size_t len);
/*
 * "39.5": s seconds in minutes with one decimal, rounded half up like every figure of a report
 * (2355 s = 39.25 min -> "39.3"; -15 s -> "-0.2"), by integer arithmetic (the CSV's minutes).
 */
const char *stats_fmt_minutes(int64_t s, char *buf, size_t len);
/* "2024年3月" / "2024年" */
const char *stats_fmt_period(const struct stats_report *r, char *buf, size_t len);

/* Clocks summarised in tables: {clock, what the met count is called}. */
#define STATS_MAIN_CLOCKS 7

/* Met = on_time + late. */
static inline size_t stats_met(const struct stats_clock_tally *t)
{
    return t->on_time + t->late;
}

#endif
