/*
 * The poller's state (poller.c: event loop, HTTP mechanics, parse threads, metrics), shared
 * with source_run.c (one source's cycle and health) and the source kinds (source_kind.h:
 * poller_feed.c, poller_weibo.c); types only, not a public API. The calls go one way:
 * poller.c -> source_kind.c's table -> the kinds -> source_run.c; nothing calls back into
 * poller.c (scripts/check-circles.py).
 */
#ifndef YQ_POLLER_INTERNAL_H
#define YQ_POLLER_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "feed_sha1.h"
#include "fetch.h"
#include "ingest.h"
#include "poller.h"
#include "seen_cache.h"
#include "source_blind.h"
#include "source_health.h"
#include "source_kind.h"
#include "source_state.h"
#include "weibo.h"
#include "yq_buf.h"

/* "scheme://host:port" (lower case, default port filled in): the per-host limit's key */
#define POLLER_HOST_MAX 320

enum job_kind {
    JOB_FEED,         /* one conditional GET of a feed */
    JOB_WEIBO_PAGE,   /* a getIndex page */
    JOB_WEIBO_EXTEND, /* statuses/extend?id=<mid> of a post on the current page */
    JOB_WEIBO_RETRY,  /* statuses/extend for a post sent truncated earlier */
};

enum weibo_phase {
    WB_RETRY,
    WB_PAGE,
    WB_EXTEND,
};

struct weibo_cycle {
    enum weibo_phase phase;
    char *api_base;           /* scheme://host[:port] of the first URL (owned) */
    int64_t pages_done;
    char since_id[WEIBO_CURSOR_MAX];
    int64_t page_no;
    struct weibo_page page;   /* the page being completed */
    size_t next_post;         /* next post whose long text to consider */
    char **retry_mids;        /* pending long texts (from Redis) */
    char **retry_jsons;
    size_t n_retry;
    size_t next_retry;
    struct ingest_result total;
    bool first_crawl;         /* no earlier crawl: posts older than the window are a baseline */
    size_t baselined;         /* posts marked seen without being produced in this cycle */
    bool baseline_deferred;   /* a baseline mark failed (Redis): not recorded as done */
};

struct source_run {
    const struct source_cfg *cfg;
    const struct source_kind_ops *kind; /* how this source is polled (source_kind_of()) */
    char *first_url;             /* the kind's first request of a cycle (owned) */
    struct poller *p;
    size_t host_idx;
    int64_t next_due_ms;
    int64_t failures;
    bool polled;                 /* finished at least one cycle (for --once) */
    bool busy;                   /* a poll cycle is in progress */
    char *next_url;              /* request to start when limits allow (owned) */
    enum job_kind next_job;
    enum job_kind job;           /* of the running transfer */
    CURL *easy;                  /* non-NULL while a transfer is running */
    bool holds_slot;             /* the running transfer counts against max_per_host */
    int64_t started_ms;          /* poller clock when the running transfer started */
    bool parsing;                /* its body is with the parse worker */
    bool paused;                 /* its transfer waits for body memory (CURL_WRITEFUNC_PAUSE) */
    size_t mem_held;             /* body.cap counted in the body memory budget (worker.lock) */
    struct curl_slist *headers;
    struct yq_buf body;       /* decoded by dec: max_body_bytes counts decoded bytes */
    struct fetch_decoder dec; /* the running transfer's Content-Encoding */
    bool too_big;
    bool nomem;
    char *resp_etag;             /* validators of the current response */
    char *resp_last_modified;
    int64_t resp_retry_after_ms; /* the current response's Retry-After as a delay, -1 = none */
    int redirects_permanent;     /* this transfer's redirects: 0 none, 1 all 301/308, -1 not */
    char *moved_to;              /* the URL last reported as the feed's new home (owned; NULL =
                                    none known) */
    bool moved_known;            /* moved_to is what the health hash holds */
    char *content_location;      /* feed kind: the response's Content-Location (owned; set by
                                    poller_feed.c's done, read by its parse while r->parsing,
                                    freed by its reset) */
    char curl_err[CURL_ERROR_SIZE];
    struct delivery_tally tally;
    struct seen_cache *seen;     /* ids known seen (seen_cache.h), or NULL when off; owned */
    bool crawled;                /* a poll of this source succeeded in this process */
    bool identity_published;     /* name and kind written to the health hash */
    bool validators_known;       /* known_*: what Redis holds (source_run_validators()) */
    char *known_etag;            /* owned, NULL = none */
    char *known_last_modified;
    /* feed kind (poller_feed.c): a 2xx body equal to the last one whose every entry was
       settled (seen or invalid) is not parsed again (issue #16) */
    char body_sha1[FEED_SHA1_HEX_LEN];    /* SHA-1 of the body being parsed, "" = none */
    char settled_sha1[FEED_SHA1_HEX_LEN]; /* of the last body settled, "" = none */
    struct ingest_result settled_res;     /* its ingest result (nothing produced) */
    struct ingest_run *ingest;            /* the parsed body being ingested in chunks (owned;
                                             NULL between bodies) */
    uint64_t bodies_unchanged;            /* 2xx bodies skipped that way */
    bool items_24h_done;         /* items_24h written once in this process, ... */
    int64_t items_24h_at_ms;     /* ... last at this poller-clock time */
    bool stash;                  /* validators waiting for this source's deliveries */
    char *stash_etag;
    char *stash_last_modified;
    /* health, for Redis and /metrics */
    enum source_state state;
    bool state_reported;         /* an alert was raised for the current failure state */
    struct source_blind blind;   /* blind windows and staleness (source_blind.h) */
    bool blind_loaded;           /* blind read from Redis (once per start) */
    int64_t blind_opened[YQ_BLIND_REASON_COUNT]; /* windows opened since start, by reason */
    int64_t last_success;        /* UTC seconds, 0 = never */
    long last_status;
    int64_t items_last_seen;
    int64_t polls_total;
    int64_t produced_total;
    int64_t state_counts[SOURCE_STATE_COUNT];
    struct weibo_cycle wb;       /* Weibo sources (poller_weibo.c) */
};

struct host_slot {
    char name[POLLER_HOST_MAX];
    size_t active;
};

/*
 * A finished body on its way through the parse worker (poller.c). The source kind's parse op
 * sets err/err_msg and out, its own result (a type of its own file); its release_job op frees
 * out, so the worker never knows what a kind's result holds.
 */
struct parse_job {
    struct parse_job *next;
    struct source_run *r;        /* borrowed; r->parsing while the job exists */
    long status;
    struct yq_buf body;            /* moved from r->body */
    size_t mem_bytes;            /* its share of the body memory budget, until the body goes */
    char *content_type;          /* owned copies, may be NULL */
    char *effective_url;
    char *etag;                  /* r's response validators, moved; given back when done */
    char *last_modified;
    int err;
    char err_msg[256];
    void *out; /* the kind's result (owned; NULL until its parse op sets it) */
};

#define POLLER_PARSE_THREADS_MAX 16

struct parse_worker {
    pthread_t threads[POLLER_PARSE_THREADS_MAX];
    size_t n_threads;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;         /* waiting got a job, or stop */
    pthread_cond_t done_cond;    /* done got a job */
    struct parse_job *waiting, *waiting_tail;
    struct parse_job *done, *done_tail;
    struct parse_job *ingesting; /* parsed jobs whose ingest goes on at the next pass, in the
                                    order they were parsed (loop thread only; in pending) */
    bool stop;
    size_t pending;              /* jobs in waiting, being parsed, in done or ingesting */
    size_t queued_bytes;         /* body bytes in waiting (not yet taken by a thread) */
    /*
     * The body memory budget (issue #10): body buffer bytes (capacity) held at once, by
     * transfers, queued jobs and parses, never above mem_budget. One transfer at a time, the
     * leader, may grow to a whole body (max_body_bytes + 1); the others together stay within
     * mem_budget - that, so the leader can always finish once the parses release their
     * bodies: the budget never deadlocks. Written under lock with __atomic stores, so that
     * /metrics may read them without it.
     */
    size_t mem_budget;
    size_t mem_used;
    size_t mem_high_water;       /* largest mem_used seen */
    size_t mem_others;           /* held by transfers other than the leader */
    struct source_run *mem_leader;
    uint64_t mem_releases;       /* bumped when memory is given back: paused transfers retry */
};

struct poller {
    const struct collector_config *cfg;
    struct store *store;
    struct item_producer *producer;
    struct poller_opts opts;
    CURLM *multi;
    struct source_run *runs;
    size_t n_runs;
    struct host_slot *hosts;
    size_t n_hosts;
    size_t active;
    uint64_t rng;
    struct poller_stats stats;
    struct source_run **ready;   /* n_runs slots: the due heap built by each pass */
    struct parse_worker worker;
    int redis_state;             /* enum yq_dep_state, for /healthz */
    int64_t next_ping_ms;
    int last_health_status;      /* 200/503 last published; 0 = none yet */
    int64_t next_metrics_ms;
    size_t n_paused;             /* runs with paused set */
    uint64_t resumed_at;         /* worker.mem_releases when paused transfers last resumed */
    bool retired;                /* poller_retire_sources() done (Redis answered) */
};

#endif
