/*
 * The types the web layer shares with its users (the notifier, tests) and between its own
 * files: its configuration and the ticket operations the notifier provides. Types only: no
 * function of the web layer is declared here, so any web file may include it without depending
 * on another (web.h is the public API, web_internal.h the request types).
 */
#ifndef WEB_TYPES_H
#define WEB_TYPES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "web_auth.h"
#include "yq_health.h"
#include "yq_redis.h"

struct web_cfg {
    bool enabled;              /* serve the UI and API (the notifier's choice; web_new ignores it) */
    bool cookie_secure;        /* add Secure to the session cookie (set behind HTTPS) */
    int64_t max_body_bytes;    /* larger request bodies get 413 (a declared one at once) */
    int64_t max_connections_per_ip; /* open connections of one client address; 0 = no cap */
    int64_t max_request_ms;    /* total time of one request (headers and body); 0 = no cap */
    int64_t max_header_ms;     /* time to the end of a request's headers; 0 = no cap */
    int64_t max_pending_headers; /* connections still sending headers, in all; 0 = no cap */
    int64_t max_tickets;       /* tickets per list response */
    int64_t sse_poll_ms;       /* how often an event stream looks for changes */
    int64_t sse_max_stream_ms; /* a stream ends after this; EventSource reconnects */
    int64_t sse_max_streams;   /* open event streams in all; more get 503 */
    int64_t sse_max_streams_per_user; /* open event streams of one user; more get 429 */
    int64_t sse_reserved_streams; /* of sse_max_streams, kept for duty officers and admins */
    bool sources_enabled;      /* read source health from Redis (web.redis) */
    bool rules_enabled;        /* read rule sets from Redis for the rules page */
    char *archive_dir;         /* the archive searched and backtested (archive.h); "" = none */
    char *public_host; /* Host names answered besides localhost and addresses (web_host_allowed) */
    struct web_auth_cfg auth;
    struct yq_redis_cfg redis;
    /*
     * Not a config key: the working-day calendar the statistics use (the notifier's workcal,
     * wrapped by notifier/http_api.c), borrowed, must outlive the web; NULL = Monday..Friday.
     */
    const struct stats_calendar *calendar;
};

/* Who performs a ticket action (passed to the ticket ops; borrowed). */
struct web_actor {
    const char *username;
    const char *role;       /* web_role_name() */
    const char *department; /* a liaison's department, else "" */
};

/* Filter of GET /api/tickets; NULL/"" fields do not filter. */
struct web_ticket_query {
    const char *state;      /* NULL: every state but closed and dismissed; "all"; or a state */
    const char *level;      /* "I".."IV" */
    const char *department; /* lead or co-handling department (forced for liaisons) */
    const char *source;     /* an item's source id, kind, kind label or display name (channel) */
    int64_t detected_from;  /* detected at or after (seconds, UTC); 0 = no bound */
    int64_t detected_until; /* detected before (seconds, UTC); 0 = no bound */
    size_t offset;          /* skip this many (paging) */
    size_t max;             /* at most this many */
};

/* Filter of GET /api/inbox (issue #13, docs/api.md); NULL fields and 0 times do not filter. */
struct web_inbox_query {
    const char *state;       /* NULL: pending + auto_assigned; "all"; or an event state */
    const char *level;       /* "I".."IV" */
    const char *group;       /* a rule group (规则组) */
    const char *source_kind; /* a source kind, code or label */
    const char *region;      /* the event's region */
    int64_t since;           /* detected at or after (seconds, UTC); 0 = no bound */
    int64_t until;           /* detected before (seconds, UTC); 0 = no bound */
    size_t offset;           /* skip this many (paging) */
    size_t max;              /* at most this many */
};

/*
 * The duty officer's desk as the web layer sees it (issue #13; notifier/web_desk_ops.c over
 * notifier/event_read.h, event_flow.h and silence.h). ctx is the ops_ctx given to web_new().
 * Ops may be called from several threads at once: they serialise themselves. JSON returned is
 * new (the web layer decrefs it); the shapes are docs/api.md's. Roles are checked by the web
 * layer (duty officers and admins only). Errors: 0, ERR_NOT_FOUND, ERR_INVALID (bad argument,
 * zh-CN reason in errbuf), ERR_BAD_STATE (not in the event's state, or a stale version, reason
 * in errbuf), ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
struct web_desk_ops {
    /* {"events":[...],"total","counts":{...}}. */
    int (*inbox_list)(void *ctx, const struct web_inbox_query *q, json_t **out);
    /* The event page's data of event id. */
    int (*inbox_get)(void *ctx, int64_t id, json_t **out);
    /*
     * Perform action ("assign", "confirm", "merge", "watch", "dismiss") on event id with args
     * (the request body object, borrowed) as actor. result (may be NULL): what the action
     * made, e.g. {"ticket":{"number"}} for assign (new reference, or NULL when nothing).
     */
    int (*inbox_act)(void *ctx, int64_t id, const char *action, const struct web_actor *actor,
                     json_t *args, json_t **result, char *errbuf, size_t errlen);
    /* Silences (NULL ops: the routes answer 503). List: a JSON array, all = also inactive. */
    int (*silence_list)(void *ctx, bool all, json_t **out);
    /* Add from args {"kind","value","reason","expires_at"|"duration_s"}; *id_out the new id. */
    int (*silence_add)(void *ctx, const struct web_actor *actor, json_t *args, int64_t *id_out,
                       char *errbuf, size_t errlen);
    int (*silence_revoke)(void *ctx, int64_t id, const struct web_actor *actor, char *errbuf,
                          size_t errlen);
    /* The alerts a silence kept (id 0: all), newest first, at most max: a JSON array. */
    int (*silence_alerts)(void *ctx, int64_t id, size_t max, json_t **out);
};

/*
 * The daily briefings (舆情日报) and special reports (专报) as the web layer sees them (issue #14;
 * notifier/web_report_ops.c over notifier/briefing.h). ctx is the ops_ctx given to web_new();
 * ops serialise themselves. Roles are checked by the web layer; department (a liaison's or
 * head's, NULL for duty officers and admins) limits the 专报 to events whose ticket that
 * department leads or co-handles (daily briefings are everyone's). A report row is
 * {"id","kind":"daily"|"event","title","period_start","period_end" (RFC 3339 UTC),
 * "event_id" (null for daily),"created_at","created_by","url":"/api/reports/ID"}.
 * Errors: 0, ERR_NOT_FOUND, ERR_INVALID (zh-CN reason in errbuf), ERR_BAD_STATE (not the
 * department's), ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
struct web_report_ops {
    /* {"reports":[row...]} newest first; kind "daily", "event" or NULL (both); at most max. */
    int (*list)(void *ctx, const char *kind, const char *department, size_t max, json_t **out);
    /* Report id's HTML: *html_out new (free()), *len_out its length. */
    int (*get)(void *ctx, int64_t id, const char *department, char **html_out, size_t *len_out);
    /*
     * The daily briefing of day ("YYYY-MM-DD", the Beijing date its period ends on; NULL = the
     * latest ended): the stored one or a new one. out: {"report":row,"created":bool}.
     */
    int (*daily)(void *ctx, const char *day, const struct web_actor *actor, json_t **out,
                 char *errbuf, size_t errlen);
    /* A new 专报 of event event_id. out: {"report":row,"created":true}. */
    int (*event)(void *ctx, int64_t event_id, const struct web_actor *actor, json_t **out,
                 char *errbuf, size_t errlen);
};

/*
 * The ticket store as the web layer sees it, provided by the notifier. ctx is the ops_ctx
 * given to web_new(). Ops may be called from several threads at once (one per connection):
 * they serialise themselves. All JSON returned is new (the web layer decrefs it).
 *
 * Ticket JSON (summary): {"number","title","level":"I".."IV","department",
 *   "co_departments":[...],"state","item_count","source","channel","author","url","excerpt",
 *   "terms":[matched terms],"rules":[rule ids],"detected_at","updated_at",
 *   "clocks":[{"name":"ack"|"response"|"press"|"close"|...,"label":"签收时限",
 *              "deadline":RFC3339,"met_at":RFC3339|null}], "assignee"?}
 * Detail adds "items":[{"item_id","source","source_id","channel","url","title","author",
 *   "excerpt","published_at","rules","terms"}] and "log":[{"at","actor","action","note"}].
 */
/*
 * The sources' blind windows (监测盲区, issue #15) as the web layer sees them
 * (notifier/web_source_ops.c over notifier/source_blind.h). ctx is the ops_ctx given to
 * web_new(); ops serialise themselves. Roles are the sources page's (WEB_PERM_VIEW_SYSTEM),
 * checked by the web layer. A window is {"id","source_id","source_name","source_kind",
 * "department","reason","reason_label","detail","renew","started_at","ended_at"|null,"open",
 * "duration_s","started_at_display","ended_at_display"|null} (docs/api.md). Errors: 0,
 * ERR_INVALID (until before since), ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
struct web_source_ops {
    /*
     * The windows overlapping [since, until) (seconds UTC), of source_id only when it is not
     * NULL, newest start first, at most max: {"windows":[window...],"truncated":bool}; open
     * windows' durations run to now.
     */
    int (*blind)(void *ctx, int64_t since, int64_t until, const char *source_id, size_t max,
                 int64_t now, json_t **out);
    /* The windows open at now: {"<source_id>":[window...],...} (sources with none absent). */
    int (*blind_now)(void *ctx, int64_t now, json_t **out);
};

/*
 * One dependency of the notifier's intake as the web UI shows it (GET /api/meta/intake and the
 * event stream's "intake" event, web_events.h): its name and state, and since when.
 */
struct web_intake_dep {
    struct yq_dep dep; /* name ("kafka", "store": static) and state */
    int64_t since_ms;  /* wall-clock Unix ms of its last change of state; 0: not known */
};

/* Dependencies an intake op may report, at most. */
#define WEB_INTAKE_DEPS_MAX 4

struct web_ticket_ops {
    /* Tickets matching q, most urgent first. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM. */
    int (*list)(void *ctx, const struct web_ticket_query *q, json_t **out);
    /* One ticket with items and log. Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO, ERR_NOMEM. */
    int (*get)(void *ctx, const char *number, json_t **out);
    /*
     * Perform action ("assign", "set_level", "dismiss", "reopen", "ack", "respond", "return",
     * "close"; arguments in docs/web.md)
     * on number with args (the request body object, borrowed) as actor; role and department
     * were checked by the web layer, on the ticket get() read, whose "version" args carries as
     * "expected_version" (ERR_BAD_STATE when the ticket changed since). Returns 0, ERR_NOT_FOUND,
     * ERR_INVALID (bad arguments) or ERR_BAD_STATE (not allowed in the ticket's state), with a
     * zh-CN reason in errbuf; ERR_RETRY, ERR_IO, ERR_NOMEM.
     */
    int (*act)(void *ctx, const char *number, const char *action, const struct web_actor *actor,
               json_t *args, char *errbuf, size_t errlen);
    /*
     * A number that changes whenever any ticket changes (new ticket, item, transition).
     * NULL: the web layer reads max(id) of ticket_log (every change appends to it) on its own
     * connection. Returns 0 or ERR_IO/ERR_RETRY.
     */
    int (*change_marker)(void *ctx, int64_t *out);
    /*
     * Whether role (web_role_name()) may take action at all: the one action/role table, the
     * store's (ticket_action_role_may()). NULL: no action is allowed. A false answer gives
     * 403; the ticket's department is checked by the web layer per ticket.
     */
    bool (*role_may)(void *ctx, const char *action, const char *role);
    /*
     * Held items (issue #11; notifier/ticket_held.h): matched items that opened no ticket
     * because they are old or official, newest first, at most max; reason "old", "official"
     * or NULL (both); query NULL or text to find in title, excerpt, channel, author or URL.
     * out: a new JSON array of ticket_held_json() objects. NULL op: the web layer answers
     * with an empty list. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
     */
    int (*list_held)(void *ctx, const char *reason, const char *query, size_t max,
                     json_t **out);
    /* The duty officer's desk (issue #13): the inbox and silences. NULL: those routes 503. */
    const struct web_desk_ops *desk;
    /* Briefings and 专报 (issue #14). NULL: /api/reports answers 503. */
    const struct web_report_ops *reports;
    /* Sources' blind windows (issue #15, 监测盲区). NULL: the sources page shows none. */
    const struct web_source_ops *sources;
    /*
     * The intake's dependencies now, at most max into out (caller storage); returns how many.
     * The notifier's are the flags its /healthz reads (notifier_health_deps(): Kafka, the
     * store's writes), never a probe of their own: atomic reads, cheap enough for every event
     * stream's poll. NULL op, or 0: nothing known (no banner). Thread-safe.
     */
    size_t (*intake)(void *ctx, struct web_intake_dep *out, size_t max);
};

#endif
