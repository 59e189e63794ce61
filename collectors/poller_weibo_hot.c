/*
 * The weibo_hot source kind (热搜榜, issue #15): one request per cycle, the hot-search list,
 * classified by weibo_classify() (login wall, ok:0, 418/403/432 as for the other Weibo
 * sources) and read by weibo_hot_parse() on the event loop's thread (the list is at most
 * WEIBO_HOT_MAX_ENTRIES entries; a body is bounded by collector.max_body_bytes). Then:
 *   1. every entry's rank is recorded (yq_hot_record_all(): yuqing:hot:<source_id>:<sha1>);
 *   2. the stays are updated from yuqing:hot:<source_id>:current (yq_hot_track());
 *   3. an entry that entered the list (trigger "entered"), or rose to rise_rank or better for
 *      the first time in its stay (trigger "rose"), is produced as an item (weibo_hot_item(),
 *      marked hot.watched when it contains a watch term) through ingest_item();
 *   4. the stays are saved; an item whose ingest was deferred (Redis or Kafka said later)
 *      leaves its stay as if not seen, so the next poll produces it.
 * Redis is reached through the store's connection (store_redis(): kept across polls, its
 * retry pause respected) in three round trips per poll, whatever the list's length: the stays
 * read (HGETALL), the ranks (one pipeline), the stays saved (one pipeline); the items' own
 * seen checks go through ingest as for every kind.
 * The first poll of a source produces every entry (trigger "entered"): what is on the list
 * then is what is hot now. An empty list (ok:0) changes nothing. Redis unreachable: nothing is
 * recorded nor produced this cycle (the items could not be checked as seen anyway); Redis
 * failing half-way ends the cycle well too (the source answered), what was not saved is
 * done again at the next poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "poller_internal.h"
#include "source_run.h"
#include "sources_cli.h"
#include "weibo_hot.h"
#include "yq_err.h"
#include "yq_hot.h"
#include "yq_log.h"
#include "yq_redis.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The mobile real-time board (sources.md "The hot-search list"), after collector.weibo_api. */
#define HOT_CONTAINER_PATH                                                                         \
    "/api/container/getIndex?containerid=106003type%3D25%26t%3D3%26disable_hot%3D1"                \
    "%26filter_type%3Drealtimehot"

static char *hot_first_url(const struct collector_config *cfg, const struct source_cfg *src)
{
    const char *api = cfg->collector.weibo_api ? cfg->collector.weibo_api : "https://m.weibo.cn";
    size_t n;
    char *url;

    if (src->url) {
        return strdup(src->url);
    }
    n = strlen(api) + sizeof(HOT_CONTAINER_PATH);
    url = malloc(n);
    if (url) {
        snprintf(url, n, "%s%s", api, HOT_CONTAINER_PATH);
    }
    return url;
}

static const char *hot_user_agent(const struct collector_cfg *cc)
{
    return cc->weibo_user_agent;
}

static void hot_begin(struct source_run *r)
{
    if (source_run_queue(r, r->first_url, JOB_WEIBO_PAGE) != 0) {
        source_run_fail(r, 0, SOURCE_NETWORK_ERROR, "out of memory");
    }
}

/*
 * Produce the item of entry e (trigger in s) per ctx. Returns 0, ERR_RETRY (deferred: the
 * stay must be left as if not seen) or ERR_NOMEM.
 */
static int produce_entry(struct source_run *r, const struct ingest_ctx *ictx,
                         const struct weibo_hot_entry *e, const struct yq_hot_seen *s, int64_t now,
                         struct ingest_result *total)
{
    const struct source_cfg *src = r->cfg;
    struct weibo_hot_ctx hctx = {
        .source_id = src->id,
        .channel = src->name,
        .fetched_at = now,
        .entered_at = s->entered_at,
        .trigger = s->trigger,
        .rise_rank = src->rise_rank,
    };
    struct yq_item item;
    json_t *watched = weibo_hot_watched(e, src->watch_terms, src->n_watch_terms);
    int err;

    if (!watched) {
        return ERR_NOMEM;
    }
    hctx.watched = watched;
    err = weibo_hot_item(e, &hctx, &item);
    json_decref(watched);
    if (err) {
        return err;
    }
    err = ingest_item(ictx, &item, NULL, false, total);
    if (err == 0) {
        LOG_INFO("weibo hot entry source_id=%s item_id=%s trigger=%s rank=%lld watched=%zu",
                 src->id, item.id, s->trigger == YQ_HOT_ROSE ? "rose" : "entered",
                 (long long)e->rank, json_array_size(json_object_get(item.hot, "watched")));
    }
    yq_item_release(&item);
    return err;
}

/*
 * The stays to save after the items went out: an entry whose item was deferred is saved as
 * not seen this poll (entered: its previous stay kept, or none; rose: not risen yet).
 */
static void undo_deferred(struct yq_hot_stay *stays, size_t *n, const struct yq_hot_stay *prev,
                          size_t n_prev, const struct yq_hot_seen *s)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(stays[i].sha1, s->sha1) != 0) {
            continue;
        }
        if (s->trigger == YQ_HOT_ROSE) {
            stays[i].rose = false;
            return;
        }
        for (size_t j = 0; j < n_prev; j++) {
            if (strcmp(prev[j].sha1, s->sha1) == 0) {
                stays[i] = prev[j];
                return;
            }
        }
        stays[i] = stays[*n - 1];
        (*n)--;
        return;
    }
}

/* Every entry's rank at now in one pipeline (yq_hot_record_all()). 0, ERR_RETRY, ERR_NOMEM. */
static int record_ranks(struct yq_redis *redis, const char *source_id,
                        const struct weibo_hot_list *list, int64_t now)
{
    const char **sha1 = calloc(list->n, sizeof(*sha1));
    struct yq_hot_point *pts = calloc(list->n, sizeof(*pts));
    int err = ERR_NOMEM;

    if (sha1 && pts) {
        for (size_t i = 0; i < list->n; i++) {
            sha1[i] = list->entries[i].sha1;
            pts[i] = (struct yq_hot_point){
                .at = now, .rank = list->entries[i].rank, .heat = list->entries[i].heat};
        }
        err = yq_hot_record_all(redis, source_id, sha1, pts, list->n);
    }
    free(sha1);
    free(pts);
    return err;
}

/* A parsed list at now: record, track, produce, save (see the top of the file). */
static void hot_ingest(struct source_run *r, const struct weibo_hot_list *list, long status,
                       int64_t now)
{
    const struct source_cfg *src = r->cfg;
    struct ingest_ctx ictx = source_run_ingest_ctx(r, now);
    struct ingest_result total;
    struct yq_redis *redis = NULL;
    struct yq_hot_stay *prev = NULL, *stays = NULL;
    struct yq_hot_seen *seen = NULL;
    size_t n_prev = 0, n_stays = 0, entered = 0, rose = 0;
    int err = 0;

    memset(&total, 0, sizeof(total));
    total.entries = list->n;
    total.has_newest = list->n > 0;
    total.newest_published = now; /* the list is as of now: never stale while it answers */
    if (list->n == 0) {
        LOG_INFO("weibo hot list empty source_id=%s", src->id);
        source_run_ok(r, status, &total);
        return;
    }
    if (!(redis = store_redis(r->p->store))) {
        total.deferred = list->n;
        LOG_WARN("weibo hot list not recorded (Redis down) source_id=%s entries=%zu", src->id,
                 list->n);
        source_run_ok(r, status, &total);
        return;
    }
    seen = calloc(list->n, sizeof(*seen));
    err = seen ? yq_hot_stays_load(redis, src->id, &prev, &n_prev) : ERR_NOMEM;
    for (size_t i = 0; !err && i < list->n; i++) {
        snprintf(seen[i].sha1, sizeof(seen[i].sha1), "%s", list->entries[i].sha1);
        seen[i].rank = list->entries[i].rank;
    }
    if (!err) {
        err = yq_hot_track(prev, n_prev, seen, list->n, now, src->rise_rank, &stays, &n_stays);
    }
    if (!err) {
        err = record_ranks(redis, src->id, list, now);
    }
    for (size_t i = 0; !err && i < list->n; i++) {
        int perr;
        if (seen[i].trigger == YQ_HOT_NONE) {
            continue;
        }
        perr = produce_entry(r, &ictx, &list->entries[i], &seen[i], now, &total);
        if (perr == ERR_RETRY) {
            undo_deferred(stays, &n_stays, prev, n_prev, &seen[i]);
        } else if (perr) {
            err = perr;
        } else if (seen[i].trigger == YQ_HOT_ROSE) {
            rose++;
        } else {
            entered++;
        }
    }
    if (!err) {
        err = yq_hot_stays_save(redis, src->id, stays, n_stays);
    }
    store_redis_done(r->p->store); /* a failed connection starts the store's retry pause */
    free(prev);
    free(stays);
    free(seen);
    if (err == ERR_NOMEM) {
        source_run_fail(r, status, SOURCE_NETWORK_ERROR, "out of memory");
        return;
    }
    if (err) {
        /* Redis, not the source, failed: the list was read; what was not saved is done again
         * at the next poll (an entry whose stay was not saved enters again) */
        LOG_WARN("weibo hot list not fully recorded (Redis) source_id=%s entries=%zu "
                 "produced=%zu",
                 src->id, list->n, total.produced);
        source_run_ok(r, status, &total);
        return;
    }
    LOG_INFO("weibo hot list ok source_id=%s shape=%s entries=%zu ads=%zu skipped=%zu "
             "entered=%zu rose=%zu produced=%zu deferred=%zu",
             src->id, list->shape, list->n, list->ads, list->skipped, entered, rose, total.produced,
             total.deferred);
    source_run_ok(r, status, &total);
}

static bool hot_done(struct source_run *r, long http_status, const char *content_type,
                     const char *effective_url)
{
    struct weibo_hot_list list;
    char why[256] = "";
    enum source_state st;
    int err;

    st = weibo_classify(http_status, content_type, effective_url, r->body.data, r->body.len, why,
                        sizeof(why));
    if (st != SOURCE_OK) {
        source_run_fail(r, http_status, st, why);
        return false;
    }
    err = weibo_hot_parse(r->body.data, r->body.len, &list, why, sizeof(why));
    if (err) {
        source_run_fail(r, http_status,
                        err == ERR_PARSE ? SOURCE_PARSE_ERROR : SOURCE_NETWORK_ERROR,
                        why[0] ? why : yq_strerror(err));
        return false;
    }
    hot_ingest(r, &list, http_status, yq_time_now());
    weibo_hot_list_release(&list);
    return false;
}

/* Never reached: the list is read in hot_done(). */
static void hot_parse(struct parse_job *j, const struct collector_cfg *cc)
{
    (void)cc;
    j->err = ERR_INVALID;
}

static bool hot_parsed(struct source_run *r, struct parse_job *j, size_t *budget)
{
    (void)budget;
    source_run_fail(r, j->status, SOURCE_PARSE_ERROR, "unexpected parse job");
    return true;
}

/* `yuqingctl sources check`: the list classified and read; entries counted, newest = the
 * latest onboard_time (desktop shape; 0 for the mobile one, which has none). */
static enum source_state hot_check(const struct collector_config *cfg, const struct source_cfg *src,
                                   const struct source_check_input *in, struct source_check *out,
                                   char *why, size_t why_len)
{
    struct weibo_hot_list list;
    enum source_state st;
    int err;

    (void)cfg;
    (void)src;
    why[0] = '\0';
    st = weibo_classify(in->http_status, in->content_type, in->effective_url, in->body, in->len,
                        why, why_len);
    if (st != SOURCE_OK) {
        return st;
    }
    out->format = "weibo_hot";
    err = weibo_hot_parse(in->body, in->len, &list, why, why_len);
    if (err) {
        return source_check_failed(err, SOURCE_PARSE_ERROR, why, why_len);
    }
    out->bozo = 0;
    out->entries = (long)list.n;
    for (size_t i = 0; i < list.n; i++) { /* desktop onboard_time; the mobile list has none */
        if (weibo_hot_onboard_plausible(list.entries[i].onboard_time, yq_time_now()) &&
            list.entries[i].onboard_time > out->newest) {
            out->newest = list.entries[i].onboard_time;
        }
    }
    weibo_hot_list_release(&list);
    why[0] = '\0';
    return SOURCE_OK;
}

const struct source_kind_ops source_kind_weibo_hot = {
    .name = "weibo_hot",
    .first_url = hot_first_url,
    .user_agent = hot_user_agent,
    .src_headers = fetch_add_weibo_headers,
    .begin = hot_begin,
    .done = hot_done,
    .parse = hot_parse,
    .parsed = hot_parsed,
    .check = hot_check,
};
