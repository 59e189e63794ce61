#include "yq_labels.h"

#include <stdio.h>
#include <string.h>

#include "yq_banned.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct yq_label states[] = {
    {"open", "待签收"},       {"acknowledged", "已签收"}, {"responded", "已回应"},
    {"closed", "已办结"},     {"returned", "退回"},     {"dismissed", "不予处置"},
};

static const struct yq_label levels[] = {
    {"I", "特别重大"},
    {"II", "重大"},
    {"III", "较大"},
    {"IV", "一般"},
};

static const struct yq_label source_kinds[] = {
    {"rss", "网站"},           {"atom", "网站"}, {"json", "网站"},
    {"wechat", "微信公众号"}, {"weibo", "微博"},
    /* the collector's source kinds (sources.yaml "kind") */
    {"wechat_feed", "微信公众号"}, {"weibo_user", "微博"}, {"weibo_search", "微博搜索"},
    {"weibo_hot", "微博热搜"}, /* the kind and its items' source (issue #15) */
};

static const struct yq_label rule_scopes[] = {
    {"all", "标题和正文"},
    {"title", "标题"},
    {"text", "正文"},
};

/* of tickets and 研判 events alike (issue #11: one list; the labels are yq_labels.h's) */
static const struct yq_label dismiss_reasons[] = {
    {"irrelevant", YQ_LABEL_DISMISS_IRRELEVANT},
    {"duplicate", YQ_LABEL_DISMISS_DUPLICATE},
    {"false_alarm", YQ_LABEL_DISMISS_FALSE_ALARM},
    {"out_of_scope", YQ_LABEL_DISMISS_OUT_OF_SCOPE},
    {"other", YQ_LABEL_DISMISS_OTHER},
};

static const struct yq_label log_actions[] = {
    {"created", "交办"},
    {"item_added", "新增相关信息"},
    {"revision_added", "原文更新"},
    {"assigned", "交办"},
    {"acknowledged", "签收"},
    {"responded", "回应"},
    {"closed", "办结"},
    {"dismissed", "不予处置"},
    {"returned", "退回"},
    {"reopened", "重新打开"},
    {"level_set", "调整级别"},
    {"remind", "催办"},
    {"supervise", "督办"},
    {"merged", "并入相关事件"},
    {"response_proposed", "发现疑似回应"},
    {"response_rejected", "驳回疑似回应"},
};

static const struct yq_label response_channels[] = {
    {"权威发布", "权威发布"}, {"新闻发布会", "新闻发布会"}, {"吹风会", "吹风会"},
    {"政务微博", "政务微博"}, {"政务微信", "政务微信"},     {"网站", "网站"},
    {"答复", "答复"},
};

/* collectors/source_state.c's names, plus "stale" (no new post for a long time) */
static const struct yq_label source_errors[] = {
    {"ok", "正常"},
    {"not_a_feed", "不是订阅源（收到的是网页）"},
    {"auth_required", "需要登录或验证"},
    {"rate_limited", "访问过于频繁，被对方限流"},
    {"blocked", "被对方拒绝访问"},
    {"http_error", "网站返回错误"},
    {"network_error", "网络错误（无法连接或超时）"},
    {"parse_error", "内容无法解析"},
    {"too_big", "内容过大"},
    {"stale", "长时间没有新内容"},
};

static const struct yq_label roles[] = {
    {"system", "系统"},   {"duty_officer", "值班员"}, {"duty", "值班员"},
    {"liaison", "联络员"}, {"head", "部门负责人"},     {"admin", "管理员"},
};

static const struct yq_label clocks[] = {
    {"ack", "签收时限"},
    {"response", "回应时限"},
    {"press", "新闻发布会时限"},
    {"close", "办结时限"},
};

/* a notification's delivery state (table outbox) */
static const struct yq_label outbox_states[] = {
    {"pending", "待发送"},
    {"delivered", "已送达"},
    {"failed", "发送失败"},
};

/* what a notification tells (notifier/outbox.h kinds, as in its subject 【交办】 …) */
static const struct yq_label notify_kinds[] = {
    {"created", "交办"},      {"assigned", "改派"},       {"returned", "退回"},
    {"reopened", "重新打开"}, {"remind", "催办"},         {"supervise", "督办"},
    {"level_set", "级别调整"}, {"dismissed", "不予处置"}, {"config_error", "渠道配置错误"},
    {"judge_overdue", "研判超时"}, {"response_proposed", "疑似回应"},
    {"source_blind", "信息源监测盲区"}, {"source_recovered", "信息源恢复"},
};

/* why a matched item opened no ticket (held_items.reason, notifier/ticket_held.h) */
static const struct yq_label held_reasons[] = {
    {"old", "旧帖（发布已久）"},
    {"undated", "未标注发布时间（首次采集的存量）"},
    {"official", "政务发布"},
};

/* what a person does to a ticket (notifier/ticket_flow.h actions: buttons, messages, API) */
static const struct yq_label actions[] = {
    {"assign", "交办/改派"}, {"set_level", "调整级别"}, {"dismiss", "不予处置"},
    {"reopen", "重新打开"},  {"ack", "签收"},           {"respond", "登记回应"},
    {"return", "退回"},      {"close", "办结"},
    {"confirm_response", "确认回应"}, {"reject_response", "驳回疑似回应"},
};

/* an event's state in the 研判 inbox (events.state, notifier/event_flow.h; docs/desk.md) */
static const struct yq_label event_states[] = {
    {"pending", "待研判"},  {"auto_assigned", "交办待确认"}, {"assigned", "已交办"},
    {"watching", "持续关注"}, {"merged", "已并入"},           {"dismissed", "不予处置"},
};

/* what happened to an event (event_log.action, notifier/event_flow.h) */
static const struct yq_label event_actions[] = {
    {"created", "发现"},         {"auto_assigned", "按规定直接交办"}, {"assign", "交办"},
    {"confirm", "确认交办"},     {"merge", "并入"},                   {"merged_in", "被并入"},
    {"watch", "持续关注"},       {"dismiss", "不予处置"},             {"resurfaced", "重新提醒"},
    {"judge_reminded", "研判超时提醒"}, {"spike", "突增"},           {"level_raised", "级别升高"},
};

/* why a watched event came back to the top of the inbox (events.resurface_reason) */
static const struct yq_label resurface_reasons[] = {
    {"items", "信息量达到阈值"},
    {"heat", "热度达到阈值"},
    {"quiet", "沉寂后出现新信息"},
    {"spike", "突增"},
    {"level", "出现更高级别的信息"},
};

/*
 * why a source was blind (监测盲区, issue #15): the reasons of common/yq_source_event.h, in its
 * order (table source_blind_windows.reason)
 */
static const struct yq_label blind_reasons[] = {
    {"failing", "无法访问"}, {"walled", "需要重新登录"}, {"stale", "内容陈旧"},
    {"quiet", "异常沉寂"},   {"unpolled", "未采集"},
};

/* a stored report's kind (briefing_reports.kind, notifier/briefing.h; yuqingctl reports list) */
static const struct yq_label report_kinds[] = {
    {"daily", "日报"},
    {"event", "专报"},
};

/*
 * what stops new posts reaching the desk (the notifier's /healthz dependencies not up,
 * notifier_health_deps()): "<dependency>_<state>", shown after 接收中断 on the duty page
 */
static const struct yq_label intake_faults[] = {
    {"kafka_down", "Kafka 不可达"},
    {"kafka_unknown", "尚未连上 Kafka"},
    {"store_down", "工单库无法写入"},
    {"store_unknown", "工单库状态未知"},
};

static const struct {
    const char *name;
    const struct yq_label *v;
    size_t n;
} tables[YQ_LABEL_KIND_COUNT] = {
    [YQ_LABEL_STATE] = {"states", states, N(states)},
    [YQ_LABEL_LEVEL] = {"levels", levels, N(levels)},
    [YQ_LABEL_SOURCE_KIND] = {"source_kinds", source_kinds, N(source_kinds)},
    [YQ_LABEL_RULE_SCOPE] = {"rule_scopes", rule_scopes, N(rule_scopes)},
    [YQ_LABEL_DISMISS_REASON] = {"dismiss_reasons", dismiss_reasons, N(dismiss_reasons)},
    [YQ_LABEL_LOG_ACTION] = {"log_actions", log_actions, N(log_actions)},
    [YQ_LABEL_RESPONSE_CHANNEL] = {"response_channels", response_channels, N(response_channels)},
    [YQ_LABEL_SOURCE_ERROR] = {"source_errors", source_errors, N(source_errors)},
    [YQ_LABEL_ROLE] = {"roles", roles, N(roles)},
    [YQ_LABEL_CLOCK] = {"clocks", clocks, N(clocks)},
    [YQ_LABEL_OUTBOX_STATE] = {"outbox_states", outbox_states, N(outbox_states)},
    [YQ_LABEL_NOTIFY_KIND] = {"notify_kinds", notify_kinds, N(notify_kinds)},
    [YQ_LABEL_HELD_REASON] = {"held_reasons", held_reasons, N(held_reasons)},
    [YQ_LABEL_ACTION] = {"actions", actions, N(actions)},
    [YQ_LABEL_EVENT_STATE] = {"event_states", event_states, N(event_states)},
    [YQ_LABEL_EVENT_ACTION] = {"event_actions", event_actions, N(event_actions)},
    [YQ_LABEL_RESURFACE_REASON] = {"resurface_reasons", resurface_reasons, N(resurface_reasons)},
    [YQ_LABEL_BLIND_REASON] = {"blind_reasons", blind_reasons, N(blind_reasons)},
    [YQ_LABEL_REPORT_KIND] = {"report_kinds", report_kinds, N(report_kinds)},
    [YQ_LABEL_INTAKE_FAULT] = {"intake_faults", intake_faults, N(intake_faults)},
};

/*
 * Labels a kind used before, read as input by yq_label_code() and never shown: the 研判 desk
 * named two dismiss reasons apart from tickets until 2026-12.
 */
static const struct {
    enum yq_label_kind kind;
    const char *label, *code;
} former_labels[] = {
    {YQ_LABEL_DISMISS_REASON, "与我无关", "irrelevant"},
    {YQ_LABEL_DISMISS_REASON, "不属管辖", "out_of_scope"},
};

const char *yq_label(enum yq_label_kind kind, const char *code)
{
    if ((unsigned)kind >= YQ_LABEL_KIND_COUNT || !code) {
        return "";
    }
    for (size_t i = 0; i < tables[kind].n; i++) {
        if (strcmp(tables[kind].v[i].code, code) == 0) {
            return tables[kind].v[i].label;
        }
    }
    return code;
}

bool yq_label_known_code(enum yq_label_kind kind, const char *code)
{
    if ((unsigned)kind >= YQ_LABEL_KIND_COUNT || !code) {
        return false;
    }
    for (size_t i = 0; i < tables[kind].n; i++) {
        if (strcmp(tables[kind].v[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

const char *yq_label_code(enum yq_label_kind kind, const char *text)
{
    if ((unsigned)kind >= YQ_LABEL_KIND_COUNT || !text) {
        return NULL;
    }
    for (size_t i = 0; i < tables[kind].n; i++) {
        if (strcmp(tables[kind].v[i].code, text) == 0) {
            return tables[kind].v[i].code;
        }
    }
    for (size_t i = 0; i < tables[kind].n; i++) {
        if (strcmp(tables[kind].v[i].label, text) == 0) {
            return tables[kind].v[i].code;
        }
    }
    for (size_t i = 0; i < N(former_labels); i++) {
        if (former_labels[i].kind == kind && strcmp(former_labels[i].label, text) == 0) {
            return yq_label_code(kind, former_labels[i].code);
        }
    }
    return NULL;
}

const struct yq_label *yq_label_table(enum yq_label_kind kind, size_t *n_out)
{
    if ((unsigned)kind >= YQ_LABEL_KIND_COUNT) {
        *n_out = 0;
        return NULL;
    }
    *n_out = tables[kind].n;
    return tables[kind].v;
}

const char *yq_label_kind_name(enum yq_label_kind kind)
{
    return (unsigned)kind < YQ_LABEL_KIND_COUNT ? tables[kind].name : "?";
}

const char *yq_label_split_error(const char *line, char *code, size_t code_len)
{
    size_t n = 0;

    if (code_len) {
        code[0] = '\0';
    }
    if (!line) {
        return "";
    }
    while ((line[n] >= 'a' && line[n] <= 'z') || line[n] == '_') {
        n++;
    }
    if (n == 0 || n >= 64 || line[n] != ':' || line[n + 1] != ' ') {
        return line;
    }
    if (code_len) {
        snprintf(code, code_len, "%.*s", (int)n, line);
    }
    return line + n + 2;
}
