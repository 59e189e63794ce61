/*
 * The source event (issue #15): a blind window of one source opened or closed, as the
 * collector produces it to topic yuqing.sources (kafka.sources_topic), key = source_id. The
 * notifier records the windows (table source_blind_windows), tells the administrator channels
 * once per window, and the monthly statistics count them (annex 监测盲区, docs/statistics.md).
 *
 *   {"schema":1, "source_id":"ankang-gov-news", "source_name":"安康市人民政府 · 政务要闻",
 *    "source_kind":"rss", "department":"安康市人民政府办公室",
 *    "event":"open"|"close", "reason":"failing"|"walled"|"stale"|"quiet"|"unpolled",
 *    "started_at":"2026-12-05T01:00:00Z", "ended_at":"2026-12-05T03:00:00Z",
 *    "at":"2026-12-05T03:00:05Z", "detail":"HTTP 404", "renew":"..."}
 *
 * A window is named by (source_id, reason, started_at): an "open" has no ended_at; its
 * "close" repeats started_at and gives ended_at. A window seen only afterwards (reason
 * "unpolled": found at the next poll) comes as a single "close". Both are idempotent: a
 * redelivered event changes nothing. Reasons (docs/collectors.md, 监测盲区):
 *   failing   polls fail (network, HTTP error, parse error, blocked, rate limited, too big)
 *   walled    a login wall or expired cookie (Weibo ok:-100, HTTP 432, visitor page, a
 *             bridge serving its login page); renew says what to renew
 *   stale     the newest item is older than the source's stale_after
 *   quiet     nothing new for quiet_factor times the source's usual interval between items
 *   unpolled  the source was not polled for a stretch (collector down, disabled, overloaded)
 * detail and renew are one line of plain text for people (≤ YQ_SOURCE_EVENT_TEXT_MAX bytes,
 * cut at a character boundary by the encoder); absent when empty.
 */
#ifndef YQ_SOURCE_EVENT_H
#define YQ_SOURCE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YQ_SOURCE_EVENT_SCHEMA 1
#define YQ_SOURCE_EVENT_TEXT_MAX 1024
/* The decoder's bounds on times: none before 2000-01-01T00:00:00Z (UTC seconds), and
 * started_at/ended_at at most a day after the event's "at" (clock skew between hosts). */
/* The detail of a "close" sent because the source is no longer polled (disabled, or removed
 * from the config: collectors/source_run.h source_run_retire()) starts with this; the
 * notifier then says the source was stopped rather than that it recovered. */
#define YQ_SOURCE_EVENT_RETIRED "retired: "
#define YQ_SOURCE_EVENT_MIN_TIME INT64_C(946684800)
#define YQ_SOURCE_EVENT_FUTURE_S INT64_C(86400)

enum yq_blind_reason {
    YQ_BLIND_FAILING = 0,
    YQ_BLIND_WALLED,
    YQ_BLIND_STALE,
    YQ_BLIND_QUIET,
    YQ_BLIND_UNPOLLED,
    YQ_BLIND_REASON_COUNT,
};

/* "failing", "walled", "stale", "quiet", "unpolled"; "?" otherwise. Static. */
const char *yq_blind_reason_name(enum yq_blind_reason r);

/* The reason named name into out. Returns 0 or ERR_NOT_FOUND (also for NULL). */
int yq_blind_reason_parse(const char *name, enum yq_blind_reason *out);

/* Strings are owned by the event (yq_source_event_release()); NULL = absent. */
struct yq_source_event {
    char *source_id;   /* required, non-empty */
    char *source_name;
    char *source_kind; /* "rss", "wechat_feed", "weibo_user", "weibo_search", "weibo_hot" */
    char *department;
    bool open;         /* true: "open" (ended_at absent), false: "close" */
    enum yq_blind_reason reason;
    int64_t started_at; /* UTC seconds */
    int64_t ended_at;   /* UTC seconds, >= started_at; "close" only */
    int64_t at;         /* when the collector emitted it, UTC seconds */
    char *detail;
    char *renew;
};

/*
 * Encode ev (borrowed) as compact JSON: out gets a new NUL-terminated string (free()), NULL on
 * every error; out_len its length (may be NULL). Returns 0, ERR_INVALID (no source_id, reason
 * out of range, a close ending before it started) or ERR_NOMEM.
 */
int yq_source_event_encode(const struct yq_source_event *ev, char **out, size_t *out_len);

/*
 * Decode len bytes of JSON into ev (caller storage, zeroed first). Requires schema 1, a
 * non-empty source_id, event "open" or "close", a known reason, RFC 3339 started_at and at,
 * and for "close" an ended_at not before started_at; refuses any time before
 * YQ_SOURCE_EVENT_MIN_TIME and a started_at or ended_at more than YQ_SOURCE_EVENT_FUTURE_S
 * after at (year 0001, 2999, epoch 0 are broken clocks or forged events). The text is loaded by
 * yq_json_decode_object() (a key twice or a NUL refused). Returns 0, ERR_PARSE (one line in
 * errbuf) or ERR_NOMEM; on failure ev holds nothing to free.
 */
int yq_source_event_decode(const char *buf, size_t len, struct yq_source_event *ev,
                           char *errbuf, size_t errlen);

/* Free what ev owns and zero it. NULL is a no-op. */
void yq_source_event_release(struct yq_source_event *ev);

#endif
