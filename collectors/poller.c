#include "poller.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bbuf.h"
#include "feed_parse.h"
#include "ingest.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_time.h"
#include "yq_banned.h"

#define POLL_MAX_WAIT_MS 100 /* Kafka delivery reports are served at least this often */
#define HOST_MAX 256
#define VALIDATOR_MAX 1024

struct source_run {
    const struct source_cfg *cfg;
    struct poller *p;
    char host[HOST_MAX];
    int64_t next_due_ms;
    int64_t failures;
    bool polled;                 /* finished at least one poll (for --once) */
    CURL *easy;                  /* non-NULL while a fetch is running */
    struct curl_slist *headers;
    struct bbuf body;
    bool too_big;
    bool nomem;
    char *resp_etag;             /* validators of the current response */
    char *resp_last_modified;
    char curl_err[CURL_ERROR_SIZE];
    struct delivery_tally tally;
    bool stash;                  /* validators waiting for this source's deliveries */
    char *stash_etag;
    char *stash_last_modified;
};

struct poller {
    const struct collector_config *cfg;
    struct store *store;
    struct item_producer *producer;
    CURLM *multi;
    struct source_run *runs;
    size_t n_runs;
    size_t active;
    uint64_t rng;
};

static uint64_t next_rand(uint64_t *s)
{
    /* xorshift64: jitter only, not security */
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

int64_t poller_backoff_ms(int64_t interval_ms, int64_t max_ms, int64_t failures, uint64_t *rng)
{
    int64_t d = interval_ms;
    int64_t cap = max_ms > interval_ms ? max_ms : interval_ms;

    for (int64_t i = 1; i < failures && d < cap; i++) {
        d = d > cap / 2 ? cap : d * 2;
    }
    if (d > cap) {
        d = cap;
    }
    return d / 2 + (int64_t)(next_rand(rng) % (uint64_t)(d / 2 + 1));
}

static void run_reset_response(struct source_run *r)
{
    free(r->resp_etag);
    free(r->resp_last_modified);
    r->resp_etag = NULL;
    r->resp_last_modified = NULL;
}

static void run_end_transfer(struct source_run *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->p->multi, r->easy); /* before cleanup */
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        r->p->active--;
    }
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    bbuf_release(&r->body);
    r->too_big = false;
    r->nomem = false;
    run_reset_response(r);
}

static void run_clear_stash(struct source_run *r)
{
    free(r->stash_etag);
    free(r->stash_last_modified);
    r->stash_etag = NULL;
    r->stash_last_modified = NULL;
    r->stash = false;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct source_run *r = userdata;
    size_t n = size * nmemb;
    int err = bbuf_add(&r->body, data, n);

    if (err) {
        r->too_big = err == ERR_TOO_BIG;
        r->nomem = err == ERR_NOMEM;
        return 0; /* aborts the transfer (CURLE_WRITE_ERROR) */
    }
    return n;
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
        run_reset_response(r); /* a new response (after a redirect) */
    } else if (len > 5 && strncasecmp(data, "ETag:", 5) == 0) {
        free(r->resp_etag);
        r->resp_etag = header_value(data + 5, len - 5);
    } else if (len > 14 && strncasecmp(data, "Last-Modified:", 14) == 0) {
        free(r->resp_last_modified);
        r->resp_last_modified = header_value(data + 14, len - 14);
    }
    return len;
}

static int add_header(struct source_run *r, const char *name, const char *value)
{
    char line[VALIDATOR_MAX + 64];
    struct curl_slist *l;

    snprintf(line, sizeof(line), "%s: %s", name, value);
    l = curl_slist_append(r->headers, line);
    if (!l) {
        return ERR_NOMEM;
    }
    r->headers = l;
    return 0;
}

#define SETOPT(h, opt, val)                                                                    \
    do {                                                                                       \
        if (rc == CURLE_OK) {                                                                  \
            rc = curl_easy_setopt((h), (opt), (val));                                          \
        }                                                                                      \
    } while (0)

static int start_fetch(struct source_run *r)
{
    const struct collector_cfg *cc = &r->p->cfg->collector;
    char *etag = NULL, *last_modified = NULL;
    CURLcode rc = CURLE_OK;
    CURLMcode mrc;
    int err = 0;

    bbuf_init(&r->body, (size_t)cc->max_body_bytes);
    r->curl_err[0] = '\0';
    if (store_get_validators(r->p->store, r->cfg->id, &etag, &last_modified) == 0) {
        if (etag) {
            err = add_header(r, "If-None-Match", etag);
        }
        if (!err && last_modified) {
            err = add_header(r, "If-Modified-Since", last_modified);
        }
    }
    free(etag);
    free(last_modified);
    if (err) {
        return err;
    }
    r->easy = curl_easy_init();
    if (!r->easy) {
        return ERR_NOMEM;
    }
    r->p->active++;
    SETOPT(r->easy, CURLOPT_URL, r->cfg->url);
    SETOPT(r->easy, CURLOPT_PRIVATE, r);
    SETOPT(r->easy, CURLOPT_NOSIGNAL, 1L);
    SETOPT(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(r->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(r->easy, CURLOPT_FOLLOWLOCATION, 1L);
    SETOPT(r->easy, CURLOPT_MAXREDIRS, (long)cc->max_redirects);
    SETOPT(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)cc->connect_timeout_ms);
    SETOPT(r->easy, CURLOPT_TIMEOUT_MS, (long)cc->timeout_ms);
    SETOPT(r->easy, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl decodes */
    SETOPT(r->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cc->max_body_bytes);
    SETOPT(r->easy, CURLOPT_USERAGENT, cc->user_agent);
    SETOPT(r->easy, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(r->easy, CURLOPT_WRITEDATA, r);
    SETOPT(r->easy, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(r->easy, CURLOPT_HEADERDATA, r);
    SETOPT(r->easy, CURLOPT_ERRORBUFFER, r->curl_err);
    if (r->headers) {
        SETOPT(r->easy, CURLOPT_HTTPHEADER, r->headers);
    }
    if (rc != CURLE_OK) {
        LOG_ERR("curl setup failed source_id=%s err=%s", r->cfg->id, curl_easy_strerror(rc));
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        r->p->active--;
        return ERR_NOMEM;
    }
    mrc = curl_multi_add_handle(r->p->multi, r->easy);
    if (mrc != CURLM_OK) {
        LOG_ERR("curl multi add failed source_id=%s err=%s", r->cfg->id,
                curl_multi_strerror(mrc));
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        r->p->active--;
        return ERR_NOMEM;
    }
    LOG_DEBUG("fetch started source_id=%s url=%s", r->cfg->id, r->cfg->url);
    return 0;
}

static void schedule_failure(struct source_run *r, long status, const char *why)
{
    int64_t delay;

    r->failures++;
    delay = poller_backoff_ms(r->cfg->interval_ms, r->p->cfg->collector.backoff_max_ms,
                              r->failures, &r->p->rng);
    r->next_due_ms = yq_time_mono_ms() + delay;
    LOG_WARN("poll failed source_id=%s http_status=%ld consecutive_failures=%lld "
             "retry_in_ms=%lld err='%s'",
             r->cfg->id, status, (long long)r->failures, (long long)delay, why);
    store_health_fail(r->p->store, r->cfg->id, yq_time_now(), status, r->failures, why);
}

static void schedule_success(struct source_run *r)
{
    r->failures = 0;
    r->next_due_ms = yq_time_mono_ms() + r->cfg->interval_ms;
}

/* Validators of a fully ingested 200: store now, or once this source's deliveries are in. */
static void keep_validators(struct source_run *r)
{
    if (!r->resp_etag && !r->resp_last_modified) {
        return;
    }
    if (r->tally.pending == 0 && r->tally.failed == 0 && !r->stash) {
        store_put_validators(r->p->store, r->cfg->id, r->resp_etag, r->resp_last_modified);
        return;
    }
    run_clear_stash(r);
    r->stash = true;
    r->stash_etag = r->resp_etag;
    r->stash_last_modified = r->resp_last_modified;
    r->resp_etag = NULL;
    r->resp_last_modified = NULL;
}

static void settle_stash(struct source_run *r)
{
    if (r->tally.pending > 0) {
        return;
    }
    if (r->stash && r->tally.failed == 0) {
        store_put_validators(r->p->store, r->cfg->id, r->stash_etag, r->stash_last_modified);
    }
    /* after a failed delivery the validators are not stored: the next poll gets a 200 */
    run_clear_stash(r);
    r->tally.failed = 0;
}

static void handle_body(struct source_run *r, long status, const char *content_type,
                        const char *effective_url)
{
    const struct collector_cfg *cc = &r->p->cfg->collector;
    struct feed_input in = {
        .body = r->body.data ? r->body.data : "",
        .len = r->body.len,
        .content_type = content_type,
        .base_url = effective_url ? effective_url : r->cfg->url,
        .max_bytes = (size_t)cc->max_body_bytes * 4,
    };
    struct feed *f = NULL;
    struct ingest_result res;
    char err_msg[256] = "";
    int64_t now = yq_time_now();
    int err;

    err = feed_parse(&in, &f, err_msg, sizeof(err_msg));
    if (err) {
        schedule_failure(r, status, err_msg[0] ? err_msg : yq_strerror(err));
        return;
    }
    if (f->bozo) {
        LOG_INFO("feed not well-formed, recovered source_id=%s reason='%s'", r->cfg->id,
                 f->bozo_message ? f->bozo_message : "");
    }
    err = ingest_feed(f, r->cfg, now, (size_t)cc->max_text_bytes, r->p->store, r->p->producer,
                      &r->tally, &res);
    feed_free(f);
    if (err && err != ERR_RETRY) {
        schedule_failure(r, status, yq_strerror(err));
        return;
    }
    LOG_INFO("poll ok source_id=%s http_status=%ld entries=%zu produced=%zu seen=%zu "
             "in_flight=%zu deferred=%zu invalid=%zu",
             r->cfg->id, status, res.entries, res.produced, res.seen, res.in_flight,
             res.deferred, res.invalid);
    if (err == 0) {
        keep_validators(r);
    }
    store_health_ok(r->p->store, r->cfg->id, now, status, (int64_t)res.entries);
    schedule_success(r);
}

static void finish_fetch(struct source_run *r, CURLcode res)
{
    long status = 0;
    char *content_type = NULL, *effective_url = NULL;
    char why[CURL_ERROR_SIZE + 64];

    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    r->polled = true;
    if (r->too_big) {
        snprintf(why, sizeof(why), "body exceeds max_body_bytes=%lld",
                 (long long)r->p->cfg->collector.max_body_bytes);
        schedule_failure(r, status, why);
    } else if (r->nomem) {
        schedule_failure(r, status, "out of memory");
    } else if (res != CURLE_OK) {
        if (res == CURLE_FILESIZE_EXCEEDED) {
            snprintf(why, sizeof(why), "body exceeds max_body_bytes=%lld",
                     (long long)r->p->cfg->collector.max_body_bytes);
        } else {
            snprintf(why, sizeof(why), "%s",
                     r->curl_err[0] ? r->curl_err : curl_easy_strerror(res));
        }
        schedule_failure(r, status, why);
    } else if (status == 304) {
        LOG_INFO("poll ok source_id=%s http_status=304 not modified", r->cfg->id);
        store_health_ok(r->p->store, r->cfg->id, yq_time_now(), status, -1);
        schedule_success(r);
    } else if (status < 200 || status >= 300) {
        snprintf(why, sizeof(why), "http status %ld", status);
        schedule_failure(r, status, why);
    } else {
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &content_type);
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &effective_url);
        handle_body(r, status, content_type, effective_url);
    }
    run_end_transfer(r);
}

static size_t host_active(const struct poller *p, const char *host)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_runs; i++) {
        if (p->runs[i].easy && strcmp(p->runs[i].host, host) == 0) {
            n++;
        }
    }
    return n;
}

/* Start due sources within the limits; returns ms until the next due one (may be 0). */
static int64_t start_due(struct poller *p, bool once)
{
    int64_t now = yq_time_mono_ms(), wait = POLL_MAX_WAIT_MS;

    for (size_t i = 0; i < p->n_runs; i++) {
        struct source_run *r = &p->runs[i];
        if (r->easy || (once && r->polled)) {
            continue;
        }
        if (r->next_due_ms > now) {
            if (r->next_due_ms - now < wait) {
                wait = r->next_due_ms - now;
            }
            continue;
        }
        if (p->active >= (size_t)p->cfg->collector.max_parallel ||
            host_active(p, r->host) >= (size_t)p->cfg->collector.max_per_host) {
            continue; /* retried when a transfer ends */
        }
        if (start_fetch(r) != 0) {
            run_end_transfer(r);
            schedule_failure(r, 0, "cannot start the transfer");
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

int poller_run(struct poller *p, bool once)
{
    int running = 0, err = 0;

    while (!yq_proc_stop) {
        int64_t wait = start_due(p, once);
        CURLMcode mrc = curl_multi_perform(p->multi, &running);

        if (mrc != CURLM_OK) {
            LOG_ERR("curl_multi_perform failed err=%s", curl_multi_strerror(mrc));
            err = ERR_NOMEM;
            break;
        }
        drain_multi(p);
        item_producer_poll(p->producer, 0);
        for (size_t i = 0; i < p->n_runs; i++) {
            settle_stash(&p->runs[i]);
        }
        if (once && all_polled(p)) {
            break;
        }
        if (p->active > 0 && wait > POLL_MAX_WAIT_MS) {
            wait = POLL_MAX_WAIT_MS;
        }
        mrc = curl_multi_poll(p->multi, NULL, 0, (int)(wait > 0 ? wait : 0), NULL);
        if (mrc != CURLM_OK) {
            LOG_ERR("curl_multi_poll failed err=%s", curl_multi_strerror(mrc));
            err = ERR_NOMEM;
            break;
        }
    }
    if (yq_proc_stop) {
        LOG_INFO("stopping: signal received, flushing kafka");
    }
    for (size_t i = 0; i < p->n_runs; i++) {
        run_end_transfer(&p->runs[i]); /* abort fetches still running */
    }
    if (item_producer_flush(p->producer, p->cfg->kafka.flush_timeout_ms) != 0 && !err) {
        err = ERR_RETRY;
    }
    for (size_t i = 0; i < p->n_runs; i++) {
        settle_stash(&p->runs[i]);
    }
    return err;
}

static void url_host(const char *url, char *out, size_t len)
{
    CURLU *h = curl_url();
    char *host = NULL;

    out[0] = '\0';
    if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        snprintf(out, len, "%s", host);
        for (char *c = out; *c; c++) {
            *c = (char)tolower((unsigned char)*c);
        }
    }
    curl_free(host);
    curl_url_cleanup(h);
}

struct poller *poller_new(const struct collector_config *cfg, struct store *store,
                          struct item_producer *producer, char *errbuf, size_t errlen)
{
    struct poller *p = calloc(1, sizeof(*p));
    int64_t now = yq_time_mono_ms();

    if (!p) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->store = store;
    p->producer = producer;
    p->rng = (uint64_t)yq_time_now() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
    p->multi = curl_multi_init();
    p->runs = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof(*p->runs));
    if (!p->multi || !p->runs) {
        snprintf(errbuf, errlen, "out of memory");
        poller_free(p);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct source_cfg *s = &cfg->sources[i];
        struct source_run *r;

        if (!s->enabled) {
            LOG_INFO("source disabled source_id=%s", s->id);
            continue;
        }
        if (!s->feed) {
            LOG_WARN("source kind not supported until issue 3, skipped source_id=%s kind=%s",
                     s->id, s->kind);
            continue;
        }
        r = &p->runs[p->n_runs++];
        r->cfg = s;
        r->p = p;
        r->next_due_ms = now; /* first poll at start */
        url_host(s->url, r->host, sizeof(r->host));
        bbuf_init(&r->body, (size_t)cfg->collector.max_body_bytes);
    }
    return p;
}

void poller_free(struct poller *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n_runs; i++) {
        if (p->multi) {
            run_end_transfer(&p->runs[i]);
        }
        run_clear_stash(&p->runs[i]);
    }
    free(p->runs);
    if (p->multi) {
        curl_multi_cleanup(p->multi);
    }
    free(p);
}

size_t poller_source_count(const struct poller *p)
{
    return p->n_runs;
}
