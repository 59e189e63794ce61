/*
 * The matcher process (design §4, §8): consume items, match them against the current rule
 * set, produce one alert per matching item, commit an item's offset only after its alert was
 * delivered, and swap rule sets without a restart.
 *
 * Config file (default config/matcher.yaml), every key optional:
 *
 *   kafka:    yq_kafka_cfg_keys (group_id defaults to "yuqing-matcher")
 *   redis:    yq_redis_cfg_keys
 *   matcher:
 *     rules_cache_path: run/matcher-rules.json  # last good rule set, used at start-up when
 *                                               # Redis is unreachable
 *     batch_size: 100          # items consumed before their alerts are flushed and committed
 *     poll_timeout_ms: 100     # consumer poll wait
 *     reload_check_ms: 1000    # how often yuqing:rules:current is checked (pub/sub is faster)
 *     retry_backoff_ms: 500    # wait before re-producing an alert whose delivery failed
 *     event_wait_ms: 5000      # Redis outage: alerts wait this long for event assignment,
 *                              # then items get their own event (event.via "own")
 *     event_window_s: 259200   # near-duplicate window (72 h), event.h
 *     event_ttl_s: 604800      # lifetime of per-item event answers and event counters
 *     log_level: info          # err | warn | info | debug
 *     rules_verify_max_age_ms: 10000  # alerts say rules_unverified when Redis last confirmed
 *                              # the rule version longer ago (or the last check failed)
 *     stuck_after_ms: 300000   # /healthz 503 "progress":"stuck" (and
 *                              # yuqing_matcher_progress_stuck 1) when a batch has been
 *                              # retried or waited for longer (Kafka or Redis down)
 *     metrics_address: 127.0.0.1  # GET /metrics and /healthz (common/yq_metrics_http.h); "" = off
 *     metrics_port: 9102       # 0 = any free port (logged)
 *     source_weights:          # score factor per item source_id or source, 0.1..10
 *       weibo: 1.2             # (defaults: weibo 1.2, wechat 1.1, anything else 1.0;
 *       wechat: 1.1            # entries given here replace or add to them; match.h)
 */
#ifndef MATCHER_H
#define MATCHER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "match.h"
#include "rules.h"
#include "yq_cfg.h"
#include "yq_kafka.h"
#include "yq_metrics_http.h"
#include "yq_redis.h"

#define MATCHER_DEFAULT_GROUP "yuqing-matcher"

struct matcher_opts {
    char *rules_cache_path;
    int64_t batch_size;
    int64_t poll_timeout_ms;
    int64_t reload_check_ms;
    int64_t retry_backoff_ms;
    int64_t event_wait_ms;
    int64_t event_window_s;
    int64_t event_ttl_s;
    char *log_level;
    int64_t rules_verify_max_age_ms;
    int64_t stuck_after_ms; /* a batch unsettled this long makes /healthz say stuck */
    struct yq_metrics_http_cfg metrics; /* metrics_address ("" = no endpoint), metrics_port */
    struct match_weights source_weights; /* configured entries only; parsed by
                                            matcher_cfg_load(), not by the key table */
};

struct matcher_cfg {
    struct yq_kafka_cfg kafka;
    struct yq_redis_cfg redis;
    struct matcher_opts matcher;
};

extern const struct cfg_key matcher_cfg_keys[];

/*
 * Fill cfg (caller storage) from the YAML file path (NULL: defaults only), then apply the
 * n_sets "dotted.key=value" overrides in sets (borrowed; "matcher.source_weights.NAME=W" sets
 * one weight). Sets kafka.group_id to MATCHER_DEFAULT_GROUP when not given. Release with
 * matcher_cfg_release() whatever the result. Returns 0, ERR_NOT_FOUND, ERR_IO, ERR_PARSE,
 * ERR_INVALID (including a source weight that is not a number from 0.1 to 10, a weight
 * given as a list or mapping, an empty or repeated name) or ERR_NOMEM with one line in errbuf
 * ("FILE:LINE: ..." for the file).
 */
int matcher_cfg_load(const char *path, const char *const *sets, int n_sets,
                     struct matcher_cfg *cfg, char *errbuf, size_t errlen);

/*
 * Print cfg (borrowed) as YAML for --print-config: the key table, then
 * matcher.source_weights with the built-in weights and the configured ones.
 */
void matcher_cfg_print(FILE *out, const struct matcher_cfg *cfg);

/* Free what cfg owns (cfg itself is caller storage). */
void matcher_cfg_release(struct matcher_cfg *cfg);

struct matcher;

/*
 * A matcher for cfg (borrowed; must outlive it). Creates the alert producer and, unless
 * matcher.metrics_address is empty, starts GET /metrics and /healthz (common/yq_metrics_http.h) with
 * a Kafka probe thread for the latter (yq_kafka_probe, common/yq_health.h);
 * connects to Redis and subscribes to the consumer group lazily. Returns a new matcher
 * (matcher_free()) or NULL with one line in errbuf (e.g. the metrics port is in use).
 */
struct matcher *matcher_new(const struct matcher_cfg *cfg, char *errbuf, size_t errlen);

/*
 * Alerts carry rules_unverified (and rules_checked_at, the last confirmation) when the last
 * check of yuqing:rules:current did not confirm the version in use (Redis unreachable, no
 * or a bad pointer, a newer set not loaded yet; a rejected newer set confirms the kept one)
 * or the last confirmation is older than matcher.rules_verify_max_age_ms.
 * /metrics and /healthz are republished about once a second from this loop (also while it
 * waits for rules or for alert deliveries); assignments and revocations are logged.
 *
 * Run until *stop becomes non-zero: then finish the current batch (delivering its alerts for
 * up to kafka.flush_timeout_ms; undelivered ones are not committed and will be re-consumed),
 * flush, close the consumer and return 0. Returns ERR_INVALID when the consumer cannot be
 * created from the config. Dead Redis or Kafka never make it return.
 */
int matcher_run(struct matcher *m, volatile sig_atomic_t *stop);

/* Close the consumer (if any), destroy the producer, free m. NULL is a no-op. */
void matcher_free(struct matcher *m);

/* Version of the rule set in use, 0 when none. */
int64_t matcher_rules_version(const struct matcher *m);

/* The TCP port of /metrics and /healthz (useful with metrics_port 0), -1 when off. */
int matcher_metrics_port(const struct matcher *m);

#endif
