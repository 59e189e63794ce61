/*
 * /api/reports... (issue #14, docs/api.md): the daily briefings (舆情日报) and an event's
 * special reports (专报), through the notifier's struct web_report_ops (web_ticket_ops.reports).
 *
 *   GET  /api/reports?kind=daily|event&limit=N   {"reports":[row...],"now"} newest first
 *                                                 (limit 1..200, default 50)
 *   GET  /api/reports/{id}                        the report's HTML (text/html; the web's
 *                                                 security headers; prints standalone)
 *   POST /api/reports/daily {"day":"YYYY-MM-DD"}  the stored or a new briefing of that day
 *                                                 (the day its period ends; no day: the latest
 *                                                 ended) -> {"report":row,"created":bool}
 *   POST /api/reports/event/{event_id}            a new 专报 -> 201 {"report":row,"created":true}
 *
 * Roles: every signed-in role reads the daily briefings; duty officers and admins read every
 * 专报, liaisons and heads only those of events whose ticket their department leads or
 * co-handles (403 otherwise, absent from their list). Only duty officers and admins write
 * (403 for liaisons and heads). No ops (a web without the notifier): 503.
 */
#ifndef WEB_REPORTS_H
#define WEB_REPORTS_H

#include "web_internal.h"

/* Answer the request (call borrowed); rest: the URL after the route's prefix. */
enum MHD_Result web_route_reports(struct web_call *call, const char *rest);

#endif
