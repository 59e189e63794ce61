/*
 * Source kinds as a table of functions: how the poller polls one kind of source, from the
 * first request of a cycle to its end. poller.c calls a source's ops (source_run.kind) at
 * each step and knows no kind by name; the kinds do their work through source_run.h (queue
 * a request, end the cycle) and never call poller.c.
 *
 *   kind (sources.yaml)  ops                 file
 *   rss                  source_kind_feed    poller_feed.c   RSS, RDF, Atom, JSON Feed
 *   wechat_feed          source_kind_feed    poller_feed.c   polled as a feed; its item ids
 *                                                            are WeChat's (ingest.c, wechat.c)
 *   weibo_user           source_kind_weibo   poller_weibo.c  m.weibo.cn getIndex + long texts
 *   weibo_search         source_kind_weibo   poller_weibo.c  (URL and Referer by kind_id)
 *
 * Adding a source kind = one file filling a struct source_kind_ops + one row in
 * source_kind.c's table (and its name in enum source_kind and collector_cfg.c's kinds).
 * Every op runs on the event loop's thread except parse (a parse thread).
 */
#ifndef YQ_SOURCE_KIND_H
#define YQ_SOURCE_KIND_H

#include <curl/curl.h>
#include <stdbool.h>

#include "collector_cfg.h"

struct source_run;
struct parse_job;

struct source_kind_ops {
    const char *name; /* for logs: "feed", "weibo" */
    /*
     * URL of the first request of src's cycles (cfg, src borrowed): a new string (free()),
     * or NULL on ERR_NOMEM. Also keys the per-host limit.
     */
    char *(*first_url)(const struct collector_config *cfg, const struct source_cfg *src);
    /*
     * Append the kind's headers for r's next request (r->next_job) to *headers (before the
     * source's own "headers:"). NULL = none. Returns 0 or ERR_NOMEM.
     */
    int (*add_headers)(struct source_run *r, struct curl_slist **headers);
    /* Begin r's cycle: queue its first request (source_run_queue()) or end the cycle. */
    void (*begin)(struct source_run *r);
    /*
     * r's transfer ended with an HTTP response (body in r->body; content_type and
     * effective_url borrowed, may be NULL): queue the next request or end the cycle, and
     * return false; or return true to have the body parsed on a parse thread (parse, then
     * parsed on the event loop).
     */
    bool (*done)(struct source_run *r, long http_status, const char *content_type,
                 const char *effective_url);
    /*
     * On a parse thread: read j's body (j->body, j->status, j->content_type, ...) into j's
     * result fields and j->err/err_msg. Touches only j and the read-only config (cc, j->r->cfg).
     */
    void (*parse)(struct parse_job *j, const struct collector_cfg *cc);
    /* Back on the event loop: ingest j's result (j owned by the caller) and end or go on. */
    void (*parsed)(struct source_run *r, struct parse_job *j);
    /* Forget r's cycle state (end of a cycle, poller_free()). NULL = nothing to forget. */
    void (*reset)(struct source_run *r);
};

extern const struct source_kind_ops source_kind_feed;
extern const struct source_kind_ops source_kind_weibo;

/* The ops polling sources of kind (borrowed, static). Never NULL for a known kind. */
const struct source_kind_ops *source_kind_of(enum source_kind kind);

#endif
