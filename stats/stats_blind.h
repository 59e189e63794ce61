/*
 * The annex 监测盲区 of the monthly (and annual) report (issue #15, docs/statistics.md "监测盲区"):
 * per collector source, how long in the period it was blind (failing, walled, stale, quiet or
 * unpolled: the windows of the ticket store's table source_blind_windows, migration 11), the
 * longest gap, the hours of each reason and the number of windows; and the count of public
 * responses detected on official channels (a confirmed response_proposals row names the
 * response) against those entered by hand.
 *
 * Rules, with the report's window [start, end) and cut-off = min(end, now) (stats.h):
 *  - a window counts from max(started_at, start) to min(ended_at, cut-off); an open window (or
 *    one that ended after the cut-off) runs to the cut-off; a window that clips to nothing is
 *    not counted;
 *  - a source's hours blind are the union of its clipped windows (overlapping windows of two
 *    reasons count once); its longest gap is the longest interval of that union; the hours of
 *    one reason are the union of that reason's windows (so the reasons may add up to more than
 *    the total when they overlap); windows = its windows that clip to something;
 *  - sources are sorted by hours blind, most first, then by source id; the total line sums the
 *    sources' hours and windows and takes the longest gap of all.
 * Hours are shown with one decimal, rounded half up from seconds (stats_blind_tenths()).
 *
 * Times are int64 seconds since the Unix epoch (UTC); 0 means "not yet" (an open window).
 */
#ifndef STATS_STATS_BLIND_H
#define STATS_STATS_BLIND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "stats_fmt.h"

struct yq_db;

/* One recorded window, as the annex reads it. Strings borrowed (NUL-terminated). */
struct stats_blind_window {
    const char *source_id;   /* required */
    const char *source_name; /* may be NULL or "": the annex shows the id */
    enum yq_blind_reason reason;
    int64_t started_at;
    int64_t ended_at; /* 0 while open */
};

/*
 * Fill report->blind (NULL before; a new struct released with the report by
 * stats_report_free()) from n windows (borrowed; read only during the call) for the report's
 * window and cut-off. have_windows false: absent STATS_BLIND_NO_DATA; a department filter:
 * STATS_BLIND_DEPARTMENT. Returns 0, ERR_BAD_STATE (already set), ERR_INVALID (a window
 * without source_id or with a reason out of range) or ERR_NOMEM (report unchanged).
 */
int stats_blind_compute(struct stats_report *report, const struct stats_blind_window *w, size_t n,
                        bool have_windows);

/*
 * Read the blind windows overlapping the report's [start, cut-off) and the responses detected
 * on official channels in that range (of the report's department when it has one) from db
 * (borrowed, a ticket store, read-only is enough) and fill report->blind (stats_blind_compute())
 * and report->responses_detected / responses_detection_known. A store without the tables
 * (schema < 11) gives STATS_BLIND_NO_DATA and responses_detection_known false: not an error.
 * Returns 0, ERR_BAD_STATE, ERR_RETRY (busy), ERR_IO or ERR_NOMEM; errbuf one line.
 */
int stats_blind_load(struct yq_db *db, struct stats_report *report, char *errbuf, size_t errlen);

/* Seconds as tenths of an hour, rounded half up (3 h 03 min: 31). */
int64_t stats_blind_tenths(int64_t s);

/*
 * The writers' parts (stats_write.c, stats_html.c): the annex as a JSON object (new reference
 * or NULL; {"note"} when absent), an HTML section, CSV lines after an empty line, text lines;
 * and the 通报's sentence on detected and hand-entered responses (nothing when unknown or
 * when the period had no response).
 */
json_t *stats_blind_json(const struct stats_report *r);
void stats_blind_html(struct stats_out *b, const struct stats_report *r);
void stats_blind_csv(struct stats_out *b, const struct stats_report *r);
void stats_blind_text(struct stats_out *b, const struct stats_report *r);
void stats_blind_bulletin(struct stats_out *b, const struct stats_report *r);

#endif
