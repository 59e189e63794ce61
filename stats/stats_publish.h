/*
 * The published 通报 (issue #17, docs/statistics.md "The published 通报"): a month's report,
 * once the office publishes it (`yuqingctl stats publish 2026-11`, the web statistics page's
 * 发布通报 for an admin or duty officer), is stored as published in the ticket store's table
 * stats_publications (schema 12; append-only: triggers refuse UPDATE and DELETE, as for
 * ticket_log): the report in every format (JSON, text, CSV, HTML), each ticket's contribution
 * (stats_signatures()), who published it, with what role, and when.
 *
 * Later views of the month show the published figures and, beside them, the differences that
 * later entries make: the month recomputed with everything recorded up to now (stats_opts
 * known_at = now: responses recorded after the cut-off that state a time in the month, a
 * reopening that reverses a dismissal, a re-grading, a reassignment), figure by figure, and the
 * tickets whose contribution changed. The year's figures are built from the published months
 * plus those differences, named (stats_year_published()).
 *
 * All functions take a borrowed SQLite connection of the ticket store; publishing needs a
 * read-write one, the rest read only.
 */
#ifndef STATS_STATS_PUBLISH_H
#define STATS_STATS_PUBLISH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "stats_render.h"
#include "yq_buf.h"

struct yq_db;

/* The most bytes of an actor or role name stored with a publication. */
#define STATS_PUBLISHER_MAX 64

/* A month as published. Strings owned (stats_publication_release()). */
struct stats_publication {
    char period[8];       /* "2026-11" */
    int64_t window_start; /* the month's first instant, seconds UTC */
    int64_t cutoff;       /* the report's cut-off (the month's end) */
    int64_t published_at;
    char *published_by;
    char *role;
    char *report_json; /* the formats of stats_render.h, as published */
    char *report_text;
    char *report_csv;
    char *report_html;
    char *tickets_json; /* {"YQ-2026-11-0042": signature line, ...} (stats_signatures()) */
};

/*
 * Publish the month of opts (period STATS_PERIOD_MONTH; opts->now the publication time; its
 * calendar and rule groups; no department filter) as at its cut-off: compute it from db (which
 * must be writable), render every format (HTML assets under asset_base, NULL = beside the file)
 * and insert it with by (1..STATS_PUBLISHER_MAX bytes of UTF-8 without control characters)
 * and role in one transaction. out (may be NULL): the stored publication.
 * Returns 0; ERR_INVALID (not a month, a department filter, a bad actor or role);
 * ERR_BAD_STATE (the month has not ended at opts->now, or the store is older than schema 12:
 * errbuf says which); ERR_EXISTS (already published: a publication does not change; errbuf
 * names who and when); ERR_RETRY, ERR_IO, ERR_NOMEM. errbuf: one line (Chinese, then English).
 */
int stats_publish(struct yq_db *db, const struct stats_opts *opts, const char *by,
                  const char *role, const char *asset_base, struct stats_publication *out,
                  char *errbuf, size_t errlen);

/*
 * The publication of year-month, into out (zeroed first). Returns 0, ERR_NOT_FOUND (not
 * published, or a store before schema 12), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int stats_publication_get(struct yq_db *db, int year, int month, struct stats_publication *out,
                          char *errbuf, size_t errlen);

/* Free what p owns and zero it. NULL is a no-op. */
void stats_publication_release(struct stats_publication *p);

/*
 * The differences between the publication pub and the month of opts recomputed with what is
 * known at opts->now (known_at = now; opts->period month; opts->department NULL = the total
 * and every department row, else that department's row only and the tickets it concerns).
 * out: a new object {"known_at","changed":bool,"figures":[{"row","figure","label",
 * "published","now","delta"}],"tickets":[{"number","published":line|null,"now":line|null}]}
 * (figures: the counts of the carry-over, 退回, 超期件数 and each clock's 应办, 按时, 超时完成,
 * 超时未完成 and 不计 of each row, and the month's responses and press conferences; a figure is
 * listed only when it changed). Returns 0, ERR_PARSE (the stored JSON does not parse),
 * ERR_INVALID, ERR_BAD_STATE, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int stats_publication_diff(struct yq_db *db, const struct stats_publication *pub,
                           const struct stats_opts *opts, json_t **out, char *errbuf,
                           size_t errlen);

/*
 * The year's figures from its published months: out = {"months_published":N,"months":[{"period",
 * "published_at","published_by","role","figures":{name: published total},"differences":
 * {name: delta},"tickets":[numbers behind the differences]}],"totals":[{"figure","label",
 * "published","differences","total"}]} for the months of opts->year published in db (opts:
 * period year, now, calendar, rule groups). Additive figures only (those of
 * stats_publication_diff() for the total row). Returns as stats_publication_diff().
 */
int stats_year_published(struct yq_db *db, const struct stats_opts *opts, json_t **out,
                         char *errbuf, size_t errlen);

/*
 * The differences object of stats_publication_diff() (or the year object of
 * stats_year_published()) as Chinese text lines appended to out, e.g. "发布后变动：合计
 * 回应（48小时） 超时未完成 1 → 2（+1）" and the tickets. Returns 0, ERR_TOO_BIG or ERR_NOMEM.
 */
int stats_diff_text(const json_t *diff, struct yq_buf *out);
int stats_year_published_text(const json_t *year, struct yq_buf *out);

/*
 * What the CLI and the web page show for a month (opts: period month): when it was published,
 * the publication (JSON: the published report with "publication" {"period","published_at",
 * "published_by","role","cutoff"} and "differences" (stats_publication_diff()); text: the
 * published text, who published it and the differences; CSV and HTML: as published); with a
 * department filter, that department's report now with the publication and its differences.
 * A month not published: the report as computed now (JSON with "publication": null).
 * out: new NUL-terminated text (free()). Returns as stats_render_from_db().
 */
int stats_month_view(struct yq_db *db, const struct stats_opts *opts, enum stats_format fmt,
                     const struct stats_render_opts *ropts, char **out, size_t *out_len,
                     char *errbuf, size_t errlen);

/*
 * The year's report (opts: period year) with, for JSON, "published" (stats_year_published())
 * and, for text, the figures built from the published months plus their differences. CSV,
 * HTML and a department's year are the report alone. Returns as stats_render_from_db().
 */
int stats_year_view(struct yq_db *db, const struct stats_opts *opts, enum stats_format fmt,
                    const struct stats_render_opts *ropts, char **out, size_t *out_len,
                    char *errbuf, size_t errlen);

#endif
