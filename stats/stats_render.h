/*
 * Printing a report (stats.h) as HTML, CSV, JSON or plain text, the Chinese 通报 paragraph,
 * the static assets the HTML needs (Apache ECharts and the chart script, compiled into the
 * library), and one-call helpers for the web UI and the CLI (load + compute + render).
 *
 * HTML: one page that prints on A4 (print CSS in stats-report.css). It has no inline script or
 * style (it may be served under the notifier's Content-Security-Policy): the chart data is a
 * <script type="application/json" id="stats-data"> block (the JSON format below, with <, >
 * and & escaped as \u003c, \u003e, \u0026) which the static stats-charts.js reads and draws
 * with echarts.min.js. Every string from tickets, departments, sources and rules is
 * HTML-escaped.
 *
 * JSON (schema 1): {"schema":1,"period":"month"|"year","label":"2024-03","window":{"start",
 *   "end","timezone":"Asia/Shanghai"},"cutoff","generated_at","department":null|"...",
 *   "carry_over":{"carried_in","added","detected","reopened","closed","dismissed",
 *   "carried_out","settled_unacknowledged","unacknowledged_at_end","balanced","identity"},
 *   "total":ROW,"by":{"department":[ROW],"level":[...],
 *   "source":[...],"rule_group":[...]},"zero_response_departments":[...],"overdue":[{"number",
 *   "title","level","department","clock","clock_label","deadline","met_at"|null,
 *   "late_minutes"}],"daily":{"days":["2024-03-01",...],"levels":["I","II","III","IV"],
 *   "counts":[[...per day...] x 4]},"ttr_histogram":{"labels","counts"},"load":[{"band",
 *   "label","tickets","alerts"}],"responses","press_conferences","cohort":{...},"bulletin",
 *   "judging":JUDGING,"percentile_method":"nearest-rank","definitions":[{"term","text"}]}
 * JUDGING (issue #13, stats_judge.h): {"available":false,"absent":"no_data"|"department",
 *   "note"} or {"available":true,TALLY,"auto_confirmed","time":SUMMARY (研判用时),
 *   "auto_time":SUMMARY (确认用时),"carried_forward":{"pending","pending_overdue",
 *   "pending_spike","awaiting_confirmation"},"spike":{TALLY,"time":SUMMARY},
 *   "rule_groups":[{"key",TALLY}]}; TALLY: "judged","by_outcome":[{"name","label","count"}]
 *   (assigned, merged, watching, dismissed),"dismissed_by_reason":[...] (irrelevant,
 *   duplicate, false_alarm, out_of_scope, other),"noise","noise_pct","precision_pct".
 * ROW: {"key" (the group; a source row: the source's name),"source_id" (source rows only:
 *   the id the row counts),"carried_in","added","detected","reopened","closed","dismissed","carried_out",
 *   "returned","overdue_tickets","clocks":{"ack":{"label","due","on_time","late","missed",
 *   "pending","excluded","met","on_time_pct","met_pct"},...},"mtta":{"n","median_s","p90_s",
 *   "mean_s"},"ttr":{...},"ttc":{...} (办结用时),"ttr_histogram":[...],
 *   "settled_unacknowledged" (未签收即办结/不予处置),"unacknowledged_at_end" (期末未签收)}.
 *   Times are RFC 3339 UTC; percentages are numbers rounded half up to one decimal, or null
 *   when nothing was due.
 */
#ifndef STATS_STATS_RENDER_H
#define STATS_STATS_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "stats_write.h"
#include "yq_buf.h"

struct yq_db;

enum stats_format {
    STATS_FORMAT_TEXT = 0, /* the 通报 paragraph and the main tables, for a terminal */
    STATS_FORMAT_HTML = 1,
    STATS_FORMAT_CSV = 2,  /* UTF-8 with BOM, one row per group (every dimension); then,
                              after an empty line each, the 研判 tables */
    STATS_FORMAT_JSON = 3,
};

/* Parse "text", "html", "csv", "json". Returns 0 or ERR_INVALID. */
int stats_format_parse(const char *name, enum stats_format *out);

/*
 * One output format: its name and its writer, which appends the whole of report to out
 * (opts may be NULL) and returns 0, ERR_TOO_BIG (out's maximum reached), ERR_NOMEM or
 * ERR_INVALID; on an error out holds a partial text the caller discards. Writers live in
 * stats_write.c (text, CSV, JSON) and stats_html.c (HTML); a new format is one more writer
 * and one more row of stats_formats[].
 */
struct stats_format_ops {
    const char *name; /* "text", "html", "csv", "json" */
    int (*write)(const struct stats_report *report, const struct stats_render_opts *opts,
                 struct yq_buf *out);
};

/* The formats, indexed by enum stats_format (STATS_FORMAT_COUNT rows). */
#define STATS_FORMAT_COUNT 4
extern const struct stats_format_ops stats_formats[STATS_FORMAT_COUNT];

/*
 * Render report in fmt with its writer (stats_formats[]), into at most STATS_OUT_MAX_BYTES.
 * opts may be NULL. out: new NUL-terminated buffer (free()), out_len its length in bytes (may
 * be NULL). Returns 0, ERR_INVALID (unknown format), ERR_TOO_BIG or ERR_NOMEM.
 * Thread-safe.
 */
int stats_render(const struct stats_report *report, enum stats_format fmt,
                 const struct stats_render_opts *opts, char **out, size_t *out_len);

/*
 * Load the tickets and events of db (borrowed, read-only is enough; stats_load()), compute the
 * report of sopts with its 研判 figures (stats_judge_compute()) and render it: what the CLI and the web UI's statistics page call.
 * Returns 0, ERR_INVALID, ERR_BAD_STATE, ERR_RETRY, ERR_IO or ERR_NOMEM with one line in errbuf.
 */
int stats_render_from_db(struct yq_db *db, const struct stats_opts *sopts, enum stats_format fmt,
                         const struct stats_render_opts *ropts, char **out, size_t *out_len,
                         char *errbuf, size_t errlen);

/*
 * The web UI's statistics page: the month's report of db as JSON (fmt STATS_FORMAT_JSON) or
 * HTML with assets under "/static/stats/" (STATS_FORMAT_HTML). now: the request time
 * (seconds UTC); department: NULL = all (force a liaison's own); cal: the notifier's working-day
 * calendar or NULL. Same returns as stats_render_from_db().
 */
int stats_render_month(struct yq_db *db, int year, int month, int64_t now,
                       const char *department, const struct stats_calendar *cal,
                       enum stats_format fmt, char **out, size_t *out_len, char *errbuf,
                       size_t errlen);

/*
 * A static asset of the report by file name ("echarts.min.js", "stats-charts.js",
 * "stats-report.css"): data (borrowed, static), its length and MIME type.
 * Returns 0 or ERR_NOT_FOUND. echarts.min.js is ERR_NOT_FOUND when the build found no
 * node_modules/echarts (run `npm ci` at the repository root, then rebuild).
 */
int stats_asset_get(const char *name, const unsigned char **data, size_t *len,
                    const char **content_type);

/* The asset file names, NULL-terminated. */
extern const char *const stats_asset_names[];

#endif
