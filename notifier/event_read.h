/*
 * The read side of the duty officer's desk (issue #13, docs/desk.md, docs/api.md): the 研判
 * inbox as one page of events with its filters and order, and the event page's data (items,
 * hourly histogram, platform mix, top accounts, sentiment, hot words, the event's log, the
 * events merged into it, its ticket). JSON only, independent of HTTP and authentication: the
 * web layer (web_desk_ops.c) calls these under its store lock with a read-only handle.
 *
 * EVENT JSON (both calls; times RFC 3339 with +08:00, "2026-12-05T10:15:00+08:00", or null):
 *   {"id","event_key","kind":"match"|"spike","state","state_label","title","level",
 *    "level_label","department","co_departments":[],"rule_ids":[],"rule_groups":[],
 *    "source_kinds":[],"region","first_post_at","detected_at","last_item_at","item_count",
 *    "heat","negative_share" (negative_count / item_count, 0..1; 0 without items),"score",
 *    "ticket":{"number","state"}|null,"judge_deadline","awaits_judgement" (the state awaits
 *    研判, event_state_awaits_judgement(): pending; the 研判 deadline applies),
 *    "judge_overdue" (awaiting 研判, event_state_awaits_judgement(): pending, and past its
 *    研判 deadline at now: what event_flow_remind_judge() reminds
 * of),"resurfaced_at","resurface_reason", "resurface_reason_label","spike":{...}|null (the stored
 * spike numbers), "watch":{"items","heat","quiet_s"}|null (thresholds, null = unused),"judged_at",
 *    "judged_by","outcome","outcome_label","opinion","dismiss_reason","dismiss_reason_label",
 *    "dismiss_note","merged_into"|null,"version"}
 */
#ifndef NOTIFIER_EVENT_READ_H
#define NOTIFIER_EVENT_READ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"

/* Bounds of the event page (the sources of the contract's numbers: docs/api.md). */
#define EVENT_READ_MAX_ITEMS 200    /* items of the event page, newest first */
#define EVENT_READ_HOURS 168        /* hourly histogram: at most the last 7 days */
#define EVENT_READ_MAX_ACCOUNTS 10  /* top accounts */
#define EVENT_READ_MAX_HOT_WORDS 20 /* hot words */
#define EVENT_READ_MAX_LOG 500      /* event_log rows */
#define EVENT_READ_MAX_MERGED 100   /* events merged into this one */
#define EVENT_READ_MAX_PAGE 500     /* events per inbox page */

/* Filter of the inbox; NULL/"" strings and 0 times do not filter. */
struct event_inbox_query {
    const char *state;       /* NULL or "pending": pending + auto_assigned; "all"; or a state */
    const char *level;       /* "I".."IV" */
    const char *group;       /* a rule group in events.rule_groups */
    const char *source_kind; /* a source kind (code or label, yq_labels) in events.source_kinds */
    const char *region;      /* events.region, exact */
    int64_t since;           /* detected at or after (seconds, UTC) */
    int64_t until;           /* detected before (seconds, UTC) */
    size_t offset;           /* skip this many */
    size_t max;              /* at most this many (capped at EVENT_READ_MAX_PAGE) */
};

/*
 * One inbox page: {"events":[EVENT...],"total":N (matching q, before offset/max),
 * "counts":{"pending","auto_assigned","watching"} (events in each state matching q's other
 * filters)}. Order: level (I first), heat descending, detection ascending, id ascending.
 * Three SQL statements whatever the filters. now: seconds, UTC (judge_overdue).
 * *out: new reference. Returns 0, ERR_INVALID (unknown state or level, since >= until when
 * both are set), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int event_read_inbox(struct ticket_store *store, const struct event_inbox_query *q, int64_t now,
                     json_t **out);

/*
 * The event page of event id: EVENT plus "items":[{"item_id","source","source_label",
 * "source_id","channel","url","title","excerpt","author","published_at","matched_at",
 * "reposts","comments","likes","heat","sentiment","sentiment_label"}] (newest matched first, at
 * most EVENT_READ_MAX_ITEMS), "items_total", "hourly":[{"hour","count"}] (items per
 * Asia/Shanghai hour of matched_at, from the first to the last item's hour, gaps as 0, at
 * most the last EVENT_READ_HOURS hours up to the last item), "platforms":[{"source","label",
 * "count"}] (count desc), "accounts":[{"author","source","count","heat"}] (count desc, heat
 * desc; at most EVENT_READ_MAX_ACCOUNTS; items without an author are left out),
 * "hot_words":[] (the caller fills it outside the store lock from event_read_texts() with
 * event_words_fill_page(), notifier/event_words.h: the web and yuqingctl alike),
 * "sentiment_counts":{"negative","neutral","positive","unknown"},
 * "log":[{"at","actor","actor_role","action","action_label","from_state","to_state","note",
 * "text"}] (oldest first; text from event_read_log_text(), note as stored),
 * "merged":[{"id","title","item_count"}], and "ticket" (null without one) as
 * {"number","state","state_label","level","department","co_departments","version","clocks",
 * "log"} from ticket_api_detail(). Runs in one read transaction.
 * *out: new reference. Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int event_read_detail(struct ticket_store *store, int64_t id, int64_t now, json_t **out);

/*
 * The display text of an event_log entry (docs/desk.md): "<actor> <action label>：<detail>"
 * (ticket_api_log_line()), the stored note (borrowed; may be NULL) read into Chinese: 发现
 * "级别 III 较大，D，来源 网站", 不予处置 "原因 误报；说明", 持续关注 "重新研判条件：信息达 N 条
 * 热度达 N 沉寂 N 秒后有新信息；说明", 重新提醒 "信息量达到阈值（30 条，阈值 30 条）", 级别升高
 * "级别由 III 较大 升为 II 重大", 按规定直接交办 "按研判策略自动交办 NUMBER（级别 II 重大）"; the
 * others (交办, 确认交办, 并入, 研判超时, 突增, a 突增 event's 发现: its title) are stored in
 * Chinese and shown as they are. actor,
 * action: borrowed, may be NULL. New reference (json string). Pure, thread-safe.
 */
json_t *event_read_log_text(const char *actor, const char *action, const char *note);

/*
 * The detail of that text (after "：") alone, into d (len bytes, cut to fit; at least
 * EVENT_FLOW_NOTE_MAX_BYTES + 600 holds any): the 专报's 处置经过 (briefing_event.c). Returns d.
 */
const char *event_read_log_detail(const char *action, const char *note, char *d, size_t len);

/* The most item texts the hot words of an event page are counted from (the newest items). */
#define EVENT_READ_MAX_WORD_TEXTS 1000

/*
 * The texts of event id's newest items (title, a newline, excerpt), newest matched first, at
 * most max (capped at EVENT_READ_MAX_WORD_TEXTS), for its hot words: the caller segments them
 * after releasing the store. *texts_out: a new array of *n_out new strings (release with
 * event_read_texts_release()); empty for an unknown event. 0, ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
int event_read_texts(struct ticket_store *store, int64_t id, size_t max, char ***texts_out,
                     size_t *n_out);

/* Free what event_read_texts() returned (texts may be NULL). */
void event_read_texts_release(char **texts, size_t n);

/* The id of the ticket with number (borrowed) into *out. 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO. */
int event_read_ticket_id(struct ticket_store *store, const char *number, int64_t *out);

/*
 * The desk's change marker: max(ticket_log.id) + max(event_log.id) (both append-only, so
 * the sum moves whenever either log grows). 0, ERR_RETRY or ERR_IO.
 */
int event_read_change_marker(struct ticket_store *store, int64_t *out);

/*
 * The state name (into state, len bytes: "pending", ...), level (into level, at least 4
 * bytes: "I".."IV") and version of event id: an action's default level and the reason of a
 * refused action. 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO.
 */
int event_read_state(struct ticket_store *store, int64_t id, char *state, size_t len, char *level,
                     int64_t *version);

/* Time t (seconds, UTC) as "YYYY-MM-DDTHH:MM:SS+08:00" into buf (at least 26 bytes). */
char *event_read_format_time(int64_t t, char *buf, size_t len);

#endif
