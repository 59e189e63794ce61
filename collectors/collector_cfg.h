/*
 * config/sources.yaml: the collector's configuration.
 *
 *   kafka:     yq_kafka_cfg_keys (bootstrap_servers, items_topic, flush_timeout_ms, ...)
 *   redis:     yq_redis_cfg_keys (host, port, password_file, seen_ttl_s, ...)
 *   collector: collector_cfg_keys below (HTTP limits, backoff)
 *   sources:   a list of mappings, each filled from source_cfg_keys; a source's
 *              "headers:" mapping (extra request headers) is parsed here, not by the table
 *
 * Loaded once at start-up; unknown keys fail naming file and line.
 */
#ifndef YQ_COLLECTOR_CFG_H
#define YQ_COLLECTOR_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yq_cfg.h"
#include "yq_kafka.h"
#include "yq_metrics_http.h"
#include "yq_redis.h"

enum source_kind {
    SOURCE_RSS,          /* RSS / Atom / RDF feed */
    SOURCE_WECHAT_FEED,  /* a WeChat bridge (RSSHub, WeWe RSS, ...) serving RSS/Atom */
    SOURCE_WEIBO_USER,   /* m.weibo.cn user timeline, containerid 107603<uid> */
    SOURCE_WEIBO_SEARCH, /* m.weibo.cn keyword search, containerid 100103type=1&q=<query> */
    SOURCE_WEIBO_HOT,    /* Weibo's hot-search list (热搜榜, issue #15): ranks per poll */
};

/* weibo_hot watch_terms (issue #15): at most this many, each at most this long in bytes. */
#define SOURCE_WATCH_TERMS_MAX 200
#define SOURCE_WATCH_TERM_MAX_BYTES 256

/* Longest accepted header name and value, in bytes. */
#define SOURCE_HEADER_NAME_MAX 100
#define SOURCE_HEADER_VALUE_MAX 1024

/* One extra request header of a source ("headers:" in sources.yaml). */
struct source_header {
    char *name;  /* RFC 7230 token (tchar only), never Host/Content-Length/...; owned */
    char *value; /* non-empty, no control characters but HTAB; owned; never logged */
};

struct source_cfg {
    char *id;           /* required, unique; used in item.source_id and Redis keys */
    char *kind;         /* rss (default), wechat_feed, weibo_user, weibo_search, weibo_hot */
    char *name;         /* channel name for items; NULL = the feed's own title */
    char *url;          /* http(s); required for feeds; Weibo: built from uid/query if absent */
    int64_t interval_ms;
    char *department;   /* the source's department (required when official); NULL when absent */
    bool official;      /* the government's own account (issue #11): items carry "official" */
    char *response_channel; /* official sources (issue #15): the 回应 channel the source stands
                               for, "政务微博", "政务微信", "网站" or "权威发布"; when absent,
                               derived from the kind (weibo_* 政务微博, wechat_feed 政务微信,
                               rss 网站); NULL for sources that are not official */
    bool local;         /* a local source (issue #11): items carry "local", local rules need
                           no place name in them */
    bool enabled;
    char *cookie_file;  /* file whose content is sent as the Cookie header (never logged) */
    int64_t stale_after_ms; /* newest item older than this: one "source stale" alert; 0 off */
    char *uid;          /* weibo_user: numeric uid */
    char *query;        /* weibo_search: keyword(s) */
    int64_t max_pages;  /* Weibo: pages read per poll (since_id paging) */
    char **watch_terms; /* weibo_hot (issue #15): n_watch_terms terms whose entries are marked
                           hot.watched (an alert even without a rule); owned */
    size_t n_watch_terms;
    int64_t rise_rank;  /* weibo_hot: an entry rising to this rank or better is produced again
                           (trigger "rose"); 0 = off */
    int64_t quiet_factor;  /* blind spots (issue #15): quiet after this many usual intervals
                              between new items without one; 0 = off */
    int64_t quiet_min_ms;  /* ... and never before this long without a new item */
    int64_t blind_after_failures; /* consecutive failed polls that open a "failing" window */
    struct source_header *headers; /* n_headers extra request headers, owned */
    size_t n_headers;
    enum source_kind kind_id; /* parsed from kind */
    bool feed;                /* fetched as a feed (RSS/Atom/RDF/JSON Feed) */
};

struct collector_cfg {
    int64_t max_body_bytes;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    int64_t max_redirects;
    char *user_agent;
    int64_t max_per_host;
    int64_t max_parallel;
    int64_t host_slot_ms;     /* a transfer running this long frees its max_per_host slot */
    int64_t parse_queue_bytes; /* bodies waiting for a parse thread: no new start beyond */
    int64_t parse_threads;    /* threads parsing fetched feed bodies */
    int64_t body_memory_bytes; /* body bytes held at once (all transfers and parses); 0 = 2 x
                                * max_body_bytes; transfers pause at it (issue #10) */
    int64_t backoff_max_ms;
    int64_t redis_retry_ms;
    int64_t max_text_bytes;
    char *weibo_api;          /* base of the m.weibo.cn API (tests point it elsewhere) */
    char *weibo_user_agent;   /* mobile User-Agent sent to Weibo */
    int64_t weibo_first_crawl_window_ms; /* first crawl: older posts are a baseline; 0 off */
    struct yq_metrics_http_cfg metrics; /* /metrics and /healthz; address "" = off */
    int64_t kafka_linger_ms;  /* producer linger.ms */
    char *spool_path;         /* undelivered items at shutdown (FC-020); "" = none */
    int64_t seen_cache_ids;   /* ids known seen kept in memory per source and generation
                                 (seen_cache.h, issue #16); 0 = off: every check asks Redis */
};

struct collector_config {
    struct yq_kafka_cfg kafka;
    struct yq_redis_cfg redis;
    struct collector_cfg collector;
    struct source_cfg *sources; /* n_sources entries, owned */
    size_t n_sources;
};

extern const struct cfg_key collector_config_keys[]; /* top level */
extern const struct cfg_key collector_cfg_keys[];    /* "collector:" */
extern const struct cfg_key source_cfg_keys[];       /* one element of "sources:" */

/*
 * Load file (or, when text is non-NULL, text_len bytes of text named file) into cfg (caller
 * storage, zeroed by the callee). Fills defaults, then the file. A collector.max_text_bytes
 * above YQ_ITEM_MAX_TEXT_BYTES (up to 64 MiB is accepted) becomes that cap, with one
 * LOG_WARN naming file, key and the value used.
 * Returns 0, ERR_NOT_FOUND, ERR_IO, ERR_PARSE (bad YAML), ERR_INVALID (unknown key, bad
 * value, body_memory_bytes below max_body_bytes, missing id/url, duplicate id, unknown kind,
 * a bad, reserved or repeated header name, a header value that is not text, is empty or
 * holds CR/LF or other control characters) or
 * ERR_NOMEM, with one line in errbuf ("FILE:LINE: ..."; header values are never quoted, they
 * may be secrets). On failure cfg holds nothing to release (releasing is still safe).
 */
int collector_config_load(struct collector_config *cfg, const char *file, const char *text,
                          size_t text_len, char *errbuf, size_t errlen);

/*
 * Apply one "--set a.b=value" override (top-level table); collector.max_text_bytes is lowered to
 * the item's text cap as at load (warning with file '--set'). Returns 0 or ERR_INVALID/NOMEM.
 */
int collector_config_set(struct collector_config *cfg, const char *assignment, char *errbuf,
                         size_t errlen);

/*
 * URL of the first page of a Weibo source into a new string (free()): src->url when set,
 * else <weibo_api>/api/container/getIndex?type=uid&value=<uid>&containerid=107603<uid> or
 * ...?containerid=100103type%3D1%26q%3D<url-encoded query>&page_type=searchall.
 * Returns NULL on ERR_NOMEM.
 */
char *collector_weibo_url(const struct collector_config *cfg, const struct source_cfg *src);

/* Print cfg as YAML (with the sources list) for --print-config. */
void collector_config_print(FILE *out, const struct collector_config *cfg);

/* Free everything cfg owns and zero it. NULL is a no-op. */
void collector_config_release(struct collector_config *cfg);

#endif
