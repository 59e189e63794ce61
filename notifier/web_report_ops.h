/*
 * struct web_report_ops over the notifier's store (issue #14): the daily briefings and 专报 of
 * briefing.h for the web layer's /api/reports routes. ctx is the same struct web_notifier_ctx
 * as the ticket ops' (web_notifier_ctx.h): listing and reading take its reader handle, writing
 * its writer (whose policy carries the briefing's environment: ticket_policy.briefing), both
 * under its lock. web_notifier_ops.reports points here.
 */
#ifndef WEB_REPORT_OPS_H
#define WEB_REPORT_OPS_H

#include "web_types.h"

extern const struct web_report_ops web_report_ops;

#endif
