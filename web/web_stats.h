/*
 * The statistics API of the web UI (web_stats.c; issue #7, docs/statistics.md):
 * GET /api/stats/month and /api/stats/year as JSON or a CSV download. Internal to the web layer.
 */
#ifndef WEB_STATS_H
#define WEB_STATS_H

#include <microhttpd.h>

struct web_call;

/* Answer a statistics request; rest is what follows "/api/stats/" ("month", "year"). */
enum MHD_Result web_route_stats(struct web_call *call, const char *rest);

#endif
