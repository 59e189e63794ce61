/*
 * The 研判 figures of the monthly report (issue #13, docs/desk.md, docs/statistics.md "研判"):
 * how fast the duty officer decided the events of the 研判 inbox, what was decided, and per
 * rule group how many of its events were judged noise (误报 or 与本地无关), so the office can see
 * which rules make noise. Computed without SQL from struct stats_event records (stats.h holds
 * them and the figures' types, struct stats_judge; stats_load.h reads the events from the
 * ticket store's events and event_log, schema 9 on).
 *
 * Window and cut-off as the rest of the report (stats.h): an event counts in the window that
 * holds its first decision (decided_at in [start, cutoff)); an event detected before the
 * cut-off with no decision before it is carried forward as 待研判 (or 交办待确认).
 *
 * Times are int64 seconds since the Unix epoch (UTC); 0 means "not yet".
 */
#ifndef STATS_STATS_JUDGE_H
#define STATS_STATS_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/*
 * Fill report->judge (NULL before: computed once; a new struct, released with the report by
 * stats_report_free()) from n events (borrowed; read only during the call) for the report's
 * window and cut-off. have_events: the store keeps events (schema 9 on); false gives absent
 * STATS_JUDGE_NO_DATA. A report with a department filter gets STATS_JUDGE_DEPARTMENT (no
 * figures: 研判 is the duty office's work).
 * Percentiles: stats_summarise() (the report's one method). Returns 0, ERR_BAD_STATE
 * (report->judge already set) or ERR_NOMEM (the report is then unchanged). Thread-safe.
 */
int stats_judge_compute(struct stats_report *report, const struct stats_event *events, size_t n,
                        bool have_events);

/* The share of noise in tenths of a percent (噪声率, rounded half up) and the precision
 * 1000 - that (so the two always add up to 100%); both -1 when tally judged nothing. */
int64_t stats_judge_noise_tenths(const struct stats_judge_tally *t);
int64_t stats_judge_precision_tenths(const struct stats_judge_tally *t);

#endif
