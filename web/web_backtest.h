/*
 * POST /api/rules/backtest (a draft rule set tried on the archive) (issue #14, docs/api.md).
 */
#ifndef WEB_BACKTEST_H
#define WEB_BACKTEST_H

#include "web_internal.h"

/* Answer the request (call borrowed); rest: the URL after the route's prefix. */
enum MHD_Result web_route_rules_backtest(struct web_call *call);

#endif
