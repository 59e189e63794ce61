/*
 * The Chinese label of every code a user may see (issue #11): one table per kind, shared by
 * the notifier's JSON API (its *_label display fields and GET /api/meta/labels), the CLI
 * (yuqingctl tickets) and the reports, so no page, command or report keeps its own list.
 *
 *   kind                       codes (examples)                      label
 *   YQ_LABEL_STATE             open, acknowledged, ...               待签收, 已签收, ...
 *   YQ_LABEL_LEVEL             I, II, III, IV                        特别重大, 重大, 较大, 一般
 *   YQ_LABEL_SOURCE_KIND       rss, atom, json, wechat, weibo        网站, 网站, 网站, 微信公众号,
 * 微博 YQ_LABEL_RULE_SCOPE        all, title, text                      标题和正文, 标题, 正文
 *   YQ_LABEL_DISMISS_REASON    irrelevant, duplicate, ...            与本地无关, 重复, ...
 *   YQ_LABEL_LOG_ACTION        assigned, acknowledged, remind, ...   交办, 签收, 催办, ...
 *   YQ_LABEL_RESPONSE_CHANNEL  权威发布, 新闻发布会, ...              (already Chinese)
 *   YQ_LABEL_SOURCE_ERROR      not_a_feed, http_error, ...           不是订阅源（收到的是网页）,
 * ... YQ_LABEL_ROLE              system, duty_officer, liaison, ...    系统, 值班员, 联络员, ...
 *   YQ_LABEL_CLOCK             ack, response, press, close           签收时限, 回应时限, ...
 *   YQ_LABEL_OUTBOX_STATE      pending, delivered, failed            待发送, 已送达, 发送失败
 *   YQ_LABEL_NOTIFY_KIND       created, assigned, level_set, ...     交办, 改派, 级别调整, ...
 *   YQ_LABEL_HELD_REASON       old, undated, official                旧帖（发布已久）, ...
 *   YQ_LABEL_ACTION            assign, ack, respond, ... (ticket_flow)  交办/改派, 签收, 登记回应,
 * ... YQ_LABEL_EVENT_STATE       pending, auto_assigned, ... (研判 inbox)  待研判, 交办待确认, ...
 *   YQ_LABEL_EVENT_ACTION      created, assign, merge, watch, ...    发现, 交办, 并入, 持续关注,
 * ... YQ_LABEL_RESURFACE_REASON  items, heat, quiet                    信息量达到阈值, ...
 *   YQ_LABEL_BLIND_REASON      failing, walled, stale, quiet, unpolled  无法访问, 需要重新登录, ...
 *   YQ_LABEL_REPORT_KIND       daily, event (briefing_reports.kind)  日报, 专报
 *   YQ_LABEL_INTAKE_FAULT      kafka_down, kafka_unknown, store_down  Kafka 不可达, ... (the
 *                              duty page's intake banner: "<dependency>_<state>")
 *
 * RSS, Atom and JSON feeds are websites' and news sources' feeds: they are all 网站.
 * The tables are static and read-only: every function here is thread-safe.
 */
#ifndef YQ_LABELS_H
#define YQ_LABELS_H

#include <stdbool.h>
#include <stddef.h>

enum yq_label_kind {
    YQ_LABEL_STATE = 0,
    YQ_LABEL_LEVEL,
    YQ_LABEL_SOURCE_KIND,
    YQ_LABEL_RULE_SCOPE,
    YQ_LABEL_DISMISS_REASON,
    YQ_LABEL_LOG_ACTION,
    YQ_LABEL_RESPONSE_CHANNEL,
    YQ_LABEL_SOURCE_ERROR,
    YQ_LABEL_ROLE,
    YQ_LABEL_CLOCK,
    YQ_LABEL_OUTBOX_STATE,
    YQ_LABEL_NOTIFY_KIND,
    YQ_LABEL_HELD_REASON,
    YQ_LABEL_ACTION,
    YQ_LABEL_EVENT_STATE,
    YQ_LABEL_EVENT_ACTION,
    YQ_LABEL_RESURFACE_REASON,
    YQ_LABEL_BLIND_REASON,
    YQ_LABEL_REPORT_KIND,
    YQ_LABEL_INTAKE_FAULT,
};
#define YQ_LABEL_KIND_COUNT 20

/*
 * The dismiss reasons' labels, of tickets and 研判 events alike (YQ_LABEL_DISMISS_REASON is
 * made of these), as literals for the fixed texts that name them: the reports' definitions and
 * headings, usage and error lines. The lists give the five in the table's order:
 * YQ_LABEL_DISMISS_REASONS_BAR "与本地无关|重复|…|其他", _LIST "与本地无关、重复、…、其他",
 * _OR "与本地无关、重复、误报、超出职责范围或其他".
 */
#define YQ_LABEL_DISMISS_IRRELEVANT "与本地无关"
#define YQ_LABEL_DISMISS_DUPLICATE "重复"
#define YQ_LABEL_DISMISS_FALSE_ALARM "误报"
#define YQ_LABEL_DISMISS_OUT_OF_SCOPE "超出职责范围"
#define YQ_LABEL_DISMISS_OTHER "其他"
#define YQ_LABEL_DISMISS_REASONS_(sep, last)                                                       \
    YQ_LABEL_DISMISS_IRRELEVANT sep YQ_LABEL_DISMISS_DUPLICATE sep YQ_LABEL_DISMISS_FALSE_ALARM    \
        sep YQ_LABEL_DISMISS_OUT_OF_SCOPE last YQ_LABEL_DISMISS_OTHER
#define YQ_LABEL_DISMISS_REASONS_BAR YQ_LABEL_DISMISS_REASONS_("|", "|")
#define YQ_LABEL_DISMISS_REASONS_LIST YQ_LABEL_DISMISS_REASONS_("、", "、")
#define YQ_LABEL_DISMISS_REASONS_OR YQ_LABEL_DISMISS_REASONS_("、", "或")

/* One code and its label; both static NUL-terminated UTF-8. */
struct yq_label {
    const char *code;
    const char *label;
};

/*
 * The label of code (NUL-terminated, borrowed; may be NULL) in kind's table: a static string.
 * An unknown code is returned as it is (a code added later shows rather than vanishes); NULL or
 * an unknown kind gives "".
 */
const char *yq_label(enum yq_label_kind kind, const char *code);

/*
 * True when code (NUL-terminated, borrowed; may be NULL: false) is one of kind's codes (a label
 * is not): the check of a value that must be a code, e.g. a filter or an action's field.
 */
bool yq_label_known_code(enum yq_label_kind kind, const char *code);

/*
 * The reverse lookup: the code of text (NUL-terminated, borrowed; may be NULL) in kind's table,
 * where text is a code or a label (误报 as well as false_alarm), so every input (CLI, API)
 * takes either. A label the kind used before is still read (never shown): the 研判 desk's
 * dismiss reasons 与我无关 (irrelevant) and 不属管辖 (out_of_scope), so scripts written for
 * them keep working. Returns the table's static code, or NULL when text is neither (or NULL).
 * A label shared by several codes (网站 for rss, atom, json) gives the first.
 */
const char *yq_label_code(enum yq_label_kind kind, const char *text);

/*
 * kind's table in its display order (the order the UI offers, e.g. the dismiss reasons), with
 * its length in *n_out. Static; NULL with *n_out = 0 for an unknown kind.
 */
const struct yq_label *yq_label_table(enum yq_label_kind kind, size_t *n_out);

/*
 * The name of kind in JSON (GET /api/meta/labels): "states", "levels", "source_kinds",
 * "rule_scopes", "dismiss_reasons", "log_actions", "response_channels", "source_errors",
 * "roles", "clocks", "outbox_states", "notify_kinds", "held_reasons", "actions",
 * "event_states", "event_actions", "resurface_reasons", "blind_reasons", "report_kinds"; "?"
 * for an unknown kind. Static.
 */
const char *yq_label_kind_name(enum yq_label_kind kind);

/*
 * Split a user-facing error line "code: 中文说明" (an English machine code of lower-case
 * letters and '_', then ": ") into the code, copied into code (code_len bytes; "" when line
 * has none), and the message: the returned pointer into line after "code: " (line itself when
 * it has no code; "" for NULL). The notifier's ticket actions (ticket_flow.h) and the web
 * routes give their errors in this shape; the API answers {"code": code, "message": ...}.
 */
const char *yq_label_split_error(const char *line, char *code, size_t code_len);

#endif
