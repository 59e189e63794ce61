/*
 * The Weibo poll cycle of one source, driven by poller.c's event loop one request at a time
 * (polite: never two requests of one source at once):
 *   1. WB_RETRY: posts sent truncated earlier (yuqing:source:<id>:longtext) get another
 *      statuses/extend request; a success produces the completed item again (same id).
 *   2. WB_PAGE: a getIndex page (page 1, then since_id or page=N paging).
 *   3. WB_EXTEND: every new post of the page that needs its long text gets statuses/extend;
 *      a failure leaves it truncated=true and queued for step 1 of later cycles (FC-001).
 *   The page's posts are then ingested. Paging continues while every non-pinned post of the
 *   page was new, a cursor exists and max_pages is not reached (pinned posts do not end it).
 * Every response is classified first (weibo_classify): ok:0 is an empty success, ok:-100,
 * 418, 432, 403, visitor pages are failures with their own state (FC-005).
 *
 * Lower time bound (issue #10), window = collector.weibo_first_crawl_window (0 = off):
 * - a source's first crawl (no baseline_at or last_success in its health hash) marks the
 *   posts it finds that are older than the window (or have no time) as seen without producing
 *   them: a baseline; posts newer than the window go out as new items. Once that cycle ends
 *   well, baseline_at is recorded;
 * - a pinned post older than the window is never new, at any crawl (marked seen, not sent).
 * Such posts get no long-text request and count as "not new" for paging.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "poller_internal.h"
#include "source_run.h"
#include "sources_cli.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define RETRY_BATCH 10
#define RETRY_MAX_AGE_S (7 * 86400)
#define URL_MAX 4096

static void weibo_reset(struct source_run *r)
{
    struct weibo_cycle *wb = &r->wb;

    free(wb->api_base); /* derived again from r->first_url at the next begin */
    wb->api_base = NULL;
    weibo_page_release(&wb->page);
    store_strings_free(wb->retry_mids, wb->n_retry);
    store_strings_free(wb->retry_jsons, wb->n_retry);
    wb->retry_mids = NULL;
    wb->retry_jsons = NULL;
    wb->n_retry = 0;
    wb->next_retry = 0;
    wb->next_post = 0;
    wb->pages_done = 0;
    wb->since_id[0] = '\0';
    wb->page_no = 0;
    memset(&wb->total, 0, sizeof(wb->total));
    wb->first_crawl = false;
    wb->baselined = 0;
    wb->baseline_deferred = false;
}

/* scheme://host[:port] of url (new), or NULL. */
static char *api_base_of(const char *url)
{
    const char *h = strstr(url, "://");
    size_t n;
    if (!h) {
        return NULL;
    }
    n = (size_t)(h + 3 - url) + strcspn(h + 3, "/?#");
    return strndup(url, n);
}

static void queue_extend(struct source_run *r, const char *mid, enum job_kind job)
{
    char url[URL_MAX];
    snprintf(url, sizeof(url), "%s/statuses/extend?id=%s", r->wb.api_base, mid);
    if (source_run_queue(r, url, job) != 0) {
        source_run_fail(r, 0, SOURCE_NETWORK_ERROR, "out of memory");
    }
}

static void queue_page(struct source_run *r)
{
    struct weibo_cycle *wb = &r->wb;
    char url[URL_MAX];

    wb->phase = WB_PAGE;
    if (wb->pages_done == 0) {
        snprintf(url, sizeof(url), "%s", r->first_url);
    } else if (wb->since_id[0]) {
        snprintf(url, sizeof(url), "%s&since_id=%s", r->first_url, wb->since_id);
    } else {
        snprintf(url, sizeof(url), "%s&page=%lld", r->first_url, (long long)(wb->pages_done + 1));
    }
    if (source_run_queue(r, url, JOB_WEIBO_PAGE) != 0) {
        source_run_fail(r, 0, SOURCE_NETWORK_ERROR, "out of memory");
    }
}

/* Next pending retry, else the first page. */
static void next_retry_or_page(struct source_run *r)
{
    struct weibo_cycle *wb = &r->wb;
    if (wb->next_retry < wb->n_retry) {
        wb->phase = WB_RETRY;
        queue_extend(r, wb->retry_mids[wb->next_retry], JOB_WEIBO_RETRY);
        return;
    }
    queue_page(r);
}

static void weibo_begin(struct source_run *r)
{
    struct weibo_cycle *wb = &r->wb;

    weibo_reset(r);
    if (!wb->api_base) {
        wb->api_base = api_base_of(r->first_url);
        if (!wb->api_base) {
            source_run_fail(r, 0, SOURCE_NETWORK_ERROR, "bad Weibo URL");
            return;
        }
    }
    if (r->p->cfg->collector.weibo_first_crawl_window_ms > 0) {
        bool before = false;
        /* Redis down: taken as a first crawl (the items would be deferred anyway) */
        wb->first_crawl = store_crawled_before(r->p->store, r->cfg->id, &before) != 0 || !before;
    }
    /* Redis down: no retries this cycle, the page is still read */
    store_longtext_list(r->p->store, r->cfg->id, RETRY_BATCH, &wb->retry_mids,
                        &wb->retry_jsons, &wb->n_retry);
    next_retry_or_page(r);
}

/* Flag the posts of the page that are not new: see the lower time bound above. */
static void mark_not_new(struct source_run *r, int64_t fetched_at)
{
    struct weibo_cycle *wb = &r->wb;
    int64_t window_s = r->p->cfg->collector.weibo_first_crawl_window_ms / 1000;

    if (window_s <= 0) {
        return;
    }
    for (size_t i = 0; i < wb->page.n_posts; i++) {
        struct weibo_post *post = &wb->page.posts[i];
        bool old = !post->item.has_published || post->item.published_at < fetched_at - window_s;
        post->not_new = old && (wb->first_crawl || post->pinned);
    }
}

/* A not-new post: marked seen without being produced. Returns 0 or ERR_RETRY. */
static int skip_not_new(struct source_run *r, const struct weibo_post *post)
{
    struct weibo_cycle *wb = &r->wb;

    wb->total.entries++;
    if (item_producer_in_flight(r->p->producer, post->item.id)) {
        wb->total.in_flight++;
        return 0;
    }
    if (store_mark_seen(r->p->store, post->item.id) != 0) {
        wb->total.deferred++;
        wb->baseline_deferred = true;
        return ERR_RETRY;
    }
    wb->total.seen++;
    wb->baselined++;
    return 0;
}

/* End a cycle well; a first crawl's baseline is recorded as done. */
static void weibo_cycle_ok(struct source_run *r, long status)
{
    struct weibo_cycle *wb = &r->wb;

    if (wb->first_crawl && !wb->baseline_deferred) {
        char ts[32];
        snprintf(ts, sizeof(ts), "%lld", (long long)yq_time_now());
        if (store_health_set(r->p->store, r->cfg->id, "baseline_at", ts) == 0) {
            LOG_INFO("weibo first crawl baseline source_id=%s marked_seen=%zu produced=%zu "
                     "window_s=%lld",
                     r->cfg->id, wb->baselined, wb->total.produced,
                     (long long)(r->p->cfg->collector.weibo_first_crawl_window_ms / 1000));
        }
    }
    source_run_ok(r, status, &wb->total);
}

/* The last page read, its posts ingested: continue paging or end the cycle. */
static void page_finished(struct source_run *r, long status)
{
    struct weibo_cycle *wb = &r->wb;
    struct ingest_ctx ctx = source_run_ingest_ctx(r, yq_time_now());
    size_t non_pinned = 0, non_pinned_new = 0;
    bool deferred = false;

    for (size_t i = 0; i < wb->page.n_posts; i++) {
        struct weibo_post *post = &wb->page.posts[i];
        size_t produced = wb->total.produced;
        size_t seen = wb->total.seen + wb->total.in_flight;
        int err = post->not_new ? skip_not_new(r, post)
                                : ingest_item(&ctx, &post->item, NULL, false, &wb->total);

        if (err == ERR_RETRY) {
            deferred = true;
        }
        if (!post->pinned && !post->is_original) {
            non_pinned++;
            if (wb->total.seen + wb->total.in_flight == seen) {
                non_pinned_new++;
            }
        }
        if (post->item.truncated && wb->total.produced > produced) {
            char *json = NULL;
            if (yq_item_encode(&post->item, &json, NULL) == 0) {
                store_longtext_put(r->p->store, r->cfg->id, post->mid, json);
            }
            free(json);
            LOG_WARN("weibo post sent truncated, long text retried later source_id=%s mid=%s",
                     r->cfg->id, post->mid);
        }
    }
    wb->pages_done++;
    LOG_INFO("weibo page ok source_id=%s page=%lld posts=%zu produced=%zu seen=%zu",
             r->cfg->id, (long long)wb->pages_done, wb->page.n_posts, wb->total.produced,
             wb->total.seen);
    if (!deferred && non_pinned > 0 && non_pinned_new == non_pinned &&
        wb->pages_done < r->cfg->max_pages && (wb->since_id[0] || wb->page_no > 0)) {
        weibo_page_release(&wb->page);
        wb->next_post = 0;
        queue_page(r);
        return;
    }
    weibo_cycle_ok(r, status);
}

/* Next post of the page needing its long text (and not already delivered), or finish. */
static void next_extend(struct source_run *r, long status)
{
    struct weibo_cycle *wb = &r->wb;

    while (wb->next_post < wb->page.n_posts) {
        struct weibo_post *post = &wb->page.posts[wb->next_post];
        bool seen = false;
        if (post->needs_long_text && !post->not_new &&
            !item_producer_in_flight(r->p->producer, post->item.id) &&
            store_seen(r->p->store, post->item.id, &seen) == 0 && !seen) {
            wb->phase = WB_EXTEND;
            queue_extend(r, post->mid, JOB_WEIBO_EXTEND);
            return;
        }
        wb->next_post++;
    }
    page_finished(r, status);
}

static void retry_done(struct source_run *r, long status, bool ok_body)
{
    struct weibo_cycle *wb = &r->wb;
    const char *mid = wb->retry_mids[wb->next_retry];
    struct weibo_post post;
    char err_msg[256];
    int64_t now = yq_time_now();

    memset(&post, 0, sizeof(post));
    if (yq_item_decode(wb->retry_jsons[wb->next_retry], strlen(wb->retry_jsons[wb->next_retry]),
                       &post.item, err_msg, sizeof(err_msg)) != 0) {
        store_longtext_del(r->p->store, r->cfg->id, mid); /* unusable entry */
    } else if (ok_body && weibo_apply_long_text(&post, r->body.data, r->body.len,
                                                (size_t)r->p->cfg->collector.max_text_bytes) ==
                              0) {
        struct ingest_ctx ctx = source_run_ingest_ctx(r, now);
        struct ingest_result res = {0};
        post.item.fetched_at = now;
        post.item.fetched_at_ms = yq_time_stamp_ms(now); /* issue #16 */
        if (ingest_item(&ctx, &post.item, NULL, true, &res) == 0 && res.produced + res.in_flight) {
            store_longtext_del(r->p->store, r->cfg->id, mid);
            LOG_INFO("weibo long text completed source_id=%s mid=%s", r->cfg->id, mid);
        }
    } else if (now - post.item.fetched_at > RETRY_MAX_AGE_S) {
        LOG_WARN("weibo long text given up after a week source_id=%s mid=%s", r->cfg->id, mid);
        store_longtext_del(r->p->store, r->cfg->id, mid);
    }
    (void)status;
    yq_item_release(&post.item);
    wb->next_retry++;
    next_retry_or_page(r);
}

static bool weibo_done(struct source_run *r, long http_status, const char *content_type,
                       const char *effective_url)
{
    struct weibo_cycle *wb = &r->wb;
    char why[256] = "";
    enum source_state st;

    if (r->job == JOB_WEIBO_PAGE) {
        return true; /* classified and parsed on a parse thread, like a feed: weibo_parsed() */
    }
    st = weibo_classify(http_status, content_type, effective_url, r->body.data, r->body.len, why,
                        sizeof(why));
    if (r->job == JOB_WEIBO_RETRY) {
        if (st == SOURCE_RATE_LIMITED || st == SOURCE_BLOCKED || st == SOURCE_AUTH_REQUIRED) {
            source_run_fail(r, http_status, st, why);
            return false;
        }
        retry_done(r, http_status, st == SOURCE_OK);
        return false;
    }
    if (r->job == JOB_WEIBO_EXTEND) {
        struct weibo_post *post = &wb->page.posts[wb->next_post];
        if (st == SOURCE_RATE_LIMITED || st == SOURCE_BLOCKED || st == SOURCE_AUTH_REQUIRED) {
            /* blocked mid-cycle: the page is not ingested now; it is read again later */
            source_run_fail(r, http_status, st, why);
            return false;
        }
        if (st != SOURCE_OK ||
            weibo_apply_long_text(post, r->body.data, r->body.len,
                                  (size_t)r->p->cfg->collector.max_text_bytes) != 0) {
            LOG_WARN("weibo long text fetch failed source_id=%s mid=%s http_status=%ld "
                     "err='%s': sent truncated",
                     r->cfg->id, post->mid, http_status, why);
        }
        wb->next_post++;
        next_extend(r, http_status);
    }
    return false;
}

/* What a getIndex page job's parse op leaves in j->out (owned by the job). */
struct weibo_page_result {
    enum source_state state; /* weibo_classify() of the response */
    struct weibo_page page;  /* weibo_parse_page() result (owned) when state is ok */
    int64_t fetched_at;      /* UTC seconds the page was read at */
};

/* On a parse thread: a getIndex page classified, then (when ok) parsed. */
static void weibo_parse_job(struct parse_job *j, const struct collector_cfg *cc)
{
    struct weibo_ctx ctx = {
        .source_id = j->r->cfg->id,
        .channel = j->r->cfg->name,
        .fetched_at = yq_time_now(),
        .max_text_bytes = (size_t)cc->max_text_bytes,
    };
    struct weibo_page_result *res = calloc(1, sizeof(*res));

    if (!res) {
        j->err = ERR_NOMEM; /* weibo_parsed() fails the poll with it */
        return;
    }
    j->out = res;
    res->fetched_at = ctx.fetched_at;
    res->state = weibo_classify(j->status, j->content_type, j->effective_url, j->body.data,
                                j->body.len, j->err_msg, sizeof(j->err_msg));
    if (res->state == SOURCE_OK) {
        j->err_msg[0] = '\0';
        j->err = weibo_parse_page(j->body.data, j->body.len, &ctx, &res->page, j->err_msg,
                                  sizeof(j->err_msg));
    }
}

/* A page job's result, with its page unless weibo_parsed() moved it into the cycle. */
static void weibo_release_job(struct parse_job *j)
{
    struct weibo_page_result *res = j->out;

    if (res) {
        weibo_page_release(&res->page);
        free(res);
        j->out = NULL;
    }
}

/*
 * A getIndex page back from the parse thread (j->out: its weibo_page_result, NULL when it
 * could not be made): the state and the reason in j->err_msg from weibo_classify(); when ok,
 * j->err/err_msg from weibo_parse_page() and the page (moved into r's cycle) read at
 * fetched_at. Always done with j (returns true).
 */
static bool weibo_parsed(struct source_run *r, struct parse_job *j, size_t *budget)
{
    struct weibo_cycle *wb = &r->wb;
    struct weibo_page_result *res = j->out;
    long http_status = j->status;

    (void)budget; /* a page is a few dozen posts: ingested whole */
    if (res && res->state != SOURCE_OK) {
        source_run_fail(r, http_status, res->state, j->err_msg);
        return true;
    }
    if (!res || j->err) {
        source_run_fail(r, http_status, SOURCE_PARSE_ERROR,
                          j->err_msg[0] ? j->err_msg : yq_strerror(j->err));
        return true;
    }
    weibo_page_release(&wb->page);
    wb->page = res->page; /* moved */
    memset(&res->page, 0, sizeof(res->page));
    if (wb->page.empty) {
        LOG_INFO("weibo page empty (ok:0) source_id=%s", r->cfg->id);
        weibo_cycle_ok(r, http_status);
        return true;
    }
    mark_not_new(r, res->fetched_at);
    snprintf(wb->since_id, sizeof(wb->since_id), "%s", wb->page.since_id);
    wb->page_no = wb->page.page;
    wb->next_post = 0;
    next_extend(r, http_status);
    return true;
}

static char *weibo_first_url(const struct collector_config *cfg, const struct source_cfg *src)
{
    return collector_weibo_url(cfg, src);
}

/* The mobile browser's User-Agent m.weibo.cn expects. */
static const char *weibo_user_agent(const struct collector_cfg *cc)
{
    return cc->weibo_user_agent;
}

/* `yuqingctl sources check`: the first page classified (login wall, rate limit...) and parsed. */
static enum source_state weibo_check(const struct collector_config *cfg,
                                     const struct source_cfg *src,
                                     const struct source_check_input *in,
                                     struct source_check *out, char *why, size_t why_len)
{
    struct weibo_ctx ctx = {
        .source_id = src->id,
        .channel = src->name,
        .fetched_at = yq_time_now(),
        .max_text_bytes = (size_t)cfg->collector.max_text_bytes,
    };
    struct weibo_page page;
    enum source_state st;
    int err;

    memset(&page, 0, sizeof(page));
    why[0] = '\0';
    st = weibo_classify(in->http_status, in->content_type, in->effective_url, in->body, in->len,
                        why, why_len);
    if (st != SOURCE_OK) {
        return st;
    }
    out->format = "weibo";
    err = weibo_parse_page(in->body, in->len, &ctx, &page, why, why_len);
    if (err) {
        return source_check_failed(err, SOURCE_PARSE_ERROR, why, why_len);
    }
    out->bozo = 0;
    out->entries = (long)page.n_posts;
    for (size_t i = 0; i < page.n_posts; i++) {
        const struct yq_item *it = &page.posts[i].item;
        if (it->has_published && it->published_at > out->newest) {
            out->newest = it->published_at;
        }
    }
    weibo_page_release(&page);
    return SOURCE_OK;
}

const struct source_kind_ops source_kind_weibo = {
    .name = "weibo",
    .first_url = weibo_first_url,
    .user_agent = weibo_user_agent,
    .src_headers = fetch_add_weibo_headers, /* user timeline or search Referer by kind_id */
    .begin = weibo_begin,
    .done = weibo_done,
    .parse = weibo_parse_job,
    .parsed = weibo_parsed,
    .release_job = weibo_release_job,
    .reset = weibo_reset,
    .check = weibo_check,
};
