/*
 * The request types shared by the web layer's files; not part of the public API. Types only:
 * each file's functions are declared in its own header, so no two files depend on each other
 * in a circle. The files, from the bottom up:
 *   web_text.c    JSON without markup characters, HTML escaping, linkable URLs
 *   web_reply.c   every reply: JSON, errors, bodies, security headers, cookies (web_reply.h)
 *   web_guard.c   the connection guard (slow and greedy clients)
 *   web_system.c  sources and rules (Redis); web_stats.c statistics; web_events.c the
 *                 event stream
 *   web_routes.c  the JSON API's dispatch and the ticket, desk (研判 inbox, silences: issue
 *                 #13, through web_ticket_ops.desk), user and session routes
 *   web.c         lifecycle, static pages, authentication, CSRF and the request dispatch
 *   web_archive.c the archive handle the search and backtest routes read (web_archive())
 */
#ifndef WEB_INTERNAL_H
#define WEB_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "rules_store.h"
#include "web_auth.h"
#include "web_types.h"
#include "yq_buf.h"
#include "yq_redis.h"

struct rule_set;

struct archive;

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
    struct rules_pointer rules_ptr; /* the version and epoch it was loaded for, same lock */
    bool locks_init;
    bool cfg_owned; /* cfg's strings are the web's own copies (cfg_own_strings()) */
    /* The connection guard (web_guard.c): open connections and the watchdog. */
    pthread_mutex_t guard_lock;
    pthread_cond_t guard_cond; /* CLOCK_MONOTONIC */
    struct web_conn *guard_conns; /* guarded by guard_lock */
    pthread_t guard_thread;
    bool guard_started;
    bool guard_stop;              /* guarded by guard_lock */
    bool guard_init;
    /* The archive (web.archive_dir), opened read-only on first use; guarded by archive_lock. */
    pthread_mutex_t archive_lock;
    struct archive *archive;
};

/*
 * The archive that search and backtests read (web.archive_dir), opened read-only on the first
 * call and kept until web_free(); while it cannot be opened every call tries again (the archive
 * may be initialised after the notifier started). *out: borrowed, shared by threads (archive.h).
 * Returns 0, ERR_NOT_FOUND ("no archive configured" when web.archive_dir is empty, or
 * archive_open()'s "no such archive") or archive_open()'s other errors, one line in errbuf.
 */
int web_archive(struct web *w, struct archive **out, char *errbuf, size_t errlen);

/* Per-request state kept in *req_cls: the upload body. */
struct web_req {
    struct yq_buf body;       /* the upload, at most web.max_body_bytes */
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
    const char *url;  /* the path routed (the absolute form's path: yq_metrics_http_target()) */
    const char *host; /* the request's host (yq_metrics_http_request_host()); NULL: none */
    const char *method;
    struct web_req *req;
    struct web_principal p; /* valid when authed */
    bool authed;
    int64_t now;
    char set_cookie[512]; /* Set-Cookie for the reply, "" = none */
    char retry_after[24]; /* Retry-After for the reply, "" = none */
};

#endif
