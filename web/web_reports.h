/*
 * /api/reports/... (the daily briefing 舆情日报 and an event's special report 专报) (issue #14, docs/api.md).
 */
#ifndef WEB_REPORTS_H
#define WEB_REPORTS_H

#include "web_internal.h"

/* Answer the request (call borrowed); rest: the URL after the route's prefix. */
enum MHD_Result web_route_reports(struct web_call *call, const char *rest);

#endif
