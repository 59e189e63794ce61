/*
 * The daily briefing (舆情日报) and an event's special report (专报) (issue #14, docs/archive.md
 * "Daily briefing and special report"): the figures gathered from the ticket store, stored in
 * table reports (migration 10) as the HTML of briefing_html.h, and the briefing's short
 * summary sent to the configured robot channels through the outbox in the same transaction.
 *
 * The period of a briefing: the 24 hours ending at briefing.hour (default 08:00) Beijing time
 * (UTC+08:00, fixed: China has kept no daylight saving since 1991) of its day D:
 * [D-1 hour:00, D hour:00) +08:00. An item counts in the period by its event_items.matched_at,
 * an event by its detection time (新增) or by its items (持续). Definitions: docs/archive.md.
 *
 * Times are int64 seconds UTC. All functions take a writable or read-only store handle as
 * named; thread-safety is the store's (one thread per handle).
 */
#ifndef NOTIFIER_BRIEFING_H
#define NOTIFIER_BRIEFING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source_blind.h"
#include "ticket_store.h"
#include "yq_cfg.h"

struct cfg_doc;
struct notify_routes;
struct yq_redis_cfg;

/* Bounds: one channel name, the channels listed, the events listed in a briefing. */
#define BRIEFING_CHANNEL_MAX_BYTES 128
#define BRIEFING_MAX_CHANNELS 16
#define BRIEFING_MAX_EVENTS_LIMIT 200
/* A volume trend of a briefing's event: 6 bars of 4 hours. */
#define BRIEFING_TREND_BUCKETS 6
#define BRIEFING_TREND_BUCKET_S (4 * 3600)
/* The 专报's volume chart: items per hour over at most this many hours (the newest). */
#define BRIEFING_EVENT_MAX_HOURS 168
/* Key posts of a 专报 (highest heat first); timeline rows of a 专报. */
#define BRIEFING_EVENT_MAX_POSTS 20
#define BRIEFING_EVENT_MAX_LOG 500
/* The longest stored report HTML (bytes): far above a real one (about 60 KB). */
#define BRIEFING_HTML_MAX_BYTES (8 * 1024 * 1024)

/* The "briefing:" section of notifier.yaml (briefing_cfg_keys). */
struct briefing_cfg {
    bool enabled;        /* write the briefing at hour (default true) */
    int64_t hour;        /* 0..23 Beijing time (default 8): the period ends at hour:00 */
    int64_t max_events;  /* events listed (every event is counted) (default 30) */
    int64_t top_events;  /* events named in the robots' summary (default 3) */
    int64_t tick_ms;     /* how often the notifier's periodic pass looks (default 60 s) */
    /* filled by briefing_cfg_parse_channels() (CFG_EXTERNAL "channels"): notify channel
       names the summary goes to; none by default */
    char **channels;
    size_t n_channels;
};

extern const struct cfg_key briefing_cfg_keys[];

/* The built-in defaults (the key table's, no channels). Static. */
const struct briefing_cfg *briefing_cfg_defaults(void);

/*
 * Parse briefing.channels of section (the "briefing" mapping of doc; NULL = none) into cfg,
 * each name checked against routes' channels (NULL routes: not checked).
 * Returns 0, ERR_INVALID ("FILE:LINE: briefing.channels: ...") or ERR_NOMEM, one line in errbuf.
 */
int briefing_cfg_parse_channels(struct briefing_cfg *cfg, struct cfg_doc *doc, void *section,
                                const struct notify_routes *routes, char *errbuf, size_t errlen);

/* Free the channel list (the key table's strings are cfg_release()'s). */
void briefing_cfg_release(struct briefing_cfg *cfg);

/* ------------------------------------------------------------------ source health */

/* One source's health as the collectors write it to Redis (yuqing:source:<id>). Owned strings. */
struct briefing_source {
    char *id;
    char *name;         /* the configured name, else the id */
    char *kind;         /* "rss", "weibo", "wechat" */
    char *state;        /* "ok" or the failure's state ("http_error", "rate_limited", ...) */
    char *last_success; /* RFC 3339 or "" */
    char *last_error;   /* "<RFC 3339> <state>: <detail>" or "" */
    int64_t consecutive_failures;
};

/*
 * A source-health reader (injectable: tests pass a fake). out: a new array (NULL when n is 0)
 * released with briefing_sources_free(). Returns 0, ERR_RETRY (unknown now: Redis unreachable)
 * or ERR_NOMEM.
 */
typedef int (*briefing_sources_fn)(void *ctx, struct briefing_source **out, size_t *n_out);

/*
 * The reader of the web's sources page: every yuqing:source:<id> hash of Redis (bounded SCAN,
 * at most 1000 sources) on a connection of its own for the call. ctx: const struct
 * yq_redis_cfg * (borrowed). Same returns.
 */
int briefing_sources_redis(void *ctx, struct briefing_source **out, size_t *n_out);

void briefing_sources_free(struct briefing_source *v, size_t n);

/* Blind now: the source's last poll failed (state is not "ok"). */
bool briefing_source_blind(const struct briefing_source *s);

/* What a briefing reads besides the store; borrowed by whoever holds it. */
struct briefing_env {
    const struct briefing_cfg *cfg; /* NULL: briefing_cfg_defaults() */
    briefing_sources_fn sources;    /* NULL: the briefing says 来源状态未知 */
    void *sources_ctx;
    const char *archive_dir;        /* web.archive_dir; NULL or "": no archive section */
    const char *link_base;          /* notify.link_base (its origin starts the report link) */
};

/* ------------------------------------------------------------------ the figures */

/* One row of a breakdown: items (distinct item ids) and events. key owned. */
struct briefing_count {
    char *key;
    int64_t items;
    int64_t events;
};

/* An event of the briefing or the subject of a 专报. Strings owned. */
struct briefing_event {
    int64_t id;
    char *title;
    char *level;      /* "I".."IV" */
    char *department; /* lead department, "" when none */
    char *state;      /* events.state */
    char *kind;       /* "match" or "spike" */
    char *ticket;     /* the ticket's number, "" when none */
    bool is_new;      /* detected in the period */
    int64_t detected_at;
    int64_t items;            /* its items in the period (专报: all) */
    int64_t negative;         /* of items: sentiment negative */
    int64_t sentiment_known;  /* of items: sentiment known */
    int64_t heat;
    int64_t trend[BRIEFING_TREND_BUCKETS]; /* items per 4 h of the period */
};

/* A late or missed clock (the statistics' 超期清单 of the period). Strings owned. */
struct briefing_overdue {
    char *number;
    char *title;
    char *department;
    char *clock; /* the clock's label: 签收, 首次回应, 新闻发布会, 办结 */
    char level[4];
    int64_t deadline;
    int64_t met_at; /* 0: not met by the period's end */
};

/* Items collected per source kind (archive). key owned. */
struct briefing_kind_count {
    char *kind;
    int64_t items;
};

struct briefing {
    int64_t start, end;   /* the period [start, end) */
    int64_t generated_at;
    /* items matched in the period (event_items.matched_at), distinct item ids */
    int64_t items, items_negative, items_sentiment_known;
    struct briefing_count levels[4]; /* I..IV: items and events of that level */
    struct briefing_count *groups;   /* by rule group, items descending */
    size_t n_groups;
    int64_t events, events_new, events_continuing;
    struct briefing_event *list; /* at most cfg.max_events: level, then items, descending */
    size_t n_list;
    /* tickets, the monthly statistics' definitions over the period (docs/statistics.md) */
    int64_t handed_over;   /* 新交办: detected in the period */
    int64_t responded;     /* 首次回应 met (on time or late), settled in the period */
    int64_t responses;     /* public responses recorded in the period */
    int64_t closed;        /* 办结: of the tickets active in the period, closed at its end */
    int64_t overdue;       /* 超期件数: tickets with a late or missed clock in the period */
    struct briefing_overdue *overdue_list;
    size_t n_overdue_list;
    /* sources: known false = 来源状态未知 */
    bool sources_known;
    size_t n_sources;
    struct briefing_source *blind;
    size_t n_blind;
    /*
     * Issue #15: the sources blind at the briefing's cut-off, min(end, now): their windows
     * open then (source_blind.h; every reason: failing, walled, stale, quiet, unpolled),
     * newest start first, at most BRIEFING_MAX_BLIND_WINDOWS. Empty with a store before
     * migration 11.
     */
    struct source_blind_list blind_windows;
    /* archive: state 0 = none configured, 1 = counted, -1 = unavailable (note says why) */
    int archive_state;
    char archive_note[400];
    int64_t archive_items;
    struct briefing_kind_count *kinds;
    size_t n_kinds;
};

/*
 * The Beijing-time period of the briefing of day (days since 1970-01-01 of the Beijing
 * calendar) at hour: [day-1 hour:00, day hour:00) +08:00.
 */
void briefing_period_of_day(int64_t day, int64_t hour, int64_t *start_out, int64_t *end_out);

/* The day of the latest period ending at or before now (its end <= now). */
int64_t briefing_latest_day(int64_t now, int64_t hour);

/* Parse "YYYY-MM-DD" into a Beijing day number. Returns 0 or ERR_PARSE. */
int briefing_parse_day(const char *s, int64_t *day_out);

/*
 * How far back a daily briefing may be asked for, in days before today (Beijing): a year and a
 * day. Older days would store a permanent row for a period nobody reviews (and the archive and
 * tickets of it are usually gone).
 */
#define BRIEFING_MAX_PAST_DAYS 366

/* The most blind windows a briefing lists (a city office watches a few hundred sources). */
#define BRIEFING_MAX_BLIND_WINDOWS 200

/* Whether day (Beijing day number) is more than BRIEFING_MAX_PAST_DAYS before now's Beijing day. */
bool briefing_day_too_old(int64_t day, int64_t now);

/*
 * Gather the briefing of [start, end) from store (read-only is enough; no transaction open on
 * it) as at now, with env (borrowed; NULL = defaults without sources or archive).
 * out: caller storage, released with briefing_release() whatever the result.
 * Returns 0, ERR_INVALID (end <= start), ERR_BAD_STATE (a store before migration 10),
 * ERR_RETRY, ERR_IO or ERR_NOMEM; one line in errbuf.
 */
int briefing_gather(struct ticket_store *store, const struct briefing_env *env, int64_t start,
                    int64_t end, int64_t now, struct briefing *out, char *errbuf, size_t errlen);

void briefing_release(struct briefing *b);

/*
 * The robots' summary (plain text, at most 4 KB): counts, the top events, overdue tickets,
 * blind sources and the link. link: may be NULL. out: new string (free()). 0 or ERR_NOMEM.
 */
int briefing_summary(const struct briefing *b, int64_t top_events, const char *link, char **out);

/* ------------------------------------------------------------------ the 专报 */

/* One row of a 专报's timeline: the event's log and its ticket's log, in time order. */
struct briefing_log {
    int64_t at;
    bool ticket;  /* from ticket_log (else event_log) */
    char *actor;
    char *action; /* the Chinese label of the action */
    char *note;   /* the note for a person (event_read_log_detail(), ticket_api_log_detail()) */
};

/* A key post (highest heat first). Strings owned. */
struct briefing_post {
    char *title;
    char *url;
    char *channel;
    char *author;
    char *sentiment; /* "negative", "neutral", "positive" or "" */
    int64_t at;      /* published_at, else matched_at */
    int64_t heat;
};

/* A public response recorded on the event's ticket. Strings owned. */
struct briefing_response {
    char *channel;
    char *url;
    char *note;
    char *recorded_by;
    int64_t at;
};

struct briefing_event_report {
    struct briefing_event ev; /* items: all of the event's; trend unused */
    int64_t generated_at;
    int64_t first_at, last_at;     /* its items' matched_at */
    int64_t hours_start;           /* the first bar's hour (seconds, a whole hour) */
    int64_t hourly[BRIEFING_EVENT_MAX_HOURS];
    size_t n_hours;
    struct briefing_log *log;
    size_t n_log;
    struct briefing_post *posts;
    size_t n_posts;
    /* 研判: who judged, when, the outcome and opinion (judged_at 0: not yet) */
    char *judged_by;
    int64_t judged_at;
    char *outcome;        /* label: 交办, 并入, 持续关注, 不予处置, "" */
    char *opinion;
    char *dismiss_reason; /* label, "" */
    char *ticket_state;   /* label of the ticket's state, "" when none */
    struct briefing_response *responses;
    size_t n_responses;
};

/*
 * Gather event event_id's 专报 at now from store (read-only is enough). out: caller storage,
 * released with briefing_event_report_release() whatever the result.
 * Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO or ERR_NOMEM; one line in errbuf.
 */
int briefing_event_gather(struct ticket_store *store, int64_t event_id, int64_t now,
                          struct briefing_event_report *out, char *errbuf, size_t errlen);

void briefing_event_report_release(struct briefing_event_report *r);

/* ------------------------------------------------------------------ storing */

/* A stored report's listing row (GET /api/reports). Strings owned. */
struct briefing_report {
    int64_t id;
    char kind[8]; /* "daily" or "event" */
    char *title;
    int64_t period_start, period_end;
    int64_t event_id; /* 0 for a daily briefing */
    int64_t created_at;
    char *created_by;
};

void briefing_report_release(struct briefing_report *r);

/*
 * The daily briefing of day: the stored one, or gathered, rendered and stored now with one
 * outbox row per env->cfg channel (idem_key "r<report id>:<channel>", kind "briefing", role
 * "duty") in the same transaction as the row. A second writer of the same day (another
 * notifier, a restart, a click) gets the stored row: the unique index on period_start decides.
 * store: writable. actor: "system" for the scheduler, else the user. The period must have
 * ended at now and day be at most BRIEFING_MAX_PAST_DAYS old (else ERR_INVALID, errbuf says
 * which: callers check briefing_day_too_old() first to tell them apart). created_out (may be NULL): true when this call wrote it.
 * id_out: the report's id. Returns 0, ERR_INVALID, ERR_TOO_BIG, ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
int briefing_daily_ensure(struct ticket_store *store, const struct briefing_env *env, int64_t day,
                          const char *actor, int64_t now, int64_t *id_out, bool *created_out,
                          char *errbuf, size_t errlen);

/*
 * The scheduler's tick (the notifier's periodic pass, delivery.h): when env's briefing is
 * enabled and the latest period ending at or before now has no stored briefing, write it
 * (briefing_daily_ensure() as "system"). Only the latest missed day is written after a
 * downtime. written_out (may be NULL): the id written, 0 when none. Same returns.
 */
int briefing_tick(struct ticket_store *store, const struct briefing_env *env, int64_t now,
                  int64_t *written_out, char *errbuf, size_t errlen);

/*
 * A new 专报 of event event_id (each call is a new row, kind 'event', period = the event's
 * detection to now). store: writable. Returns 0, ERR_NOT_FOUND (no such event), ERR_TOO_BIG,
 * ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int briefing_event_create(struct ticket_store *store, const struct briefing_env *env,
                          int64_t event_id, const char *actor, int64_t now, int64_t *id_out,
                          char *errbuf, size_t errlen);

/*
 * Stored reports, newest first: kind "daily", "event" or NULL (both), at most max.
 * department: NULL = all; else (a liaison's) every daily briefing but only the 专报 of events
 * whose ticket that department leads or co-handles. out: new array (briefing_reports_free()).
 * Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int briefing_reports_list(struct ticket_store *store, const char *kind, const char *department,
                          size_t max, struct briefing_report **out, size_t *n_out);

void briefing_reports_free(struct briefing_report *v, size_t n);

/*
 * Report id's HTML (new string, free()) and listing row (caller storage, may be NULL;
 * briefing_report_release()). department as for briefing_reports_list(): a 专报 outside it is
 * ERR_BAD_STATE (the web answers 403). Returns 0, ERR_NOT_FOUND, ERR_BAD_STATE, ERR_RETRY,
 * ERR_IO or ERR_NOMEM.
 */
int briefing_report_get(struct ticket_store *store, int64_t id, const char *department,
                        char **html_out, struct briefing_report *row_out);

/* Whether department leads or co-handles the ticket of event event_id (false: no ticket). */
int briefing_event_visible(struct ticket_store *store, int64_t event_id, const char *department,
                           bool *out);

#endif
