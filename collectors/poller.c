#include "poller.h"

#include <ctype.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "yq_hash.h"
#include "yq_metrics_http.h"
#include "poller_internal.h"
#include "source_outbox.h"
#include "source_run.h"
#include "source_kind.h"
#include "yq_err.h"
#include "yq_health.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_time.h"
#include "yq_banned.h"

#define POLL_MAX_WAIT_MS 100 /* Kafka delivery reports are served at least this often */
#define VALIDATOR_MAX 1024
#define METRICS_EVERY_MS 1000
#define METRICS_MAX_BYTES (16 * 1024 * 1024)
#define HEALTH_PING_MS 5000 /* Redis PING for /healthz when nothing else used it */

bool poller_in_shard(const char *id, unsigned index, unsigned count)
{
    return count <= 1 || yq_fnv1a32(id) % count == index;
}

int poller_parse_shard(const char *arg, struct poller_opts *opts)
{
    char *end;
    unsigned long i, n;

    if (!arg || !isdigit((unsigned char)*arg)) {
        return ERR_INVALID;
    }
    i = strtoul(arg, &end, 10);
    if (*end != '/' || !isdigit((unsigned char)end[1])) {
        return ERR_INVALID;
    }
    n = strtoul(end + 1, &end, 10);
    if (*end != '\0' || n == 0 || n > 1024 || i >= n) {
        return ERR_INVALID;
    }
    opts->shard_index = (unsigned)i;
    opts->shard_count = (unsigned)n;
    return 0;
}

/*
 * The body memory budget (issue #10, see struct parse_worker): collector.body_memory_bytes,
 * 0 = 2 x max_body_bytes, and never below one whole body buffer (max_body_bytes + its NUL).
 */
static size_t body_budget(const struct collector_cfg *cc)
{
    size_t whole = (size_t)cc->max_body_bytes + 1;
    size_t b = cc->body_memory_bytes > 0 ? (size_t)cc->body_memory_bytes
                                         : 2 * (size_t)cc->max_body_bytes;
    return b < whole ? whole : b;
}

/* The capacity b has after appending n bytes (the growth rule of yq_buf.c's grow()). */
static size_t body_cap_after(const struct yq_buf *b, size_t n)
{
    size_t need = b->len + n + 1, c;

    if (need <= b->cap) {
        return b->cap;
    }
    c = b->cap ? b->cap : 256;
    while (c < need) {
        c = c > SIZE_MAX / 2 ? need : c * 2;
    }
    return c > b->max_len + 1 ? b->max_len + 1 : c;
}

static void mem_set(size_t *field, size_t v)
{
    __atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static bool mem_fits(const struct parse_worker *w, const struct source_run *r, size_t delta,
                     size_t others_max)
{
    return w->mem_used + delta <= w->mem_budget &&
           (w->mem_leader == r || w->mem_others + delta <= others_max);
}

/*
 * Count r's body buffer growing to cap bytes against the budget. Without room, r becomes the
 * leader when there is none (its bytes leave the others' share) and tries again. Returns
 * false when r must wait (its transfer is paused). Event loop's thread.
 */
static bool mem_take(struct source_run *r, size_t cap)
{
    struct parse_worker *w = &r->p->worker;
    size_t whole = (size_t)r->p->cfg->collector.max_body_bytes + 1;
    size_t delta = cap > r->mem_held ? cap - r->mem_held : 0;
    bool ok;

    if (delta == 0) {
        return true;
    }
    pthread_mutex_lock(&w->lock);
    ok = mem_fits(w, r, delta, w->mem_budget - whole);
    if (!ok && !w->mem_leader) {
        w->mem_leader = r;
        mem_set(&w->mem_others, w->mem_others - r->mem_held);
        ok = mem_fits(w, r, delta, w->mem_budget - whole);
    }
    if (ok) {
        mem_set(&w->mem_used, w->mem_used + delta);
        if (w->mem_leader != r) {
            mem_set(&w->mem_others, w->mem_others + delta);
        }
        if (w->mem_used > w->mem_high_water) {
            mem_set(&w->mem_high_water, w->mem_used);
        }
        r->mem_held += delta;
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

/*
 * r's transfer stops holding body memory: keep bytes of it stay counted (its body, moved to
 * a parse job), the rest is given back; r stops leading. Event loop's thread.
 */
static void mem_detach(struct source_run *r, size_t keep)
{
    struct parse_worker *w = &r->p->worker;

    if (r->mem_held == 0 && w->mem_leader != r) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    mem_set(&w->mem_used, w->mem_used - (r->mem_held - keep));
    if (w->mem_leader == r) {
        w->mem_leader = NULL;
    } else {
        mem_set(&w->mem_others, w->mem_others - r->mem_held);
    }
    r->mem_held = 0;
    __atomic_add_fetch(&w->mem_releases, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&w->lock);
}

static void run_end_transfer(struct source_run *r)
{
    if (r->paused) {
        r->paused = false;
        r->p->n_paused--;
    }
    mem_detach(r, 0);
    if (r->easy) {
        curl_multi_remove_handle(r->p->multi, r->easy); /* before cleanup */
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        r->p->active--;
        if (r->holds_slot) {
            r->p->hosts[r->host_idx].active--;
        }
        r->holds_slot = false;
    }
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    yq_buf_release(&r->body);
    fetch_decoder_release(&r->dec);
    r->too_big = false;
    r->nomem = false;
    source_run_response_reset(r);
}

/* fetch_room_fn: within max_body_bytes, growing r's body needs room in the memory budget */
static bool body_room(void *arg, const struct yq_buf *body, size_t n)
{
    return mem_take(arg, body_cap_after(body, n));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct source_run *r = userdata;
    size_t n = size * nmemb, done;
    int err;

    /* without room in the body memory budget the transfer waits (paused, resumed when memory
     * is given back), never fails */
    done = fetch_decoder_write(&r->dec, data, n, &r->body, body_room, r, &err);
    if (done == CURL_WRITEFUNC_PAUSE) {
        if (!r->paused) {
            r->paused = true;
            r->p->n_paused++;
        }
    } else if (err) {
        r->too_big = err == ERR_TOO_BIG;
        r->nomem = err == ERR_NOMEM;
        /* ERR_PARSE: r->dec.error names the coding's fault; 0 aborts (CURLE_WRITE_ERROR) */
    }
    return done;
}

static char *header_value(const char *v, size_t len)
{
    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)v[len - 1])) {
        len--;
    }
    if (len == 0 || len > VALIDATOR_MAX) {
        return NULL;
    }
    return strndup(v, len);
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata)
{
    struct source_run *r = userdata;
    size_t len = size * nitems;

    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        int code = 0;
        source_run_response_reset(r); /* a new response (after a redirect) */
        if (sscanf(data, "HTTP/%*s %d", &code) == 1 && code >= 300 && code < 400 && code != 304) {
            /* 301/308: the feed moved for good (if every hop says so); 302/303/307: not */
            bool permanent = code == 301 || code == 308;
            r->redirects_permanent = permanent && r->redirects_permanent >= 0 ? 1 : -1;
        }
    } else if (len > 5 && strncasecmp(data, "ETag:", 5) == 0) {
        free(r->resp_etag);
        r->resp_etag = header_value(data + 5, len - 5);
    } else if (len > 14 && strncasecmp(data, "Last-Modified:", 14) == 0) {
        free(r->resp_last_modified);
        r->resp_last_modified = header_value(data + 14, len - 14);
    } else if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        /* 429/503 (and others) asking for a pause: source_run_fail() honours it, bounded */
        r->resp_retry_after_ms = fetch_retry_after_ms(data + 12, len - 12, yq_time_now());
    }
    return len;
}

/* Start the queued request of r. Returns 0, ERR_INVALID (cookie file) or ERR_NOMEM. */
static int start_fetch(struct source_run *r)
{
    const struct collector_cfg *cc = &r->p->cfg->collector;
    char *cookie = NULL;
    CURLcode rc = CURLE_OK;
    CURLMcode mrc;
    int err;

    yq_buf_init(&r->body, (size_t)cc->max_body_bytes);
    r->curl_err[0] = '\0';
    r->redirects_permanent = 0;
    r->job = r->next_job;
    err = fetch_read_cookie(r->cfg, &cookie);
    if (err) {
        return err;
    }
    if (r->kind->src_headers) {
        err = r->kind->src_headers(r->cfg, &r->headers); /* the API's own headers */
    }
    if (!err && r->kind->add_headers) {
        err = r->kind->add_headers(r, &r->headers); /* validators */
    }
    if (!err) {
        err = fetch_add_source_headers(r->cfg, &r->headers);
    }
    if (err) {
        free(cookie);
        return err;
    }
    r->easy = curl_easy_init();
    if (!r->easy) {
        free(cookie);
        return ERR_NOMEM;
    }
    r->p->active++;
    r->p->hosts[r->host_idx].active++;
    r->holds_slot = true;
    fetch_decoder_init(&r->dec, r->easy);
    r->started_ms = source_run_now(r->p);
    rc = fetch_setopts(r->easy, cc, r->kind->user_agent(cc), r->next_url, cookie, r->headers, r->curl_err);
    if (rc == CURLE_OK) {
        rc = fetch_set_io(r->easy, on_body, on_header, r);
    }
    free(cookie);
    if (rc != CURLE_OK) {
        LOG_ERR("curl setup failed source_id=%s err=%s", r->cfg->id, curl_easy_strerror(rc));
        return ERR_NOMEM; /* run_end_transfer() undoes the counts */
    }
    mrc = curl_multi_add_handle(r->p->multi, r->easy);
    if (mrc != CURLM_OK) {
        LOG_ERR("curl multi add failed source_id=%s err=%s", r->cfg->id,
                curl_multi_strerror(mrc));
        return ERR_NOMEM;
    }
    LOG_DEBUG("fetch started source_id=%s", r->cfg->id);
    free(r->next_url);
    r->next_url = NULL;
    return 0;
}

/*
 * Parse workers (issue #10): feed bodies are parsed on collector.parse_threads worker threads,
 * never on the event loop's, so a huge body stalls neither the polling nor (with two threads
 * or more) the parsing of the others. A worker touches only the
 * job (body, copies of the response metadata, the source's read-only config); the ingest
 * (Redis, Kafka) of the parsed feed runs back on the event loop's thread. The queue is
 * bounded by back-pressure: while the bodies waiting for a free thread total
 * collector.parse_queue_bytes no new transfer starts (finished bodies are never dropped).
 */
/* j's body is gone: give its bytes back to the budget. Any thread. */
static void mem_release_job(struct poller *p, struct parse_job *j)
{
    struct parse_worker *w = &p->worker;

    if (j->mem_bytes == 0) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    mem_set(&w->mem_used, w->mem_used - j->mem_bytes);
    j->mem_bytes = 0;
    __atomic_add_fetch(&w->mem_releases, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&w->lock);
    curl_multi_wakeup(p->multi); /* paused transfers may go on */
}

static void parse_job_free(struct parse_job *j)
{
    if (!j) {
        return;
    }
    yq_buf_release(&j->body);
    if (j->r) {
        mem_release_job(j->r->p, j);
    }
    free(j->content_type);
    free(j->effective_url);
    free(j->etag);
    free(j->last_modified);
    if (j->r && j->r->kind->release_job) {
        j->r->kind->release_job(j);
    }
    free(j);
}

static void parse_job_run(struct poller *p, struct parse_job *j)
{
    if (p->opts.parse_hook) {
        p->opts.parse_hook(j->r->cfg->id, p->opts.parse_hook_arg);
    }
    j->r->kind->parse(j, &p->cfg->collector);
    yq_buf_release(&j->body); /* the body is not needed any more: free it before the ingest */
    mem_release_job(p, j);
}

static void *parse_worker_main(void *arg)
{
    struct poller *p = arg;
    struct parse_worker *w = &p->worker;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        struct parse_job *j;
        while (!w->waiting && !w->stop) {
            pthread_cond_wait(&w->cond, &w->lock);
        }
        if (!w->waiting) {
            break; /* stop, and nothing left to parse */
        }
        j = w->waiting;
        w->waiting = j->next;
        w->queued_bytes -= j->body.len;
        if (!w->waiting) {
            w->waiting_tail = NULL;
        }
        j->next = NULL;
        pthread_mutex_unlock(&w->lock);
        parse_job_run(p, j);
        pthread_mutex_lock(&w->lock);
        if (w->done_tail) {
            w->done_tail->next = j;
        } else {
            w->done = j;
        }
        w->done_tail = j;
        pthread_cond_broadcast(&w->done_cond);
        curl_multi_wakeup(p->multi); /* the loop ingests it at once */
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static int parse_worker_start(struct poller *p)
{
    struct parse_worker *w = &p->worker;

    if (pthread_mutex_init(&w->lock, NULL) != 0) {
        return ERR_NOMEM;
    }
    if (pthread_cond_init(&w->cond, NULL) != 0) {
        pthread_mutex_destroy(&w->lock);
        return ERR_NOMEM;
    }
    if (pthread_cond_init(&w->done_cond, NULL) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        return ERR_NOMEM;
    }
    w->started = true; /* parse_worker_stop() joins the threads that did start */
    w->mem_budget = body_budget(&p->cfg->collector);
    for (int64_t i = 0; i < p->cfg->collector.parse_threads && i < POLLER_PARSE_THREADS_MAX;
         i++) {
        if (pthread_create(&w->threads[w->n_threads], NULL, parse_worker_main, p) != 0) {
            return ERR_NOMEM;
        }
        w->n_threads++;
    }
    return 0;
}

static void parse_worker_stop(struct poller *p)
{
    struct parse_worker *w = &p->worker;

    if (!w->started) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < w->n_threads; i++) {
        pthread_join(w->threads[i], NULL);
    }
    w->n_threads = 0;
    while (w->done) {
        struct parse_job *j = w->done;
        w->done = j->next;
        j->r->parsing = false;
        parse_job_free(j);
    }
    while (w->ingesting) {
        struct parse_job *j = w->ingesting;
        w->ingesting = j->next;
        j->r->parsing = false;
        parse_job_free(j);
    }
    pthread_cond_destroy(&w->done_cond);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    w->started = false;
}

/*
 * Hand r's finished body to a parse thread, where r->kind's parse op reads it; r->kind's parsed
 * op gets the job back on the event loop's thread. The response's validators go with the job.
 * content_type and effective_url are copied (may be NULL). Returns 0 or ERR_NOMEM (nothing
 * moved).
 */
static int parse_submit(struct source_run *r, long status, const char *content_type,
                        const char *effective_url)
{
    struct parse_worker *w = &r->p->worker;
    struct parse_job *j = calloc(1, sizeof(*j));

    if (!j) {
        return ERR_NOMEM;
    }
    j->r = r;
    j->status = status;
    j->content_type = content_type ? strdup(content_type) : NULL;
    j->effective_url = effective_url ? strdup(effective_url) : NULL;
    if ((content_type && !j->content_type) || (effective_url && !j->effective_url)) {
        parse_job_free(j);
        return ERR_NOMEM;
    }
    j->body = r->body; /* moved */
    yq_buf_init(&r->body, (size_t)r->p->cfg->collector.max_body_bytes);
    if (j->body.data && j->body.cap > j->body.len + 1) {
        /* the growth slack (up to half the buffer) is given back before the body waits */
        char *d = realloc(j->body.data, j->body.len + 1);
        if (d) {
            j->body.data = d;
            j->body.cap = j->body.len + 1;
        }
    }
    j->mem_bytes = j->body.cap < r->mem_held ? j->body.cap : r->mem_held;
    mem_detach(r, j->mem_bytes);
    j->etag = r->resp_etag;
    j->last_modified = r->resp_last_modified;
    r->resp_etag = NULL;
    r->resp_last_modified = NULL;
    r->parsing = true;
    pthread_mutex_lock(&w->lock);
    if (w->waiting_tail) {
        w->waiting_tail->next = j;
    } else {
        w->waiting = j;
    }
    w->waiting_tail = j;
    w->pending++;
    w->queued_bytes += j->body.len;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/*
 * Ingest what the worker has parsed, at most POLLER_INGEST_ENTRIES_PER_PASS entries: the jobs
 * whose ingest went on from an earlier pass first, then the new ones in the order they were
 * parsed; what the budget does not reach waits for the next pass. Wait up to wait_ms for a
 * parsed job when none is there yet.
 */
static void drain_parsed(struct poller *p, int wait_ms)
{
    struct parse_worker *w = &p->worker;
    struct parse_job *list, **tail = &w->ingesting;
    size_t budget = POLLER_INGEST_ENTRIES_PER_PASS;

    pthread_mutex_lock(&w->lock);
    if (!w->done && !w->ingesting && wait_ms > 0 && w->pending > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)wait_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->done_cond, &w->lock, &ts);
    }
    list = w->done;
    w->done = w->done_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = list; /* behind the ones still being ingested */
    for (; list; list = list->next) {
        p->stats.parsed++;
    }
    while (w->ingesting && budget > 0) {
        struct parse_job *j = w->ingesting;
        size_t before = budget;
        bool done;

        j->r->parsing = false;
        done = j->r->kind->parsed(j->r, j, &budget);
        if (p->opts.ingest_hook) {
            p->opts.ingest_hook(j->r->cfg->id, before - budget, p->opts.ingest_hook_arg);
        }
        if (!done) {
            j->r->parsing = true; /* its turn again at the next pass */
            break;
        }
        w->ingesting = j->next;
        parse_job_free(j);
        pthread_mutex_lock(&w->lock);
        w->pending--;
        pthread_mutex_unlock(&w->lock);
    }
}

/* Whether the bodies waiting for a parse thread reach collector.parse_queue_bytes. */
static bool parse_queue_full(struct poller *p)
{
    bool full;
    pthread_mutex_lock(&p->worker.lock);
    full = p->worker.queued_bytes >= (size_t)p->cfg->collector.parse_queue_bytes;
    pthread_mutex_unlock(&p->worker.lock);
    return full;
}

/*
 * Resume the transfers paused for body memory once some was given back since they were last
 * resumed (each pauses again at once when there is still no room). Event loop's thread.
 */
static void resume_paused(struct poller *p)
{
    uint64_t rel = __atomic_load_n(&p->worker.mem_releases, __ATOMIC_SEQ_CST);

    if (p->n_paused == 0 || rel == p->resumed_at) {
        return;
    }
    p->resumed_at = rel;
    for (size_t i = 0; i < p->n_runs; i++) {
        struct source_run *r = &p->runs[i];
        CURLcode rc;

        if (!r->paused || !r->easy) {
            continue;
        }
        r->paused = false;
        p->n_paused--;
        rc = curl_easy_pause(r->easy, CURLPAUSE_CONT); /* may call on_body (and pause) again */
        if (rc != CURLE_OK) {
            LOG_WARN("curl resume failed source_id=%s err=%s", r->cfg->id,
                     curl_easy_strerror(rc));
        }
    }
}

/* Whether body memory is short: no new transfer starts (it would only wait). */
static bool body_memory_short(struct poller *p)
{
    return p->n_paused > 0 || __atomic_load_n(&p->worker.mem_used, __ATOMIC_RELAXED) >=
                                  __atomic_load_n(&p->worker.mem_budget, __ATOMIC_RELAXED);
}

static size_t parse_pending(struct poller *p)
{
    size_t n;
    pthread_mutex_lock(&p->worker.lock);
    n = p->worker.pending;
    pthread_mutex_unlock(&p->worker.lock);
    return n;
}

static void finish_fetch(struct source_run *r, CURLcode res)
{
    long status = 0;
    char *content_type = NULL, *effective_url = NULL;
    char why[CURL_ERROR_SIZE + 64];

    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    r->p->stats.requests++;
    if (r->too_big || res == CURLE_FILESIZE_EXCEEDED) {
        snprintf(why, sizeof(why), "body exceeds max_body_bytes=%lld",
                 (long long)r->p->cfg->collector.max_body_bytes);
        source_run_fail(r, status, SOURCE_TOO_BIG, why);
    } else if (r->nomem) {
        source_run_fail(r, status, SOURCE_NETWORK_ERROR, "out of memory");
    } else if (r->dec.error[0] || (res == CURLE_OK && fetch_decoder_finish(&r->dec) != 0)) {
        /* a coding refused, corrupt, truncated or followed by more bytes: nothing of the body
         * is parsed and its validators are not stored, so the next poll fetches it whole; an
         * error status (429, 403 ...) keeps its own state, the fault named beside it */
        enum source_state st = fetch_decoder_fault(&r->dec, status, why, sizeof(why));
        source_run_fail(r, status, st, why);
    } else if (res != CURLE_OK) {
        snprintf(why, sizeof(why), "%s%s",
                 res == CURLE_UNSUPPORTED_PROTOCOL
                     ? "redirect refused (http/https only; from https, https only): "
                     : "",
                 r->curl_err[0] ? r->curl_err : curl_easy_strerror(res));
        source_run_fail(r, status, SOURCE_NETWORK_ERROR, why);
    } else if (status >= 200 && status < 300 && r->body.len >= 2 &&
               (unsigned char)r->body.data[0] == 0x1f && (unsigned char)r->body.data[1] == 0x8b) {
        /* gzip magic after libcurl's decoding: no Content-Encoding, or gzip applied twice; the
         * compressed bytes never reach the parser (FC-017) */
        source_run_fail(r, status, SOURCE_NETWORK_ERROR,
                        "body is still gzip-compressed after content decoding (Content-Encoding "
                        "missing or applied twice)");
    } else {
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &content_type);
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &effective_url);
        if (r->job == JOB_FEED && ((status >= 200 && status < 300) || status == 304)) {
            source_run_note_moved(r, r->redirects_permanent > 0 ? effective_url : NULL);
        }
        if (r->kind->done(r, status, content_type, effective_url) &&
            parse_submit(r, status, content_type, effective_url) != 0) {
            source_run_fail(r, status, SOURCE_NETWORK_ERROR, "out of memory");
        }
    }
    run_end_transfer(r);
}

static void begin_cycle(struct source_run *r, int64_t now)
{
    int64_t lag = now - r->next_due_ms;

    r->busy = true;
    r->p->stats.cycles++;
    if (lag > r->p->stats.lag_max_ms) {
        r->p->stats.lag_max_ms = lag;
    }
    r->p->stats.lag_sum_ms += lag > 0 ? lag : 0;
    r->kind->begin(r);
}

/*
 * Fair polling (issue #10). Each pass puts every source that may start something now -- a
 * due source, or a cycle in progress with its next request queued -- into a binary min-heap
 * keyed by due time (ties: list order), and starts from its top while the limits allow: the
 * most overdue source goes first, never list order, so a source that has just finished
 * cannot overtake one that has waited longer. A cycle in progress keeps the due time it
 * started with, so its next request (Weibo pages) goes before sources that became due later.
 */
static bool due_before(const struct source_run *a, const struct source_run *b)
{
    return a->next_due_ms != b->next_due_ms ? a->next_due_ms < b->next_due_ms : a < b;
}

static void heap_down(struct source_run **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && due_before(h[l], h[m])) {
            m = l;
        }
        if (l + 1 < n && due_before(h[l + 1], h[m])) {
            m = l + 1;
        }
        if (m == i) {
            return;
        }
        {
            struct source_run *t = h[i];
            h[i] = h[m];
            h[m] = t;
        }
        i = m;
    }
}

static struct source_run *heap_pop(struct source_run **h, size_t *n)
{
    struct source_run *top = h[0];
    h[0] = h[--*n];
    heap_down(h, *n, 0);
    return top;
}

/*
 * A transfer running for collector.host_slot_ms stops counting against max_per_host (it
 * still counts against max_parallel and ends at timeout_ms): a slow drip cannot keep the
 * other sources of its host waiting longer than that.
 */
static void release_slow_slots(struct poller *p, int64_t now)
{
    int64_t bound = p->cfg->collector.host_slot_ms;

    for (size_t i = 0; i < p->n_runs; i++) {
        struct source_run *r = &p->runs[i];
        if (r->easy && r->holds_slot && now - r->started_ms >= bound) {
            r->holds_slot = false;
            p->hosts[r->host_idx].active--;
            p->stats.slots_released++;
            LOG_DEBUG("slow transfer releases its host slot source_id=%s host=%s running_ms=%lld",
                      r->cfg->id, p->hosts[r->host_idx].name, (long long)(now - r->started_ms));
        }
    }
}

static bool limits_allow(const struct poller *p, const struct source_run *r)
{
    return p->active < (size_t)p->cfg->collector.max_parallel &&
           p->hosts[r->host_idx].active < (size_t)p->cfg->collector.max_per_host;
}

/* Start due cycles and queued requests within the limits; returns ms until the next due. */
static int64_t start_due(struct poller *p, bool once)
{
    int64_t now = source_run_now(p), wait = POLL_MAX_WAIT_MS;
    size_t n = 0;

    release_slow_slots(p, now);
    for (size_t i = 0; i < p->n_runs; i++) {
        struct source_run *r = &p->runs[i];
        if (r->easy || r->parsing) {
            continue;
        }
        if (!r->busy) {
            if (once && r->polled) {
                continue;
            }
            if (r->next_due_ms > now) {
                if (r->next_due_ms - now < wait) {
                    wait = r->next_due_ms - now;
                }
                continue;
            }
        } else if (!r->next_url) {
            continue;
        }
        p->ready[n++] = r;
    }
    for (size_t i = n / 2; i-- > 0;) {
        heap_down(p->ready, n, i);
    }
    /* back-pressure: no new transfer while the bodies waiting for a parse thread reach
     * parse_queue_bytes (a body being parsed does not count: one huge body stops nothing) */
    while (n > 0 && p->active < (size_t)p->cfg->collector.max_parallel && !parse_queue_full(p) &&
           !body_memory_short(p)) {
        struct source_run *r = heap_pop(p->ready, &n);
        int err;

        if (!limits_allow(p, r)) {
            continue; /* its host is full: retried at the next pass */
        }
        if (!r->busy) {
            begin_cycle(r, now);
        }
        if (!r->busy || !r->next_url) {
            continue;
        }
        err = start_fetch(r);
        if (err) {
            run_end_transfer(r);
            source_run_fail(r, 0, err == ERR_INVALID ? SOURCE_AUTH_REQUIRED : SOURCE_NETWORK_ERROR,
                              err == ERR_INVALID ? "cookie_file unreadable or invalid"
                                                 : "cannot start the transfer");
        }
    }
    return wait;
}

static bool all_polled(const struct poller *p)
{
    for (size_t i = 0; i < p->n_runs; i++) {
        if (!p->runs[i].polled) {
            return false;
        }
    }
    return p->active == 0;
}

static void drain_multi(struct poller *p)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
        struct source_run *r = NULL;
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r) {
            finish_fetch(r, msg->data.result);
        }
    }
}

/* The per-source value of one family of poller_render_metrics(). */
static int64_t source_up(const struct source_run *r)
{
    return r->polls_total > 0 && r->state == SOURCE_OK;
}

static int64_t source_failures(const struct source_run *r)
{
    return r->failures;
}

static int64_t source_last_success(const struct source_run *r)
{
    return r->last_success;
}

static int64_t source_items_last_seen(const struct source_run *r)
{
    return r->items_last_seen;
}

static int64_t source_stale(const struct source_run *r)
{
    return r->blind.stale.stale;
}

static int64_t source_produced(const struct source_run *r)
{
    return r->produced_total;
}

/*
 * The samples of one per-source family for run r: with value, one {source=id} sample of
 * value(r); without, {source=id,state=...} samples: by_state, one per state the run's polls
 * ended in (its count), else one of value 1 for the run's current state.
 */
static int source_samples(struct yq_buf *b, const char *name, const struct source_run *r,
                          int64_t (*value)(const struct source_run *r), bool by_state)
{
    struct yq_metrics_http_label l[2] = {{"source", r->cfg->id}, {"state", NULL}};
    int err = 0;

    if (value) {
        return yq_metrics_http_sample(b, name, l, 1, value(r));
    }
    for (int s = 0; s < SOURCE_STATE_COUNT && !err; s++) {
        l[1].value = source_state_name((enum source_state)s);
        if (!by_state && s == (int)r->state) {
            err = yq_metrics_http_sample(b, name, l, 2, 1);
        } else if (by_state && r->state_counts[s]) {
            err = yq_metrics_http_sample(b, name, l, 2, (int64_t)r->state_counts[s]);
        }
    }
    return err;
}

/*
 * The blind windows (issue #15) per source and reason: open now (0/1; unpolled is found
 * closed, so always 0) and windows opened since the start.
 */
static int blind_families(const struct poller *p, struct yq_buf *b)
{
    static const struct {
        const char *name, *type, *help;
        bool opened;
    } bf[] = {
        {"yuqing_source_blind", "gauge", "1 while a blind window of the reason is open", false},
        {"yuqing_source_blind_windows_opened_total", "counter",
         "blind windows opened since the start (unpolled ones are found already closed)", true},
    };
    int err = 0;

    for (size_t f = 0; f < sizeof(bf) / sizeof(bf[0]) && !err; f++) {
        err = yq_metrics_http_family(b, bf[f].name, bf[f].type, bf[f].help);
        for (size_t i = 0; i < p->n_runs && !err; i++) {
            const struct source_run *r = &p->runs[i];
            for (int k = 0; k < YQ_BLIND_REASON_COUNT && !err; k++) {
                struct yq_metrics_http_label l[2] = {
                    {"source_id", r->cfg->id},
                    {"reason", yq_blind_reason_name((enum yq_blind_reason)k)}};
                err = yq_metrics_http_sample(b, bf[f].name, l, 2,
                                             bf[f].opened ? r->blind_opened[k]
                                                          : (int64_t)r->blind.win[k].open);
            }
        }
    }
    return err;
}

int poller_render_metrics(const struct poller *p, struct yq_buf *b)
{
    /* the process-wide families: one sample each, a value in milliseconds given in seconds */
    const struct {
        const char *name, *type, *help;
        int64_t value;
        bool millis;
    } totals[] = {
        {"yuqing_collector_sources", "gauge", "sources polled by this process",
         (int64_t)p->n_runs, false},
        {"yuqing_collector_requests_total", "counter", "HTTP transfers finished",
         p->stats.requests, false},
        {"yuqing_collector_poll_lag_max_seconds", "gauge", "worst delay of a due poll",
         p->stats.lag_max_ms, true},
        {"yuqing_collector_items_in_flight", "gauge", "items produced, not yet marked",
         (int64_t)item_producer_in_flight_count(p->producer), false},
        {"yuqing_collector_items_rejected_total", "counter",
         "items Kafka refused for good (logged, settled, not retried)",
         (int64_t)item_producer_rejected_count(p->producer), false},
        {"yuqing_collector_delivery_errors_total", "counter",
         "item delivery reports with an error, one per item (retried, spooled or settled)",
         (int64_t)item_producer_delivery_errors(p->producer), false},
        {"yuqing_collector_redis_up", "gauge", "0 while Redis is in its retry pause",
         store_is_down(p->store) ? 0 : 1, false},
        {"yuqing_collector_bodies_parsed_total", "counter",
         "fetched bodies parsed off the polling thread", p->stats.parsed, false},
        {"yuqing_collector_host_slots_released_total", "counter",
         "transfers that ran past host_slot_ms and stopped holding their host slot",
         p->stats.slots_released, false},
        {"yuqing_collector_body_memory_bytes", "gauge",
         "feed body buffers held now (downloading, queued, being parsed)",
         (int64_t)__atomic_load_n(&p->worker.mem_used, __ATOMIC_RELAXED), false},
        {"yuqing_collector_body_memory_high_water_bytes", "gauge",
         "most feed body buffer bytes held at once since the start",
         (int64_t)__atomic_load_n(&p->worker.mem_high_water, __ATOMIC_RELAXED), false},
        {"yuqing_collector_body_memory_budget_bytes", "gauge",
         "collector.body_memory_bytes in effect",
         (int64_t)__atomic_load_n(&p->worker.mem_budget, __ATOMIC_RELAXED), false},
        {"yuqing_collector_source_events_pending", "gauge",
         "source events (blind windows) produced or waiting for a retry, not yet delivered",
         (int64_t)source_outbox_pending(item_producer_outbox(p->producer)), false},
        {"yuqing_collector_source_events_lost_total", "counter",
         "source events neither delivered nor kept in redis (logged)",
         (int64_t)source_outbox_lost(item_producer_outbox(p->producer)), false},
        {"yuqing_collector_source_events_rejected_total", "counter",
         "source events kafka refused for good (too large, invalid; logged, dropped)",
         (int64_t)source_outbox_rejected(item_producer_outbox(p->producer)), false},
    };
    /* the per-source families: value(run) with a source label, or by state (value NULL) */
    static const struct {
        const char *name, *type, *help;
        int64_t (*value)(const struct source_run *r);
        bool by_state; /* value NULL: polls per state (true) or the current state (false) */
    } fams[] = {
        {"yuqing_collector_source_up", "gauge", "1 when the last poll of the source succeeded",
         source_up, false},
        {"yuqing_collector_source_state", "gauge", "current state of the source (value 1)", NULL,
         false},
        {"yuqing_collector_source_consecutive_failures", "gauge", "failed polls in a row",
         source_failures, false},
        {"yuqing_collector_source_last_success_timestamp_seconds", "gauge",
         "time of the last successful poll", source_last_success, false},
        {"yuqing_collector_source_items_last_seen", "gauge", "entries in the last document",
         source_items_last_seen, false},
        {"yuqing_collector_source_stale", "gauge", "1 when the newest item is too old",
         source_stale, false},
        {"yuqing_collector_source_items_produced_total", "counter", "items handed to Kafka",
         source_produced, false},
        {"yuqing_collector_source_polls_total", "counter", "finished polls by resulting state",
         NULL, true},
    };
    int err = 0;

    for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]) && !err; t++) {
        if (!totals[t].millis) {
            err = yq_metrics_http_scalar(b, totals[t].name, totals[t].type, totals[t].help,
                                         totals[t].value);
            continue;
        }
        /* the writer's samples are integers: seconds with three decimals written here */
        err = yq_metrics_http_family(b, totals[t].name, totals[t].type, totals[t].help);
        if (!err) {
            err = yq_buf_addf(b, "%s %.3f\n", totals[t].name, (double)totals[t].value / 1000.0);
        }
    }
    for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]) && !err; f++) {
        err = yq_metrics_http_family(b, fams[f].name, fams[f].type, fams[f].help);
        for (size_t i = 0; i < p->n_runs && !err; i++) {
            err = source_samples(b, fams[f].name, &p->runs[i], fams[f].value, fams[f].by_state);
        }
    }
    return err ? err : blind_families(p, b);
}

/*
 * The dependencies' states for /healthz and /metrics: Redis from the store (down during its
 * retry pause after a failed command; otherwise a PING every HEALTH_PING_MS, so an idle
 * collector notices too), Kafka from opts.kafka_state (yq_kafka_probe, see yq_health.h).
 */
static void poller_dependencies(struct poller *p, int64_t now, struct yq_dep deps[2])
{
    if (store_is_down(p->store)) {
        p->redis_state = YQ_DEP_DOWN;
    } else if (p->redis_state != YQ_DEP_UP || now >= p->next_ping_ms) {
        p->redis_state = store_ping(p->store) == 0 ? YQ_DEP_UP : YQ_DEP_DOWN;
        p->next_ping_ms = now + HEALTH_PING_MS;
    }
    deps[0].name = "kafka";
    deps[0].state = p->opts.kafka_state
                        ? (enum yq_dep_state)p->opts.kafka_state(p->opts.kafka_state_arg)
                        : YQ_DEP_UNKNOWN;
    deps[1].name = "redis";
    deps[1].state = (enum yq_dep_state)p->redis_state;
}

static void publish_metrics(struct poller *p, bool force)
{
    struct yq_buf b;
    int64_t now = yq_time_mono_ms(); /* real time: the endpoint's refresh, not scheduling */
    struct yq_dep deps[2];
    char text[1024];
    int status;

    if (!p->opts.metrics || (!force && now < p->next_metrics_ms)) {
        return;
    }
    p->next_metrics_ms = now + METRICS_EVERY_MS;
    poller_dependencies(p, now, deps);
    status = yq_health_json(deps, 2, text, sizeof(text));
    if (status > 0) {
        if (status != p->last_health_status && p->last_health_status) {
            LOG_WARN("health changed status=%d kafka=%s redis=%s", status,
                     yq_dep_state_name(deps[0].state), yq_dep_state_name(deps[1].state));
        }
        p->last_health_status = status;
        yq_metrics_http_publish_health(p->opts.metrics, (unsigned)status, text, strlen(text));
    }
    yq_buf_init(&b, METRICS_MAX_BYTES);
    if (yq_health_metrics(&b, "collector", deps, 2) == 0 && poller_render_metrics(p, &b) == 0) {
        yq_metrics_http_publish_metrics(p->opts.metrics, b.data ? b.data : "", b.len);
    }
    yq_buf_release(&b);
}

/* Whether id is a source of the config, enabled or not. */
static bool configured(const struct collector_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_sources; i++) {
        if (strcmp(cfg->sources[i].id, id) == 0) {
            return true;
        }
    }
    return false;
}

int poller_retire_sources(struct poller *p, int64_t now)
{
    unsigned si = p->opts.shard_index, sc = p->opts.shard_count;
    char **ids = NULL;
    size_t n = 0;
    int closed = 0, rc;

    for (size_t i = 0; i < p->cfg->n_sources; i++) {
        const struct source_cfg *s = &p->cfg->sources[i];
        if (s->enabled || !poller_in_shard(s->id, si, sc)) {
            continue;
        }
        rc = source_run_retire(p, s->id, s, YQ_SOURCE_EVENT_RETIRED "信息源已停用（enabled: false）",
                               now);
        if (rc < 0) {
            return rc;
        }
        closed += rc;
    }
    rc = store_source_ids(p->store, &ids, &n);
    if (rc) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (configured(p->cfg, ids[i]) || !poller_in_shard(ids[i], si, sc)) {
            continue;
        }
        rc = source_run_retire(p, ids[i], NULL, YQ_SOURCE_EVENT_RETIRED "信息源已从配置中删除",
                               now);
        if (rc < 0) {
            break;
        }
        closed += rc;
    }
    store_strings_free(ids, n);
    return rc < 0 ? rc : closed;
}

/* Retire once per run, when Redis answers (the store's retry pause spaces the attempts). */
static void retire_once(struct poller *p)
{
    int rc;

    if (p->retired || store_is_down(p->store)) {
        return;
    }
    rc = poller_retire_sources(p, yq_time_now());
    if (rc != ERR_RETRY) {
        p->retired = true;
    }
    if (rc > 0) {
        LOG_INFO("blind windows of sources not polled closed windows=%d", rc);
    } else if (rc < 0 && rc != ERR_RETRY) {
        LOG_ERR("blind windows of sources not polled not closed err=%s", yq_strerror(rc));
    }
}

int poller_run(struct poller *p, bool once, struct item_producer_leftovers *left)
{
    int running = 0, err = 0;

    while (!yq_proc_stop) {
        int64_t wait;

        retire_once(p);
        wait = start_due(p, once);
        CURLMcode mrc = curl_multi_perform(p->multi, &running);

        p->stats.passes++;
        if (mrc != CURLM_OK) {
            LOG_ERR("curl_multi_perform failed err=%s", curl_multi_strerror(mrc));
            err = ERR_NOMEM;
            break;
        }
        drain_multi(p);
        drain_parsed(p, 0);
        resume_paused(p);
        item_producer_poll(p->producer, 0);
        for (size_t i = 0; i < p->n_runs; i++) {
            source_run_settle(&p->runs[i], false);
        }
        publish_metrics(p, false);
        if (once && all_polled(p)) {
            break;
        }
        if (p->active > 0 && wait > POLL_MAX_WAIT_MS) {
            wait = POLL_MAX_WAIT_MS;
        }
        if (p->worker.ingesting) {
            wait = 0; /* a feed's next chunk: only look at the transfers, do not sleep */
        }
        mrc = curl_multi_poll(p->multi, NULL, 0, (int)(wait > 0 ? wait : 0), NULL);
        if (mrc != CURLM_OK) {
            LOG_ERR("curl_multi_poll failed err=%s", curl_multi_strerror(mrc));
            err = ERR_NOMEM;
            break;
        }
    }
    if (yq_proc_stop) {
        LOG_INFO("stopping: signal received, polling stopped, flushing kafka");
    }
    /* bodies already fetched are parsed and ingested, as before the worker (FC-020) */
    while (!err && parse_pending(p) > 0) {
        drain_parsed(p, POLL_MAX_WAIT_MS);
        item_producer_poll(p->producer, 0);
    }
    for (size_t i = 0; i < p->n_runs; i++) {
        run_end_transfer(&p->runs[i]); /* abort fetches still running */
        if (p->runs[i].busy) {
            source_run_end(&p->runs[i]);
        }
    }
    if (item_producer_flush(p->producer, p->cfg->kafka.flush_timeout_ms, left) != 0 && !err) {
        err = ERR_RETRY;
    }
    for (size_t i = 0; i < p->n_runs; i++) {
        source_run_settle(&p->runs[i], true);
    }
    publish_metrics(p, true);
    return err;
}

/*
 * The per-host limit's key of url: "scheme://host:port", lower case, the scheme's default
 * port filled in (http://a and http://a:80 share a key; http://a:8080 and https://a do not).
 */
static void url_host(const char *url, char *out, size_t len)
{
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;

    out[0] = '\0';
    if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        snprintf(out, len, "%s://%s:%s", scheme, host, port);
        for (char *c = out; *c; c++) {
            *c = (char)tolower((unsigned char)*c);
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
}

/* Index of host in p->hosts, added when new. */
static size_t host_index(struct poller *p, const char *host)
{
    for (size_t i = 0; i < p->n_hosts; i++) {
        if (strcmp(p->hosts[i].name, host) == 0) {
            return i;
        }
    }
    snprintf(p->hosts[p->n_hosts].name, sizeof(p->hosts[p->n_hosts].name), "%s", host);
    return p->n_hosts++;
}

struct poller *poller_new(const struct collector_config *cfg, struct store *store,
                          struct item_producer *producer, const struct poller_opts *opts,
                          char *errbuf, size_t errlen)
{
    struct poller *p = calloc(1, sizeof(*p));
    int64_t now;
    size_t n = cfg->n_sources ? cfg->n_sources : 1;

    if (!p) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->store = store;
    p->producer = producer;
    if (opts) {
        p->opts = *opts;
    }
    now = source_run_now(p);
    p->redis_state = YQ_DEP_UNKNOWN;
    xmlInitParser(); /* before the parse threads: libxml2 2.9 initialises lazily, not safely */
    p->rng = (uint64_t)yq_time_now() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
    p->multi = curl_multi_init();
    p->runs = calloc(n, sizeof(*p->runs));
    p->hosts = calloc(n, sizeof(*p->hosts));
    p->ready = calloc(n, sizeof(*p->ready));
    if (!p->multi || !p->runs || !p->hosts || !p->ready || parse_worker_start(p) != 0) {
        snprintf(errbuf, errlen, "out of memory");
        poller_free(p);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct source_cfg *s = &cfg->sources[i];
        struct source_run *r;
        char host[POLLER_HOST_MAX];
        char *url;

        if (!s->enabled) {
            LOG_INFO("source disabled source_id=%s", s->id);
            continue;
        }
        if (!poller_in_shard(s->id, p->opts.shard_index, p->opts.shard_count)) {
            continue;
        }
        url = source_kind_of(s->kind_id)->first_url(cfg, s);
        if (!url) {
            snprintf(errbuf, errlen, "out of memory");
            poller_free(p);
            return NULL;
        }
        r = &p->runs[p->n_runs++];
        r->cfg = s;
        r->kind = source_kind_of(s->kind_id);
        r->first_url = url;
        r->p = p;
        r->next_due_ms = now; /* first poll at start */
        if (cfg->collector.seen_cache_ids > 0 &&
            !(r->seen = seen_cache_new((size_t)cfg->collector.seen_cache_ids))) {
            snprintf(errbuf, errlen, "out of memory");
            poller_free(p);
            return NULL;
        }
        url_host(url, host, sizeof(host));
        r->host_idx = host_index(p, host);
        yq_buf_init(&r->body, (size_t)cfg->collector.max_body_bytes);
    }
    if (p->opts.shard_count > 1) {
        LOG_INFO("shard %u/%u polls sources=%zu of %zu", p->opts.shard_index,
                 p->opts.shard_count, p->n_runs, cfg->n_sources);
    }
    return p;
}

void poller_free(struct poller *p)
{
    if (!p) {
        return;
    }
    parse_worker_stop(p); /* joins the worker before the runs it points at go */
    for (size_t i = 0; p->runs && i < p->n_runs; i++) {
        if (p->multi) {
            run_end_transfer(&p->runs[i]);
        }
        source_run_clear_stash(&p->runs[i]);
        if (p->runs[i].kind->reset) {
            p->runs[i].kind->reset(&p->runs[i]);
        }
        free(p->runs[i].first_url);
        free(p->runs[i].next_url);
        seen_cache_free(p->runs[i].seen);
        source_run_forget_validators(&p->runs[i]);
        free(p->runs[i].moved_to);
    }
    free(p->runs);
    free(p->hosts);
    free(p->ready);
    if (p->multi) {
        curl_multi_cleanup(p->multi);
    }
    free(p);
}

size_t poller_source_count(const struct poller *p)
{
    return p->n_runs;
}

int64_t poller_source_polls(const struct poller *p, const char *id)
{
    for (size_t i = 0; i < p->n_runs; i++) {
        if (strcmp(p->runs[i].cfg->id, id) == 0) {
            return p->runs[i].polls_total;
        }
    }
    return -1;
}

int64_t poller_next_due_ms(const struct poller *p)
{
    int64_t due = INT64_MAX;

    for (size_t i = 0; i < p->n_runs; i++) {
        const struct source_run *r = &p->runs[i];
        if (!r->busy && !r->easy && !r->parsing && r->next_due_ms < due) {
            due = r->next_due_ms;
        }
    }
    return due;
}

const struct poller_stats *poller_get_stats(const struct poller *p)
{
    return &p->stats;
}
