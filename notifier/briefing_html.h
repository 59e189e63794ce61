/*
 * The HTML of the daily briefing (舆情日报) and of an event's 专报 (issue #14): one page that
 * prints on A4 in the statistics report's style (stats/static/stats-report.css, linked from
 * asset_base; the statistics' writer helpers of stats_fmt.h). No script and no inline style (it
 * is served under the web's Content-Security-Policy and prints standalone): the volume bars are
 * inline SVG with presentation attributes. Every string from the store is HTML-escaped.
 */
#ifndef NOTIFIER_BRIEFING_HTML_H
#define NOTIFIER_BRIEFING_HTML_H

#include "briefing.h"
#include "yq_buf.h"

/*
 * Append the briefing b's page titled title to out (caller's buffer with its maximum).
 * asset_base: URL prefix of stats-report.css ("/static/stats/" on the web, "" beside a file).
 * Returns 0, ERR_TOO_BIG (out's maximum) or ERR_NOMEM; on an error out holds a partial page.
 */
int briefing_html_daily(const struct briefing *b, const char *title, const char *asset_base,
                        struct yq_buf *out);

/* Append r's 专报 page to out. Same arguments and returns. */
int briefing_html_event(const struct briefing_event_report *r, const char *asset_base,
                        struct yq_buf *out);

#endif
