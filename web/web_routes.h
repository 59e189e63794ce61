/*
 * The JSON API of the web UI (web_routes.c): login/logout/me/password, users, departments,
 * API tokens, tickets (through the notifier's ticket ops) and held items; statistics
 * (web_stats.h), sources and rules (web_system.h) are dispatched from here. Internal to the
 * web layer: web.c calls web_route_api() once a request is authenticated and CSRF-checked.
 */
#ifndef WEB_ROUTES_H
#define WEB_ROUTES_H

#include <microhttpd.h>
#include <stddef.h>

#include "web_auth.h"

struct web_call;


/* Answer call, an /api/ request other than /api/events; returns MHD_YES/MHD_NO after queueing. */
enum MHD_Result web_route_api(struct web_call *call);

#endif
