/*
 * The event stream of the web UI (web_events.c): GET /api/events, server-sent events telling
 * open pages that tickets changed, with per-user and server-wide caps on open streams.
 * Internal to the web layer.
 */
#ifndef WEB_EVENTS_H
#define WEB_EVENTS_H

#include <microhttpd.h>

struct web_call;

/*
 * Answer GET /api/events for an authenticated call: a text/event-stream that sends "hello",
 * then "tickets" whenever the change marker moves, until web.sse_max_stream_ms, shutdown or
 * the client leaves. 401/403 without the right, 429/503 past the stream caps.
 * Blocks its connection's thread between events (one thread per connection).
 */
enum MHD_Result web_route_events(struct web_call *call);

#endif
