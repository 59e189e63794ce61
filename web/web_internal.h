/*
 * Shared between the web layer's modules (web.c: lifecycle, dispatch, responses, static files
 * and event streams; web_routes.c: the JSON API). Not part of the public API.
 */
#ifndef WEB_INTERNAL_H
#define WEB_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "web.h"
#include "yq_redis.h"

struct rule_set;

struct web {
    struct web_cfg cfg;
    char *db_path; /* the ticket store's file (owned): statistics open it read-only */
    struct web_auth *auth;
    const struct web_ticket_ops *ops;
    void *ops_ctx;
    atomic_bool stopping;
    int64_t last_gc; /* guarded by gc_lock */
    pthread_mutex_t gc_lock;
    /* Redis (sources, rules): one handle, serialised by redis_lock. */
    pthread_mutex_t redis_lock;
    struct yq_redis *redis;
    struct rule_set *rules; /* cached current rule set (or NULL), guarded by redis_lock */
    bool locks_init;
    /* The connection guard (web_guard.c): open connections and the watchdog. */
    pthread_mutex_t guard_lock;
    pthread_cond_t guard_cond; /* CLOCK_MONOTONIC */
    struct web_conn *guard_conns; /* guarded by guard_lock */
    pthread_t guard_thread;
    bool guard_started;
    bool guard_stop;              /* guarded by guard_lock */
    bool guard_init;
};

struct web_conn;

/* c serves an event stream: the total-time guard leaves it alone. */
void web_conn_exempt(struct web *w, struct MHD_Connection *c);

/* c's current request has all its headers: the header deadline and cap no longer apply. */
void web_conn_headers_done(struct web *w, struct MHD_Connection *c);

/*
 * c's request ended (from web_request_completed(), in c's thread): a kept-alive connection
 * now waits for its next request's headers, under the header deadline and cap again.
 */
void web_conn_request_done(struct web *w, struct MHD_Connection *c);

/* Stop the watchdog and free the connection records (after MHD_stop_daemon). */
void web_guard_stop(struct web *w);

/* Per-request state kept in *req_cls: the upload body. */
struct web_req {
    char *body;
    size_t len;
    bool too_big;
    struct web *w;            /* for web_request_completed() */
    struct MHD_Connection *c; /* the request's connection (valid until it completes) */
};

/* One embedded static file (web_assets.c is generated from web/static/ at build time). */
struct web_asset {
    const char *name; /* "app.js" */
    const unsigned char *data;
    size_t len;
};
extern const struct web_asset web_assets[];
extern const size_t web_n_assets;

/* What a handler sees of the request. */
struct web_call {
    struct web *w;
    struct MHD_Connection *c;
    const char *url;
    const char *method;
    struct web_req *req;
    struct web_principal p; /* valid when authed */
    bool authed;
    int64_t now;
    char set_cookie[512]; /* Set-Cookie for the reply, "" = none */
    char retry_after[24]; /* Retry-After for the reply, "" = none */
};

/* Queue a JSON response (v is consumed: decref'd). */
enum MHD_Result web_reply_json(struct web_call *call, unsigned status, json_t *v);

/*
 * Queue {"error":code,"code":machine code,"message":message} with status. message is Chinese
 * for a person; when it is "machine_code: 中文说明" (yq_label_split_error()) "code" is that
 * machine code and "message" the rest, else "code" repeats code (issue #11).
 */
enum MHD_Result web_reply_error(struct web_call *call, unsigned status, const char *code,
                                const char *message);

/*
 * Queue body (len bytes; takes ownership, freed with free()) with status, Content-Type type
 * and, when not NULL, Content-Disposition disposition (borrowed).
 */
enum MHD_Result web_reply_body(struct web_call *call, unsigned status, const char *type,
                               char *body, size_t len, const char *disposition);

/* Queue an empty 204 response. */
enum MHD_Result web_reply_no_content(struct web_call *call);

/* Map a shared error code from a store to 503 (retry) or 500. */
enum MHD_Result web_reply_store_error(struct web_call *call, int err);

/* The request body parsed as a JSON object (new reference) or NULL (sets *bad to true). */
json_t *web_body_json(struct web_call *call);

/* Make the reply set the session cookie to token (NULL: clear it). */
void web_call_set_cookie(struct web_call *call, const char *token);

/* The JSON API; returns MHD_YES/MHD_NO after queueing a response. */
enum MHD_Result web_route_api(struct web_call *call);

/* Statistics (/api/stats/month, /api/stats/year; web_stats.c); rest follows "/api/stats/". */
enum MHD_Result web_route_stats(struct web_call *call, const char *rest);

/* Event stream (/api/events). */
enum MHD_Result web_route_events(struct web_call *call);

/* The current ticket change marker. */
int web_change_marker(struct web *w, int64_t *out);

#endif
