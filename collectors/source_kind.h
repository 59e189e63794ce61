/*
 * Source kinds as a table of functions: how the poller polls one kind of source, from the
 * first request of a cycle to its end, and how `yuqingctl sources check` fetches and reads
 * it once (first_url, user_agent, src_headers, check). poller.c and sources_cli.c call a
 * source's ops (source_kind_of()) and know no kind by name; the kinds do their work through source_run.h (queue
 * a request, end the cycle) and never call poller.c.
 *
 *   kind (sources.yaml)  ops                 file
 *   rss                  source_kind_feed    poller_feed.c   RSS, RDF, Atom, JSON Feed
 *   wechat_feed          source_kind_feed    poller_feed.c   polled as a feed; its item ids
 *                                                            are WeChat's (ingest.c, wechat.c)
 *   weibo_user           source_kind_weibo   poller_weibo.c  m.weibo.cn getIndex + long texts
 *   weibo_search         source_kind_weibo   poller_weibo.c  (URL and Referer by kind_id)
 *   weibo_hot            source_kind_weibo_hot poller_weibo_hot.c  the hot-search list (热搜榜,
 *                                                            issue #15): ranks per poll, an
 *                                                            item when an entry enters/rises
 *
 * Adding a source kind = one file filling a struct source_kind_ops + one row in
 * source_kind.c's table (and its name in enum source_kind and collector_cfg.c's kinds).
 * Every op runs on the event loop's thread except parse (a parse thread).
 */
#ifndef YQ_SOURCE_KIND_H
#define YQ_SOURCE_KIND_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>

#include "collector_cfg.h"
#include "source_state.h"
#include "yq_err.h"

struct source_run;
struct parse_job;
struct source_check;

/* The response `yuqingctl sources check` read for a source (every pointer borrowed). */
struct source_check_input {
    const char *body;          /* len bytes, not NUL-terminated */
    size_t len;
    long http_status;
    const char *content_type;  /* may be NULL */
    const char *effective_url; /* may be NULL */
};

struct source_kind_ops {
    const char *name; /* for logs: "feed", "weibo" */
    /*
     * URL of the first request of src's cycles (cfg, src borrowed): a new string (free()),
     * or NULL on ERR_NOMEM. Also keys the per-host limit.
     */
    char *(*first_url)(const struct collector_config *cfg, const struct source_cfg *src);
    /* The User-Agent of the kind's requests (fetch_setopts()): one of cc's (borrowed). */
    const char *(*user_agent)(const struct collector_cfg *cc);
    /*
     * Append the headers every request of src (borrowed) carries, in the poller and in
     * `yuqingctl sources check` alike (before the source's own "headers:"). NULL = none.
     * Returns 0 or ERR_NOMEM (what was appended stays in *headers).
     */
    int (*src_headers)(const struct source_cfg *src, struct curl_slist **headers);
    /*
     * Append the headers of r's next request (r->next_job) that depend on the poller's state
     * (after src_headers). NULL = none. Returns 0 or ERR_NOMEM.
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
     * On a parse thread: read j's body (j->body, j->status, j->content_type, ...) into j->out
     * (the kind's own result type) and j->err/err_msg. Touches only j and the read-only config (cc,
     * j->r->cfg).
     */
    void (*parse)(struct parse_job *j, const struct collector_cfg *cc);
    /*
     * Back on the event loop: ingest j's result (j owned by the caller) and end or go on.
     * budget: the entries this loop pass may still ingest (> 0); the op takes from it what it
     * used and, when that was not all, returns false to be called again with j at a later pass
     * (r stays parsing meanwhile, so the loop drives the other transfers between the chunks).
     * Returns true once done with j.
     */
    bool (*parsed)(struct source_run *r, struct parse_job *j, size_t *budget);
    /*
     * Free what parse (and parsed) left in j->out: after parsed, or for a job that was never
     * parsed or never ingested (out still NULL, or set at a shutdown). Any thread.
     * NULL = the kind's jobs hold nothing.
     */
    void (*release_job)(struct parse_job *j);
    /* Forget r's cycle state (end of a cycle, poller_free()). NULL = nothing to forget. */
    void (*reset)(struct source_run *r);
    /*
     * `yuqingctl sources check` (sources_cli.c): read the response in (borrowed) to the first
     * request of src into out's format, encoding, bozo, entries and newest. Returns the
     * source's state: SOURCE_OK, or another with one line in why (why_len bytes). On the
     * caller's thread; touches only out and why.
     */
    enum source_state (*check)(const struct collector_config *cfg, const struct source_cfg *src,
                               const struct source_check_input *in, struct source_check *out,
                               char *why, size_t why_len);
};

/*
 * A check op's parse failure err (ERR_*): why keeps the parser's line, or gets
 * yq_strerror(err) when the parser left it empty. Returns st (the state to report).
 */
static inline enum source_state source_check_failed(int err, enum source_state st, char *why,
                                                    size_t why_len)
{
    /* inline: the kinds' files call it and source_kind.c names their ops tables, so a
       definition there would make a call circle between them */
    if (!why[0]) {
        snprintf(why, why_len, "%s", yq_strerror(err));
    }
    return st;
}

extern const struct source_kind_ops source_kind_feed;
extern const struct source_kind_ops source_kind_weibo;
extern const struct source_kind_ops source_kind_weibo_hot;

/* The ops polling sources of kind (borrowed, static). Never NULL for a known kind. */
const struct source_kind_ops *source_kind_of(enum source_kind kind);

#endif
