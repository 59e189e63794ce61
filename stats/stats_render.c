/*
 * Rendering a report: the table of formats (each a writer of stats_write.c or stats_html.c),
 * and the one-call helpers that load, compute and render for the CLI and the web UI.
 */
#include "stats_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_blind.h"
#include "stats_fmt.h"
#include "stats_html.h"
#include "stats_judge.h"
#include "stats_load.h"
#include "stats_write.h"
#include "yq_err.h"
#include "yq_banned.h"

const struct stats_format_ops stats_formats[STATS_FORMAT_COUNT] = {
    [STATS_FORMAT_TEXT] = {"text", stats_write_text},
    [STATS_FORMAT_HTML] = {"html", stats_write_html},
    [STATS_FORMAT_CSV] = {"csv", stats_write_csv},
    [STATS_FORMAT_JSON] = {"json", stats_write_json},
};

int stats_format_parse(const char *name, enum stats_format *out)
{
    for (int i = 0; i < STATS_FORMAT_COUNT; i++) {
        if (name && strcmp(name, stats_formats[i].name) == 0) {
            *out = (enum stats_format)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

/* ------------------------------------------------------------- dispatch */

int stats_render(const struct stats_report *report, enum stats_format fmt,
                 const struct stats_render_opts *opts, char **out, size_t *out_len)
{
    struct yq_buf buf;
    struct stats_out o = stats_out_on(&buf);

    *out = NULL;
    if ((unsigned)fmt >= STATS_FORMAT_COUNT) {
        return ERR_INVALID;
    }
    yq_buf_init(&buf, STATS_OUT_MAX_BYTES);
    o.err = stats_formats[fmt].write(report, opts, &buf);
    return stats_out_finish(&o, out, out_len);
}

int stats_render_from_db(struct yq_db *db, const struct stats_opts *sopts, enum stats_format fmt,
                         const struct stats_render_opts *ropts, char **out, size_t *out_len,
                         char *errbuf, size_t errlen)
{
    struct stats_ticket_set set;
    struct stats_report *report = NULL;
    int64_t start, end;
    bool loaded = true;
    int err;

    *out = NULL;
    err = sopts->period == STATS_PERIOD_MONTH ? stats_month_window(sopts->year, sopts->month,
                                                                   &start, &end)
                                              : stats_year_window(sopts->year, &start, &end);
    if (err) {
        snprintf(errbuf, errlen, "invalid period %04d-%02d", sopts->year, sopts->month);
        return err;
    }
    err = stats_load(db, end, &set, errbuf, errlen);
    if (err) {
        return err;
    }
    err = stats_compute(set.v, set.n, sopts, &report);
    if (!err) {
        err = stats_judge_compute(report, set.events, set.n_events, set.has_events);
    }
    if (!err) {
        /* issue #15: the annex 监测盲区 and the detected responses; errbuf says why not */
        loaded = (err = stats_blind_load(db, report, errbuf, errlen)) == 0;
    }
    if (!err) {
        err = stats_render(report, fmt, ropts, out, out_len);
    }
    if (err && loaded) {
        snprintf(errbuf, errlen, "cannot compute the report: %s", yq_strerror(err));
    }
    stats_report_free(report);
    stats_ticket_set_release(&set);
    return err;
}

int stats_render_month(struct yq_db *db, int year, int month, int64_t now,
                       const char *department, const struct stats_calendar *cal,
                       enum stats_format fmt, char **out, size_t *out_len, char *errbuf,
                       size_t errlen)
{
    struct stats_opts sopts = {
        .period = STATS_PERIOD_MONTH,
        .year = year,
        .month = month,
        .now = now,
        .department = department,
        .calendar = cal,
    };
    struct stats_render_opts ropts = {.asset_base = "/static/stats/", .office = NULL};
    return stats_render_from_db(db, &sopts, fmt, &ropts, out, out_len, errbuf, errlen);
}
