/*
 * GET /api/search (the archive searched in the rule language), CSV export, saved searches (/api/search/saved...) (issue #14, docs/api.md).
 */
#ifndef WEB_SEARCH_H
#define WEB_SEARCH_H

#include "web_internal.h"

/* Answer the request (call borrowed); rest: the URL after the route's prefix. */
enum MHD_Result web_route_search(struct web_call *call, const char *rest);

#endif
