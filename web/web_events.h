/*
 * The event stream of the web UI (web_events.c): GET /api/events, server-sent events telling
 * open pages that tickets changed, with per-user and server-wide caps on open streams.
 * Internal to the web layer.
 */
#ifndef WEB_EVENTS_H
#define WEB_EVENTS_H

#include <jansson.h>
#include <microhttpd.h>

struct web;
struct web_call;

/*
 * Answer GET /api/events for an authenticated call: a text/event-stream that sends "hello",
 * then "intake" (web_intake_json(), compact) at once and whenever it changes, and "tickets"
 * whenever the change marker moves, until web.sse_max_stream_ms, shutdown or the client
 * leaves. 401/403 without the right, 429/503 past the stream caps.
 * Blocks its connection's thread between events (one thread per connection).
 */
enum MHD_Result web_route_events(struct web_call *call);

/* Bytes of the intake JSON an event stream sends, at most (4 dependencies take ~600). */
#define WEB_INTAKE_JSON_MAX 1024

/*
 * Whether new posts can reach the desk: the ops' intake dependencies (web_ticket_ops.intake,
 * the notifier's /healthz flags) as {"ok": true when every one is up (or none is known),
 * "down": [{"dependency": "kafka"|"store", "state": "down"|"unknown", "code":
 * "<dependency>_<state>", "label": its YQ_LABEL_INTAKE_FAULT label ("Kafka 不可达"), "since":
 * RFC 3339 UTC of its last change, or null when not known}]} (the not-up ones, in the ops'
 * order). GET /api/meta/intake adds "now". Returns a new object, or NULL (out of memory).
 * Thread-safe as the op is.
 */
json_t *web_intake_json(struct web *w);

/* The event page's hot-search ranks: terms and polls per event, at most. */
#define WEB_HOT_TERMS_MAX 20
#define WEB_HOT_POINTS_MAX 2016

/*
 * Add "hot" to the event JSON ev (GET /api/inbox/{id}; modified in place) for its weibo_hot
 * items (issue #15): one object per (source_id, term) among ev's "items" whose item_id has the
 * form "wbhot:<sha1>:<entered_at>:<trigger>", at most WEB_HOT_TERMS_MAX:
 *   {"term": the item's title, "source_id", "entered_at": RFC 3339 of the earliest stay among
 *    the event's items, "best_rank": the best rank polled since (null when none),
 *    "points": [{"at": RFC 3339, "rank": N (0 = pinned), "heat": N or null}] oldest first,
 *    at most WEB_HOT_POINTS_MAX, read from Redis (common/yq_hot.h)}.
 * When Redis is not configured (web.sources_enabled and web.rules_enabled both off) or does
 * not answer, points are empty and ev gets "hot_ranks_unavailable": true. ev without such
 * items is left as it is. Takes w->redis_lock. Returns 0 or ERR_NOMEM.
 */
int web_events_add_hot(struct web *w, json_t *ev);

#endif
