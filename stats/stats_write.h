/*
 * The report's writers (stats_write.c): the JSON object and the 通报 paragraph, and the text,
 * CSV and JSON renderings, each a struct stats_format_ops writer (stats_render.h); HTML is
 * stats_html.h. The formats themselves are described in stats_render.h.
 */
#ifndef STATS_STATS_WRITE_H
#define STATS_STATS_WRITE_H

#include <jansson.h>

#include "stats.h"
#include "yq_buf.h"

struct stats_render_opts {
    /*
     * URL prefix of the assets (echarts.min.js, stats-charts.js, stats-report.css) in HTML:
     * NULL or "" = beside the report file; "/static/stats/" when served by the notifier.
     */
    const char *asset_base;
    const char *office; /* issuing office for the HTML title, e.g. 安康市人民政府办公室; may be NULL */
};

/* The report as a new JSON object (the JSON format in stats_render.h). Returns 0 or ERR_NOMEM. */
int stats_report_json(const struct stats_report *report, json_t **out);

/*
 * Why report has no 研判 figures, as one Chinese line ("无研判数据（...）"), or NULL when it
 * has them (report->judge present). Static string.
 */
const char *stats_judge_absent_text(const struct stats_report *report);

/*
 * The 通报 paragraph (Chinese) generated from the figures: a new NUL-terminated string (free()).
 * Returns 0, ERR_NOMEM or ERR_TOO_BIG (over STATS_OUT_MAX_BYTES).
 */
int stats_bulletin(const struct stats_report *report, char **out);

/*
 * Writers of the text, CSV and JSON formats: append report to out (borrowed, initialised by the
 * caller with its maximum). opts may be NULL (they do not use it). Returns 0, ERR_TOO_BIG,
 * ERR_NOMEM or ERR_INVALID; on an error out holds a partial text to discard. Thread-safe.
 */
int stats_write_text(const struct stats_report *report, const struct stats_render_opts *opts,
                     struct yq_buf *out);
int stats_write_csv(const struct stats_report *report, const struct stats_render_opts *opts,
                    struct yq_buf *out);
int stats_write_json(const struct stats_report *report, const struct stats_render_opts *opts,
                     struct yq_buf *out);

#endif
