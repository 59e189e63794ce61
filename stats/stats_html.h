/*
 * The HTML report (stats_html.c): static markup that prints on A4, no inline script or style
 * (it is served under the notifier's Content-Security-Policy), every dynamic string escaped,
 * the chart data in a JSON data block. A struct stats_format_ops writer (stats_render.h).
 */
#ifndef STATS_STATS_HTML_H
#define STATS_STATS_HTML_H

#include "stats.h"
#include "stats_write.h"
#include "yq_buf.h"

/*
 * Append report as one HTML page to out (borrowed, initialised by the caller with its
 * maximum). opts (may be NULL): asset_base (the URL prefix of the assets) and office (the
 * issuing office in the title). Returns 0, ERR_TOO_BIG, ERR_NOMEM or ERR_INVALID; on an error
 * out holds a partial page to discard. Thread-safe.
 */
int stats_write_html(const struct stats_report *report, const struct stats_render_opts *opts,
                     struct yq_buf *out);

#endif
