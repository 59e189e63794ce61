/*
 * JSON views and actions of tickets, independent of HTTP and of authentication: the
 * web layer of issue #6 (web_notifier_ops.c) and `yuqingctl tickets` call these with an actor
 * they have established themselves.
 *
 * Detail JSON (GET /api/tickets/{number}):
 *   {"number","title","level","level_label","department","co_departments":[...],"state",
 *    "state_label","event_key","item_count","heat","score","version","url",
 *    "detected_at","first_post_at","assigned_at","acknowledged_at","responded_at",
 *    "closed_at","returned_at","dismissed_at","reopened_at" (RFC 3339 UTC or null),
 *    "dismiss_reason","dismiss_reason_label","reopen_count","settled" (closed or dismissed),
 *    "detected_at_display","first_post_at_display","closed_at_display","dismissed_at_display"
 *    (Beijing time "YYYY-MM-DD HH:MM" or null),
 *    "rules_unverified": bool (issue #10: some alert of the ticket was matched on a rule set
 *    the matcher could not check), "rules_checked_at" (the oldest last check among those
 *    alerts, RFC 3339 UTC, or null when unknown),
 *    "event_id" (issue #13: the id of the event the ticket was opened from, or null),
 *    "clocks":[{"name":"ack"|"response"|"press"|"close","label","deadline",
 *               "deadline_display","met_at","overdue":bool,
 *               "state":"running"|"met"|"stopped"|"missed","state_label" (进行中, 已完成,
 *               超时完成, 已撤销 for a dismissed ticket, 已停止 for a closed one),
 *               "stopped_at","stopped_at_display","settled":bool}]: a settled ticket's clocks
 *               are never "running" (issue #11),
 *    "source","channel","author","excerpt" (of the first item; absent without items),
 *    "terms":[the distinct matched terms of the items],"rules":[the distinct rule ids],
 *    "items":[{"item_id","title","url","channel","author" ("" when unknown),"source",
 *              "source_id","source_label" (网站, 微信公众号, 微博),"published_at",
 *              "published_at_display","excerpt","terms":[matched terms],
 *              "rule_names":[the name of each rule in "rules"],
 *              "rules":[rule ids],"groups":[the group (规则组) of each rule in "rules", or
 *              null for items stored before alerts carried groups],
 *              "fetched_at_ms","matched_at_ms","stored_at_ms" (issue #16: when the collector
 *              fetched, the pipeline matched and the notifier stored the item, milliseconds
 *              since the epoch UTC, or null when unknown), "latency_ms" (stored_at_ms -
 *              fetched_at_ms, at least 0, or null)}],
 *    "responses":[{"channel","url","responded_at","responded_at_display","recorded_at",
 *                  "recorded_by","note","detected": true when it was a confirmed proposal
 *                  (自动发现, issue #15), false when entered by hand}],
 *    "proposals":[{"id","state" (proposed|confirmed|rejected),"state_label","channel","url",
 *                  "title","account","department","published_at","published_at_display",
 *                  "score","parts":{"terms","simhash","title"},"simhash_distance","terms":[...],
 *                  "proposed_at","decided_at","decided_by","note","auto"}]: the official
 *                  posts proposed as this ticket's 回应 (response_store_ticket_json(),
 *                  docs/responses.md),
 *    "log":[{"at","at_display","actor","role","action","action_label","from","to","note",
 *            "text" (Chinese: "系统 交办：级别 II 重大，市应急管理局，来源 网站")}]}
 * Labels come from common/yq_labels.h; the state_label is the state's.
 *
 * Action arguments (POST /api/tickets/{number}/{action}, a JSON object):
 *   all:     "note", "expected_version"
 *   assign:  "department", "co_departments":[...]
 *   respond: "channel", "url", "responded_at" (RFC 3339; default now)
 *   dismiss: "reason" (irrelevant|duplicate|false_alarm|out_of_scope|other)
 *   return:  "reason"
 *   confirm_response, reject_response: "proposal_id" (an id of "proposals"; issue #15)
 * The answer is {"ok":true,"number","from","to","version","notifications"} or
 * {"ok":false,"error": one Chinese line,"code": the English machine code (issue #11)}.
 */
#ifndef NOTIFIER_TICKET_API_H
#define NOTIFIER_TICKET_API_H

#include <jansson.h>
#include <stdint.h>

#include "ticket_store.h"

/*
 * The detail JSON of ticket number (borrowed) into *out (new reference).
 * Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int ticket_api_detail(struct ticket_store *store, const char *number, json_t **out);

/*
 * The queue's JSON of t (borrowed): the detail JSON without "items", "responses" and "log",
 * its "source", "channel", "author", "excerpt", "terms" and "rules" taken from items (n
 * items of t in attachment order, borrowed, e.g. a run of ticket_store_list_items_of(); may
 * be NULL when n is 0). Reads no database. New reference, or NULL on ERR_NOMEM.
 */
json_t *ticket_api_summary(const struct ticket *t, const struct ticket_item *items, size_t n);

/*
 * Perform action (ticket_flow.h names) on number as actor with role (NULL = duty_officer),
 * with args (a JSON object, borrowed; may be NULL) at now (seconds, UTC).
 * out: a new reference to the answer object (both on success and on a refusal).
 * Returns 0 or the ticket_flow_apply() error (ERR_INVALID also for a bad argument type);
 * errbuf gets the one-line reason "code: 中文说明" (ticket_flow_error_split()).
 */
int ticket_api_act(struct ticket_store *store, const char *number, const char *action,
                   const char *actor, const char *role, json_t *args, int64_t now, json_t **out,
                   char *errbuf, size_t errlen);

/*
 * The co-handling departments co (JSON text ["a","b"], borrowed; may be NULL or equal to buf)
 * as "a、b" into buf (len bytes, NUL-terminated, cut to fit); none (e.g. "" or "无") when
 * there are none. Returns buf.
 */
const char *ticket_api_co_text(const char *co, const char *none, char *buf, size_t len);

/*
 * The value of key in a log note of "key=value" words (note, borrowed NUL-terminated; may be
 * NULL) into buf (len bytes, NUL-terminated, cut to fit; "" without key). "note" and
 * "deadline" run to the note's end, other values to the next space. Returns buf.
 */
const char *ticket_api_note_value(const char *note, const char *key, char *buf, size_t len);

/*
 * The detail of a 发现 (created) log note "level=II department=D item_id=rss:…" (borrowed) in
 * Chinese into buf (len bytes, cut to fit): "级别 II 重大，D，来源 网站" (待分派 without a
 * department; no 来源 without a kind prefix). Shared by the ticket and the 研判 event logs.
 * Returns buf.
 */
const char *ticket_api_created_text(const char *note, char *buf, size_t len);

/*
 * The detail of a ticket_log entry for a person (the part after "：" of its "text"): the
 * stored note (borrowed; may be NULL) of action (borrowed; may be NULL) read through the label
 * tables, e.g. "原因 误报；说明" for dismissed. Into d (len bytes, cut to fit); returns d.
 */
const char *ticket_api_log_detail(const char *action, const char *note, char *d, size_t len);

/*
 * A log entry's display text "<actor> <action_label>：<detail>" ("系统" for the actor
 * "system"; no "：" when detail is ""), the "text" of the ticket and the 研判 event log
 * entries. All borrowed NUL-terminated; actor may be NULL. New reference ("" on ERR_NOMEM).
 */
json_t *ticket_api_log_line(const char *actor, const char *action_label, const char *detail);

/* The HTTP status for an error of ticket_api_act()/ticket_api_detail() (0 -> 200). */
unsigned ticket_api_http_status(int err);

#endif
