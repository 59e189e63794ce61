#include "ticket_flow.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "outbox.h"
#include "response_store.h"
#include "ticket_clock.h"
#include "ticket_store_int.h"
#include "ticket_text.h"
#include "yq_json.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define ACTOR_MAX_BYTES 64
#define NOTE_MAX_BYTES 2000
#define DEPT_MAX_BYTES 100
#define FUTURE_SLACK_S 300

enum role_bits {
    R_DUTY = 1 << 0,
    R_LIAISON = 1 << 1,
    R_HEAD = 1 << 2,
    R_ADMIN = 1 << 3,
};

#define ST(x) (1u << TICKET_STATE_##x)

struct transition {
    const char *name;
    unsigned from; /* the states it is allowed from, ST() bits */
    int to;        /* the enum ticket_state it leads to; -1: the state does not change */
    unsigned roles;
    const char *log_action;
    /*
     * The refusal ("code: 说明") of the action without a note that says something
     * (ticket_text_blank()); NULL: the note is optional.
     */
    const char *note_required;
};

static const struct transition transitions[TICKET_ACT_COUNT] = {
    [TICKET_ACT_ASSIGN] = {"assign", ST(OPEN) | ST(RETURNED), TICKET_STATE_OPEN, R_DUTY | R_ADMIN,
                           "assigned"},
    [TICKET_ACT_ACK] = {"ack", ST(OPEN), TICKET_STATE_ACKNOWLEDGED, R_LIAISON | R_DUTY | R_ADMIN,
                        "acknowledged"},
    [TICKET_ACT_RESPOND] = {"respond", ST(ACKNOWLEDGED) | ST(RESPONDED), TICKET_STATE_RESPONDED,
                            R_LIAISON | R_DUTY | R_ADMIN, "responded"},
    /* the 处置结果 is the 办结 record and the statistics' (the web UI's field "result") */
    [TICKET_ACT_CLOSE] = {"close", ST(RESPONDED), TICKET_STATE_CLOSED,
                          R_LIAISON | R_DUTY | R_HEAD | R_ADMIN, "closed",
                          "result_required: 办结须填写处置结果（采取的措施和成效）"},
    [TICKET_ACT_DISMISS] = {"dismiss", ST(OPEN) | ST(ACKNOWLEDGED) | ST(RETURNED),
                            TICKET_STATE_DISMISSED, R_DUTY | R_ADMIN, "dismissed"},
    [TICKET_ACT_RETURN] = {"return", ST(OPEN) | ST(ACKNOWLEDGED), TICKET_STATE_RETURNED,
                           R_LIAISON | R_HEAD | R_ADMIN, "returned"},
    [TICKET_ACT_REOPEN] = {"reopen", ST(CLOSED) | ST(DISMISSED), TICKET_STATE_OPEN,
                           R_DUTY | R_ADMIN, "reopened"},
    [TICKET_ACT_SET_LEVEL] = {"set_level",
                              ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESPONDED) | ST(RETURNED), -1,
                              R_DUTY | R_ADMIN, "level_set"},
    /* issue #15: a proposed 回应 (an official post) decided; confirm goes through respond */
    [TICKET_ACT_CONFIRM_RESPONSE] = {"confirm_response",
                                     ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESPONDED),
                                     TICKET_STATE_RESPONDED,
                                     R_LIAISON | R_HEAD | R_DUTY | R_ADMIN, "responded"},
    [TICKET_ACT_REJECT_RESPONSE] = {"reject_response",
                                    ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESPONDED) | ST(CLOSED) |
                                        ST(RETURNED) | ST(DISMISSED),
                                    -1, R_LIAISON | R_HEAD | R_DUTY | R_ADMIN,
                                    "response_rejected"},
};

/* The state t is in after tr (its own state when tr does not change it). */
static enum ticket_state state_after(const struct transition *tr, enum ticket_state now)
{
    return tr->to >= 0 ? (enum ticket_state)tr->to : now;
}

const char *ticket_action_name(enum ticket_action_kind kind)
{
    return (unsigned)kind < TICKET_ACT_COUNT ? transitions[kind].name : "?";
}

int ticket_action_parse(const char *name, enum ticket_action_kind *out)
{
    for (int k = 0; name && k < TICKET_ACT_COUNT; k++) {
        if (strcmp(name, transitions[k].name) == 0) {
            *out = (enum ticket_action_kind)k;
            return 0;
        }
    }
    return ERR_INVALID;
}

/* The Chinese name of an action for messages (交办/改派, 签收, ...; yq_labels). Static. */
static const char *action_label(enum ticket_action_kind kind)
{
    return (unsigned)kind < TICKET_ACT_COUNT ? yq_label(YQ_LABEL_ACTION, ticket_action_name(kind))
                                             : "操作";
}

const char *ticket_flow_error_split(const char *errbuf, char *code, size_t code_len)
{
    return yq_label_split_error(errbuf, code, code_len);
}

static unsigned role_bit(const char *role)
{
    static const struct {
        const char *name;
        unsigned bit;
    } roles[] = {{"duty_officer", R_DUTY},
                 {"duty", R_DUTY},
                 {"liaison", R_LIAISON},
                 {"head", R_HEAD},
                 {"admin", R_ADMIN}};
    for (size_t i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (strcmp(role, roles[i].name) == 0) {
            return roles[i].bit;
        }
    }
    return 0;
}

bool ticket_action_role_may(enum ticket_action_kind kind, const char *role)
{
    return (unsigned)kind < TICKET_ACT_COUNT && (transitions[kind].roles & role_bit(role)) != 0;
}

bool ticket_action_allowed_from(enum ticket_action_kind kind, const char *state)
{
    enum ticket_state st;
    return (unsigned)kind < TICKET_ACT_COUNT && ticket_state_parse(state, &st) == 0 &&
           (transitions[kind].from & (1u << st)) != 0;
}

static bool clean_text(const char *s, size_t max_bytes, bool multiline)
{
    return ticket_text_problem(s, max_bytes, multiline) == NULL;
}

#define BAD(code, ...)                                                                             \
    do {                                                                                           \
        if (errbuf) {                                                                              \
            snprintf(errbuf, errlen, __VA_ARGS__);                                                 \
        }                                                                                          \
        return (code);                                                                             \
    } while (0)

/*
 * Field checks that need no database. check_role: whether role must be one that may take
 * act->kind (false for the steps of a confirm_response, whose role was checked on the confirm
 * itself, and for 'system').
 */
static int validate(const struct ticket_action *act, const char *role, bool check_role,
                    char *errbuf, size_t errlen)
{
    if ((unsigned)act->kind >= TICKET_ACT_COUNT) {
        BAD(ERR_INVALID, "unknown_action: 未知的操作");
    }
    if (!act->number || !act->number[0] || !clean_text(act->number, 31, false)) {
        BAD(ERR_INVALID, "number_required: 须给出交办单编号（如 YQ-2026-11-0042）");
    }
    if (!act->actor || !act->actor[0] || !clean_text(act->actor, ACTOR_MAX_BYTES, false)) {
        BAD(ERR_INVALID, "actor_invalid: 操作人须为 1 至 %d 字节的文字", ACTOR_MAX_BYTES);
    }
    if (check_role && !role_bit(role)) {
        BAD(ERR_INVALID, "role_unknown: 未知的角色“%.40s”（值班员、联络员、部门负责人、管理员）",
            role);
    }
    if (check_role && !ticket_action_role_may(act->kind, role)) {
        BAD(ERR_INVALID, "role_not_allowed: %s无权%s", yq_label(YQ_LABEL_ROLE, role),
            action_label(act->kind));
    }
    if (act->note && ticket_text_problem(act->note, NOTE_MAX_BYTES, true)) {
        BAD(ERR_INVALID, "note_invalid: 备注%s（至多 %d 字节的文字）",
            ticket_text_problem(act->note, NOTE_MAX_BYTES, true), NOTE_MAX_BYTES);
    }
    if (transitions[act->kind].note_required && ticket_text_blank(act->note)) {
        BAD(ERR_INVALID, "%s", transitions[act->kind].note_required);
    }
    switch (act->kind) {
    case TICKET_ACT_ASSIGN:
        if (!act->department || !act->department[0] ||
            !clean_text(act->department, DEPT_MAX_BYTES, false)) {
            BAD(ERR_INVALID, "department_required: 交办须选择牵头部门（1 至 %d 字节）",
                DEPT_MAX_BYTES);
        }
        if (act->n_co_departments > TICKET_MAX_CO_DEPARTMENTS) {
            BAD(ERR_INVALID, "too_many_co_departments: 协办部门至多 %d 个",
                TICKET_MAX_CO_DEPARTMENTS);
        }
        for (size_t i = 0; i < act->n_co_departments; i++) {
            const char *d = act->co_departments[i];
            if (!d || !d[0] || !clean_text(d, DEPT_MAX_BYTES, false)) {
                BAD(ERR_INVALID, "co_department_invalid: 第 %zu 个协办部门不是有效的部门名称", i + 1);
            }
        }
        break;
    case TICKET_ACT_RESPOND:
        if (!yq_label_known_code(YQ_LABEL_RESPONSE_CHANNEL, act->channel)) {
            BAD(ERR_INVALID, "channel_invalid: 回应渠道须为权威发布、新闻发布会、吹风会、"
                             "政务微博、政务微信、网站或答复之一");
        }
        if (act->url && act->url[0] && !ticket_text_url_ok(act->url)) {
            BAD(ERR_INVALID, "url_invalid: 链接须为 http:// 或 https:// 开头的网址");
        }
        if ((!act->url || !act->url[0]) && strcmp(act->channel, "新闻发布会") != 0 &&
            strcmp(act->channel, "吹风会") != 0 && strcmp(act->channel, "答复") != 0) {
            BAD(ERR_INVALID, "url_required: 以“%s”方式回应须填写发布链接", act->channel);
        }
        break;
    case TICKET_ACT_DISMISS:
        if (!yq_label_known_code(YQ_LABEL_DISMISS_REASON, act->reason)) {
            BAD(ERR_INVALID, "reason_invalid: 不予处置原因须为" YQ_LABEL_DISMISS_REASONS_OR "之一");
        }
        if (strcmp(act->reason, "other") == 0 && (!act->note || !act->note[0])) {
            BAD(ERR_INVALID, "note_required: 原因为“其他”时须填写说明");
        }
        break;
    case TICKET_ACT_CONFIRM_RESPONSE:
    case TICKET_ACT_REJECT_RESPONSE:
        if (act->proposal_id <= 0) {
            BAD(ERR_INVALID, "proposal_required: 须指明要%s的疑似回应（proposal_id）",
                act->kind == TICKET_ACT_CONFIRM_RESPONSE ? "确认" : "驳回");
        }
        break;
    case TICKET_ACT_SET_LEVEL:
        if (act->level < YQ_LEVEL_I || act->level > YQ_LEVEL_IV) {
            BAD(ERR_INVALID, "level_invalid: 级别须为 I、II、III 或 IV");
        }
        break;
    case TICKET_ACT_RETURN:
        if ((!act->reason || !act->reason[0]) && (!act->note || !act->note[0])) {
            BAD(ERR_INVALID, "reason_required: 退回须说明理由（如应由哪个部门办理）");
        }
        if (act->reason && ticket_text_problem(act->reason, NOTE_MAX_BYTES, true)) {
            BAD(ERR_INVALID, "reason_invalid: 退回理由%s（至多 %d 字节的文字）",
                ticket_text_problem(act->reason, NOTE_MAX_BYTES, true), NOTE_MAX_BYTES);
        }
        break;
    default:
        break;
    }
    return 0;
}

/* The co-handling departments as a JSON array text, without the lead and repeats. */
static char *co_json(const struct ticket_action *act)
{
    json_t *arr = json_array();
    char *s;
    if (!arr) {
        return NULL;
    }
    for (size_t i = 0; i < act->n_co_departments; i++) {
        const char *d = act->co_departments[i];
        bool seen = strcmp(d, act->department) == 0;
        size_t j;
        json_t *have;
        json_array_foreach(arr, j, have)
        {
            seen = seen || strcmp(json_string_value(have), d) == 0;
        }
        if (!seen) {
            json_array_append_new(arr, json_string(d));
        }
    }
    s = yq_json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

static int insert_response(struct ticket_store *store, int64_t ticket_id,
                           const struct ticket_action *act, int64_t at, int64_t now, int64_t log_id)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store,
                                   "INSERT INTO ticket_responses (ticket_id, channel, url, "
                                   "responded_at, recorded_at, recorded_by, note, log_id) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   &st, "response insert");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    yq_stmt_bind_text(st, 2, act->channel);
    yq_stmt_bind_text(st, 3, ticket_store_nz(act->url));
    yq_stmt_bind_int64(st, 4, at);
    yq_stmt_bind_int64(st, 5, now);
    yq_stmt_bind_text(st, 6, act->actor);
    yq_stmt_bind_text(st, 7, ticket_store_nz(act->note));
    yq_stmt_bind_int64(st, 8, log_id);
    return ticket_store_step_done(store, st, "response insert");
}

/* The UPDATE of each transition. ?1 now, ?2 id, ?3 version, then per action ?4.. */
static const char *const update_sql[TICKET_ACT_COUNT] = {
    [TICKET_ACT_ASSIGN] = "UPDATE tickets SET state = '" TICKET_STATE_NAME_OPEN "', "
                          "department = ?4, "
                          "co_departments = ?5, assigned_at = ?1, ack_deadline = ?6, "
                          "acknowledged_at = NULL, ack_overdue = 0, version = version + 1, "
                          "updated_at = ?1 "
                          "WHERE id = ?2 AND version = ?3",
    [TICKET_ACT_ACK] = "UPDATE tickets SET state = '" TICKET_STATE_NAME_ACKNOWLEDGED "', "
                       "acknowledged_at = ?1, "
                       "version = version + 1, updated_at = ?1 WHERE id = ?2 AND version = ?3",
    [TICKET_ACT_RESPOND] = "UPDATE tickets SET state = '" TICKET_STATE_NAME_RESPONDED "', "
                           "responded_at = coalesce(responded_at, ?4), "
                           "press_held_at = CASE WHEN ?5 <> 0 THEN coalesce(press_held_at, ?4) "
                           "  ELSE press_held_at END, "
                           "version = version + 1, updated_at = ?1 WHERE id = ?2 AND version = ?3",
    [TICKET_ACT_CLOSE] = "UPDATE tickets SET state = '" TICKET_STATE_NAME_CLOSED "', "
                         "closed_at = ?1, "
                         "version = version + 1, updated_at = ?1 WHERE id = ?2 AND version = ?3",
    [TICKET_ACT_DISMISS] = "UPDATE tickets SET state = '" TICKET_STATE_NAME_DISMISSED "', "
                           "dismissed_at = ?1, "
                           "dismiss_reason = ?4, version = version + 1, updated_at = ?1 "
                           "WHERE id = ?2 AND version = ?3",
    [TICKET_ACT_RETURN] = "UPDATE tickets SET state = '" TICKET_STATE_NAME_RETURNED "', "
                          "returned_at = ?1, "
                          "version = version + 1, updated_at = ?1 WHERE id = ?2 AND version = ?3",
    [TICKET_ACT_REOPEN] = "UPDATE tickets SET state = '" TICKET_STATE_NAME_OPEN "', "
                          "reopened_at = ?1, "
                          "reopen_count = reopen_count + 1, closed_at = NULL, "
                          "dismissed_at = NULL, dismiss_reason = '', assigned_at = ?1, "
                          "ack_deadline = ?4, close_deadline = ?5, acknowledged_at = NULL, "
                          "ack_overdue = 0, close_overdue = 0, "
                          "version = version + 1, updated_at = ?1 WHERE id = ?2 AND version = ?3",
    /* an overdue flag is the 督办 of the clock's current deadline (escalate_one()): the new
       deadlines' own, which a grading back to an earlier level finds again */
    [TICKET_ACT_SET_LEVEL] = "UPDATE tickets SET level = ?4, response_deadline = ?5, "
                             "press_deadline = ?6, "
                             "response_overdue = CASE WHEN EXISTS (SELECT 1 FROM "
                             "  ticket_escalations WHERE ticket_id = ?2 AND clock = 'response' "
                             "  AND stage = 'supervise' AND deadline = ?5) THEN 1 ELSE 0 END, "
                             "press_overdue = CASE WHEN EXISTS (SELECT 1 FROM "
                             "  ticket_escalations WHERE ticket_id = ?2 AND clock = 'press' "
                             "  AND stage = 'supervise' AND deadline = ?6) THEN 1 ELSE 0 END, "
                             "version = version + 1, updated_at = ?1 "
                             "WHERE id = ?2 AND version = ?3",
};

/*
 * Whether department may lead or co-handle a ticket: when the web UI's department registry
 * (table web_departments, yuqingctl users dept-add) exists and is not empty, only its names
 * are accepted, so a ticket is never handed to a department nobody can see or is told about;
 * without a registry every name is accepted. Returns 0, ERR_INVALID (not registered, one line
 * in errbuf) or a store error.
 */
static int department_registered(struct ticket_store *store, const char *department,
                                 char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    bool registry = false;
    int err, rc;

    err = yq_db_has_table(store->db, "web_departments", &registry, store->last_error,
                          sizeof(store->last_error));
    if (err || !registry) {
        return err; /* a store error, or no registry */
    }
    err = ticket_store_prepare(store,
                               "SELECT (SELECT count(*) FROM web_departments), "
                               "EXISTS (SELECT 1 FROM web_departments WHERE name = ?)",
                               &st, "department registry");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, department);
    rc = yq_stmt_step(st);
    if (rc != YQ_DB_ROW) {
        err = ticket_store_fail(store, rc, "department registry");
    } else if (yq_stmt_column_int64(st, 0) > 0 && !yq_stmt_column_int(st, 1)) {
        err = ERR_INVALID;
        if (errbuf) {
            snprintf(errbuf, errlen,
                     "department_unknown: 部门“%.100s”未登记（请先在管理页或用 yuqingctl "
                     "users dept-add 添加）",
                     department);
        }
    }
    yq_stmt_finalize(st);
    return err;
}

int ticket_flow_check_departments(struct ticket_store *store, const char *lead,
                                  const char *const *co, size_t n_co, char *errbuf, size_t errlen)
{
    int err = lead ? department_registered(store, lead, errbuf, errlen) : 0;

    for (size_t i = 0; !err && i < n_co; i++) {
        err = department_registered(store, co[i], errbuf, errlen);
    }
    return err;
}

/*
 * Whether act expects a version of t other than t's (expected_version when > 0 or
 * expect_version: a client's optimistic check, or the web layer's version of its department
 * check), with the version_changed line in errbuf (may be NULL).
 */
static bool version_changed(const struct ticket_action *act, const struct ticket *t, char *errbuf,
                            size_t errlen)
{
    if ((act->expected_version <= 0 && !act->expect_version) ||
        act->expected_version == t->version) {
        return false;
    }
    if (errbuf) {
        snprintf(errbuf, errlen,
                 "version_changed: 交办单 %s 已被他人更新（版本 %lld，预期 %lld），请刷新后重试",
                 t->number, (long long)t->version, (long long)act->expected_version);
    }
    return true;
}

static int apply_locked(struct ticket_store *store, const struct ticket_action *act,
                        const char *role, int64_t now, struct ticket_action_result *res,
                        char *errbuf, size_t errlen)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct transition *tr = &transitions[act->kind];
    struct ticket_deadline_set dl;
    struct ticket t;
    struct yq_stmt *st = NULL;
    char *co = NULL, note[2300];
    int64_t at = now;
    int err;

    err = ticket_store_get_by_number(store, act->number, &t);
    if (err == ERR_NOT_FOUND) {
        if (errbuf) {
            snprintf(errbuf, errlen, "not_found: 没有交办单 %s", act->number);
        }
        return err;
    }
    if (err) {
        if (errbuf) {
            snprintf(errbuf, errlen, "store_error: 交办单库出错（%s）", ticket_store_errmsg(store));
        }
        return err;
    }
    snprintf(res->number, sizeof(res->number), "%s", t.number);
    snprintf(res->from_state, sizeof(res->from_state), "%s", ticket_state_name(t.state));
    if ((tr->from & (1u << t.state)) == 0) {
        char allowed[160] = "";
        for (int k = 0; k < TICKET_STATE_COUNT; k++) {
            size_t l = strlen(allowed);
            if (tr->from & (1u << k)) {
                snprintf(allowed + l, sizeof(allowed) - l, "%s“%s”", l ? "或" : "",
                         ticket_state_label((enum ticket_state)k));
            }
        }
        if (errbuf) {
            snprintf(errbuf, errlen, "state_not_allowed: 交办单 %s 当前为“%s”，%s须在%s状态下进行",
                     t.number, ticket_state_label(t.state), action_label(act->kind), allowed);
        }
        err = ERR_BAD_STATE;
        goto done;
    }
    if (version_changed(act, &t, errbuf, errlen)) {
        err = ERR_BAD_STATE;
        goto done;
    }
    if (act->kind == TICKET_ACT_SET_LEVEL && act->level == t.level) {
        /* nothing would change: no new version, no log row, no notice to the liaison */
        if (errbuf) {
            snprintf(errbuf, errlen, "level_unchanged: 交办单 %s 已是 %s %s，级别无需调整",
                     t.number, yq_level_name(t.level), yq_level_label(t.level));
        }
        err = ERR_BAD_STATE;
        goto done;
    }
    if (act->kind == TICKET_ACT_RESPOND) {
        /* 0 = now; any other time is checked (one before 1970 once became now) */
        at = act->responded_at != 0 ? act->responded_at : now;
        /* a response cannot precede the detection it answers: time to response >= 0 */
        if (at > now + FUTURE_SLACK_S || at < t.detected_at) {
            if (errbuf) {
                char det[32];
                yq_time_format_shanghai(t.detected_at, det, sizeof(det));
                snprintf(errbuf, errlen,
                         "response_time_out_of_range: 回应时间须在发现时间（%s，北京时间）"
                         "与当前时间之间",
                         det);
            }
            err = ERR_INVALID;
            goto done;
        }
    }
    if (act->kind == TICKET_ACT_ASSIGN) {
        err = ticket_flow_check_departments(store, act->department, act->co_departments,
                                            act->n_co_departments, errbuf, errlen);
        if (err) {
            goto done;
        }
    }
    err = ticket_store_prepare(store, update_sql[act->kind], &st, "transition");
    if (err) {
        goto done;
    }
    yq_stmt_bind_int64(st, 1, now);
    yq_stmt_bind_int64(st, 2, t.id);
    yq_stmt_bind_int64(st, 3, t.version);
    switch (act->kind) {
    case TICKET_ACT_ASSIGN:
        co = co_json(act);
        if (!co) {
            yq_stmt_finalize(st);
            err = ERR_NOMEM;
            goto done;
        }
        ticket_clock_deadlines(pol->clock, pol->cal, t.level, t.detected_at, now, &dl);
        yq_stmt_bind_text(st, 4, act->department);
        yq_stmt_bind_text(st, 5, co);
        yq_stmt_bind_int64(st, 6, dl.ack);
        snprintf(note, sizeof(note), "department=%s co_departments=%s%s%s", act->department, co,
                 act->note && act->note[0] ? " note=" : "", ticket_store_nz(act->note));
        break;
    case TICKET_ACT_RESPOND:
        yq_stmt_bind_int64(st, 4, at);
        yq_stmt_bind_int(st, 5, strcmp(act->channel, "新闻发布会") == 0);
        snprintf(note, sizeof(note), "channel=%s url=%s%s%s", act->channel,
                 ticket_store_nz(act->url), act->note && act->note[0] ? " note=" : "",
                 ticket_store_nz(act->note));
        break;
    case TICKET_ACT_DISMISS:
        yq_stmt_bind_text(st, 4, act->reason);
        snprintf(note, sizeof(note), "reason=%s%s%s", act->reason,
                 act->note && act->note[0] ? " note=" : "", ticket_store_nz(act->note));
        break;
    case TICKET_ACT_RETURN:
        snprintf(note, sizeof(note), "%s%s%s", ticket_store_nz(act->reason),
                 act->reason && act->reason[0] && act->note && act->note[0] ? "; " : "",
                 ticket_store_nz(act->note));
        break;
    case TICKET_ACT_REOPEN:
        ticket_clock_deadlines(pol->clock, pol->cal, t.level, now, now, &dl);
        yq_stmt_bind_int64(st, 4, dl.ack);
        yq_stmt_bind_int64(st, 5, dl.close);
        snprintf(note, sizeof(note), "%s", ticket_store_nz(act->note));
        break;
    case TICKET_ACT_SET_LEVEL:
        ticket_clock_deadlines(pol->clock, pol->cal, act->level, t.detected_at,
                               t.assigned_at ? t.assigned_at : t.detected_at, &dl);
        yq_stmt_bind_text(st, 4, yq_level_name(act->level));
        yq_stmt_bind_int64(st, 5, dl.response);
        if (dl.press) {
            yq_stmt_bind_int64(st, 6, dl.press);
        } else {
            yq_stmt_bind_null(st, 6);
        }
        snprintf(note, sizeof(note), "level=%s was=%s%s%s", yq_level_name(act->level),
                 yq_level_name(t.level), act->note && act->note[0] ? " note=" : "",
                 ticket_store_nz(act->note));
        break;
    default:
        snprintf(note, sizeof(note), "%s", ticket_store_nz(act->note));
        break;
    }
    err = ticket_store_step_done(store, st, "transition");
    if (!err && yq_db_changes(store->db) != 1) {
        err = ERR_BAD_STATE; /* another writer changed it between our read and write */
        if (errbuf) {
            snprintf(errbuf, errlen, "version_changed: 交办单 %s 已被他人更新，请重试", t.number);
        }
        goto done;
    }
    if (!err) {
        err = ticket_store_log_append(
            store, t.id, now, act->actor, role, tr->log_action, ticket_state_name(t.state),
            ticket_state_name(state_after(tr, t.state)), note, &res->log_id);
    }
    if (!err && act->kind == TICKET_ACT_RESPOND) {
        err = insert_response(store, t.id, act, at, now, res->log_id);
    }
    if (!err) {
        bool urgent = t.level == YQ_LEVEL_I || t.level == YQ_LEVEL_II;
        switch (act->kind) {
        case TICKET_ACT_ASSIGN:
            err = outbox_enqueue(store, t.id, res->log_id, "assigned",
                                 OUTBOX_TO_LIAISON | OUTBOX_TO_CO_LIAISON, urgent, act->note, now,
                                 &res->notifications);
            break;
        case TICKET_ACT_RETURN:
            err = outbox_enqueue(store, t.id, res->log_id, "returned", OUTBOX_TO_DUTY, urgent, note,
                                 now, &res->notifications);
            break;
        case TICKET_ACT_REOPEN:
            err = outbox_enqueue(store, t.id, res->log_id, "reopened",
                                 OUTBOX_TO_LIAISON | OUTBOX_TO_DUTY, urgent, act->note, now,
                                 &res->notifications);
            break;
        case TICKET_ACT_SET_LEVEL:
        case TICKET_ACT_DISMISS:
            /* issue #11: the departments it was handed to hear of a re-grading or a dismissal */
            if (t.department[0]) {
                char detail[2400];
                if (act->kind == TICKET_ACT_SET_LEVEL) {
                    urgent = urgent || act->level <= YQ_LEVEL_II;
                    snprintf(detail, sizeof(detail), "级别由 %s %s 调整为 %s %s%s%s",
                             yq_level_name(t.level), yq_level_label(t.level),
                             yq_level_name(act->level), yq_level_label(act->level),
                             act->note && act->note[0] ? "；" : "", ticket_store_nz(act->note));
                } else {
                    snprintf(detail, sizeof(detail), "值班室决定不予处置，原因：%s%s%s，无需继续办理",
                             yq_label(YQ_LABEL_DISMISS_REASON, act->reason),
                             act->note && act->note[0] ? "；" : "", ticket_store_nz(act->note));
                }
                err = outbox_enqueue(store, t.id, res->log_id,
                                     act->kind == TICKET_ACT_SET_LEVEL ? "level_set" : "dismissed",
                                     OUTBOX_TO_LIAISON | OUTBOX_TO_CO_LIAISON, urgent, detail, now,
                                     &res->notifications);
            }
            break;
        default:
            break;
        }
    }
    if (err && errbuf && !errbuf[0]) {
        snprintf(errbuf, errlen, "store_error: 交办单库出错（%s）", ticket_store_errmsg(store));
    }
    snprintf(res->to_state, sizeof(res->to_state), "%s",
             ticket_state_name(state_after(tr, t.state)));
    res->version = t.version + 1;
done:
    free(co);
    ticket_release(&t);
    return err;
}

/* The ticket_responses row the respond step logged as log_id. */
static int response_of_log(struct ticket_store *store, int64_t log_id, int64_t *out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    *out = 0;
    err = ticket_store_prepare(store, "SELECT id FROM ticket_responses WHERE log_id = ?", &st,
                               "response of log");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, log_id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *out = yq_stmt_column_int64(st, 0);
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, "response of log");
    }
    yq_stmt_finalize(st);
    return err;
}

/*
 * confirm_response / reject_response inside the open transaction (ticket_flow.h): the
 * proposal checked against the ticket, then for confirm the 签收 (state open) and the respond
 * step through apply_locked(), the one path of both; auto_: by 'system' (auto confirmation).
 */
static int decide_locked(struct ticket_store *store, const struct ticket_action *act,
                         const char *role, bool auto_, int64_t now,
                         struct ticket_action_result *res, char *errbuf, size_t errlen)
{
    const struct transition *tr = &transitions[act->kind];
    bool confirm = act->kind == TICKET_ACT_CONFIRM_RESPONSE;
    struct response_proposal p;
    struct ticket t;
    char note[3000]; /* title <= 600 bytes (response_store.h) and a note <= NOTE_MAX_BYTES */
    int err;

    err = ticket_store_get_by_number(store, act->number, &t);
    if (err) {
        if (errbuf) {
            snprintf(errbuf, errlen, err == ERR_NOT_FOUND ? "not_found: 没有交办单 %s"
                                                          : "store_error: 交办单库出错（%s）",
                     err == ERR_NOT_FOUND ? act->number : ticket_store_errmsg(store));
        }
        return err;
    }
    memset(&p, 0, sizeof(p));
    err = response_store_proposal_get(store, act->proposal_id, &p);
    if (err == ERR_NOT_FOUND || (!err && p.ticket_id != t.id)) {
        err = ERR_NOT_FOUND;
        if (errbuf) {
            snprintf(errbuf, errlen, "proposal_not_found: 交办单 %s 没有编号为 %lld 的疑似回应",
                     t.number, (long long)act->proposal_id);
        }
        goto done;
    }
    if (err) {
        goto done;
    }
    snprintf(res->number, sizeof(res->number), "%s", t.number);
    snprintf(res->from_state, sizeof(res->from_state), "%s", ticket_state_name(t.state));
    if (strcmp(p.state, "proposed") != 0) {
        err = ERR_BAD_STATE;
        if (errbuf) {
            snprintf(errbuf, errlen, "proposal_decided: 该疑似回应已%s，不能再次%s",
                     strcmp(p.state, "confirmed") == 0 ? "确认" : "驳回",
                     confirm ? "确认" : "驳回");
        }
        goto done;
    }
    if ((tr->from & (1u << t.state)) == 0) {
        err = ERR_BAD_STATE;
        if (errbuf) {
            snprintf(errbuf, errlen,
                     "state_not_allowed: 交办单 %s 当前为“%s”，确认回应须在“待签收”、“已签收”或"
                     "“已回应”状态下进行",
                     t.number, ticket_state_label(t.state));
        }
        goto done;
    }
    if (version_changed(act, &t, errbuf, errlen)) {
        err = ERR_BAD_STATE;
        goto done;
    }
    /* 签收 is the department's clock (issue #17): only its people record it by a confirm */
    if (confirm && t.state == TICKET_STATE_OPEN && !(role_bit(role) & (R_LIAISON | R_HEAD))) {
        err = ERR_BAD_STATE;
        if (errbuf) {
            snprintf(errbuf, errlen,
                     "ack_required: 交办单 %s 尚未签收。确认回应会同时记录部门签收，须由牵头部门的"
                     "联络员或负责人确认；%s可在部门签收后确认",
                     t.number,
                     strcmp(role, "system") == 0 ? "系统" : yq_label(YQ_LABEL_ROLE, role));
        }
        goto done;
    }
    if (!confirm) {
        snprintf(note, sizeof(note), "疑似回应 #%lld“%s”%s%s", (long long)p.id, p.title,
                 act->note && act->note[0] ? "；理由：" : "", ticket_store_nz(act->note));
        err = ticket_store_log_append(store, t.id, now, act->actor, role, tr->log_action,
                                      ticket_state_name(t.state), ticket_state_name(t.state),
                                      note, &res->log_id);
        if (!err) {
            err = response_store_proposal_decide(store, p.id, "rejected", act->actor, act->note,
                                                 false, 0, now);
        }
        snprintf(res->to_state, sizeof(res->to_state), "%s", ticket_state_name(t.state));
        res->version = t.version;
        goto done;
    }
    struct ticket_action step = {.number = t.number, .actor = act->actor, .role = role};
    struct ticket_action_result sub;
    int64_t at = p.has_published ? p.published_at : p.fetched_at, response_id = 0;

    memset(&sub, 0, sizeof(sub));
    if (t.state == TICKET_STATE_OPEN) {
        step.kind = TICKET_ACT_ACK;
        step.note = "确认回应时一并签收";
        err = validate(&step, role, false, errbuf, errlen);
        if (!err) {
            err = apply_locked(store, &step, role, now, &sub, errbuf, errlen);
        }
        res->notifications += sub.notifications;
    }
    if (!err) {
        /* the post's time answers the complaint; kept within [detection, now] */
        at = at < t.detected_at ? t.detected_at : at;
        at = at > now ? now : at;
        snprintf(note, sizeof(note), "%s自动发现（疑似回应 #%lld，得分 %.2f）：%s",
                 auto_ ? "系统自动确认，" : "", (long long)p.id, p.score, p.title);
        step.kind = TICKET_ACT_RESPOND;
        step.channel = p.channel;
        step.url = p.url;
        step.responded_at = at;
        step.note = note;
        memset(&sub, 0, sizeof(sub));
        /* the checks of a respond typed by hand: channel, http(s) URL, text (one home) */
        err = validate(&step, role, false, errbuf, errlen);
        if (!err) {
            err = apply_locked(store, &step, role, now, &sub, errbuf, errlen);
        }
        res->notifications += sub.notifications;
        res->log_id = sub.log_id;
        res->version = sub.version;
        snprintf(res->to_state, sizeof(res->to_state), "%s", sub.to_state);
    }
    if (!err) {
        err = response_of_log(store, sub.log_id, &response_id);
    }
    if (!err) {
        err = response_store_proposal_decide(store, p.id, "confirmed", act->actor, act->note,
                                             auto_, response_id, now);
    }
done:
    if (err && err != ERR_NOT_FOUND && err != ERR_BAD_STATE && errbuf && !errbuf[0]) {
        snprintf(errbuf, errlen, "store_error: 交办单库出错（%s）", ticket_store_errmsg(store));
    }
    response_proposal_release(&p);
    ticket_release(&t);
    return err;
}

/* Confirm by 'system' each proposal of made marked auto_confirm (ticket_flow.h). */
static int auto_confirm(struct ticket_store *store, const struct response_made_list *made,
                        int64_t now)
{
    int err = 0;

    for (size_t i = 0; !err && i < made->n; i++) {
        struct ticket t;
        struct ticket_action_result res;
        char why[256] = "";
        if (!made->v[i].auto_confirm) {
            continue;
        }
        err = ticket_store_get_by_id(store, made->v[i].ticket_id, &t);
        if (err) {
            break;
        }
        struct ticket_action act = {.kind = TICKET_ACT_CONFIRM_RESPONSE,
                                    .number = t.number,
                                    .actor = "system",
                                    .role = "system",
                                    .proposal_id = made->v[i].proposal_id};
        memset(&res, 0, sizeof(res));
        /* a refusal undoes whatever the confirm wrote; the rest of the transaction stays */
        err = ticket_store_exec(store, "SAVEPOINT auto_confirm", "auto confirm savepoint");
        if (!err) {
            err = decide_locked(store, &act, "system", true, now, &res, why, sizeof(why));
            if (err == ERR_BAD_STATE || err == ERR_INVALID) {
                LOG_INFO("proposed response not confirmed automatically number=%s "
                         "proposal_id=%lld reason='%s'",
                         t.number, (long long)act.proposal_id, why);
                err = ticket_store_exec(store, "ROLLBACK TO auto_confirm", "auto confirm undo");
            } else if (!err) {
                LOG_INFO("response confirmed automatically number=%s proposal_id=%lld",
                         t.number, (long long)act.proposal_id);
            }
            if (!err) {
                err = ticket_store_exec(store, "RELEASE auto_confirm", "auto confirm release");
            }
        }
        ticket_release(&t);
    }
    return err;
}

int ticket_flow_detect_for_post(struct ticket_store *store, int64_t post_id, int64_t now,
                                int *n_out)
{
    struct response_made_list made;
    int err = response_store_propose_for_post(store, post_id, now, &made);

    if (!err) {
        err = auto_confirm(store, &made, now);
    }
    if (n_out) {
        *n_out = err ? 0 : (int)made.n;
    }
    response_made_list_release(&made);
    return err;
}

int ticket_flow_detect_for_ticket(struct ticket_store *store, int64_t ticket_id, int64_t now,
                                  int *n_out)
{
    struct response_made_list made;
    int err = response_store_propose_for_ticket(store, ticket_id, now, &made);

    if (!err) {
        err = auto_confirm(store, &made, now);
    }
    if (n_out) {
        *n_out = err ? 0 : (int)made.n;
    }
    response_made_list_release(&made);
    return err;
}

int ticket_flow_apply(struct ticket_store *store, const struct ticket_action *act, int64_t now,
                      struct ticket_action_result *out, char *errbuf, size_t errlen)
{
    struct ticket_action_result res;
    struct ticket_action norm = *act;
    const char *role = act->role ? act->role : "duty_officer";
    int err;

    memset(&res, 0, sizeof(res));
    if (errbuf && errlen) {
        errbuf[0] = '\0';
    }
    /*
     * issue #11: a dismiss reason or a response channel is taken by its code or its label (误报
     * as well as false_alarm): one reverse lookup of the label table; stored as the code
     */
    if (act->kind == TICKET_ACT_DISMISS && yq_label_code(YQ_LABEL_DISMISS_REASON, act->reason)) {
        norm.reason = yq_label_code(YQ_LABEL_DISMISS_REASON, act->reason);
    }
    if (act->kind == TICKET_ACT_RESPOND &&
        yq_label_code(YQ_LABEL_RESPONSE_CHANNEL, act->channel)) {
        norm.channel = yq_label_code(YQ_LABEL_RESPONSE_CHANNEL, act->channel);
    }
    act = &norm;
    err = validate(act, role, true, errbuf, errlen);
    if (err) {
        return err;
    }
    err = ticket_store_begin(store, "transition begin");
    if (err) {
        if (errbuf) {
            snprintf(errbuf, errlen, "store_busy: 交办单库忙，请稍后重试（%s）", ticket_store_errmsg(store));
        }
        return err;
    }
    if (act->kind == TICKET_ACT_CONFIRM_RESPONSE || act->kind == TICKET_ACT_REJECT_RESPONSE) {
        err = decide_locked(store, act, role, false, now, &res, errbuf, errlen);
    } else {
        err = apply_locked(store, act, role, now, &res, errbuf, errlen);
    }
    if (!err && (act->kind == TICKET_ACT_ASSIGN || act->kind == TICKET_ACT_REOPEN)) {
        /*
         * issue #15: a handed-over or reopened ticket (open again) meets the posts its
         * department made within the lookback
         */
        struct ticket t;
        err = ticket_store_get_by_number(store, act->number, &t);
        if (!err) {
            err = ticket_flow_detect_for_ticket(store, t.id, now, NULL);
            ticket_release(&t);
        }
        if (err && errbuf) {
            snprintf(errbuf, errlen, "store_error: 交办单库出错（%s）", ticket_store_errmsg(store));
        }
    }
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "transition commit");
        if (err && errbuf) {
            snprintf(errbuf, errlen, "store_error: 交办单库出错（%s）", ticket_store_errmsg(store));
        }
    }
    if (err) {
        ticket_store_rollback(store);
        return err;
    }
    if (out) {
        *out = res;
    }
    return 0;
}

/* --- escalation ------------------------------------------------------------------------ */

static bool is_active(const struct ticket *t)
{
    return !ticket_state_settled(t->state);
}

/* The clock's start and deadline when it is pending on t; false otherwise. */
static bool clock_pending(const struct ticket *t, enum ticket_clock_kind c, int64_t *start,
                          int64_t *deadline)
{
    if (!is_active(t)) {
        return false;
    }
    switch (c) {
    case TICKET_CLOCK_ACK:
        *start = t->assigned_at ? t->assigned_at : t->detected_at;
        *deadline = t->ack_deadline;
        return t->state == TICKET_STATE_OPEN && t->department[0];
    case TICKET_CLOCK_RESPONSE:
        *start = t->detected_at;
        *deadline = t->response_deadline;
        return t->responded_at == 0;
    case TICKET_CLOCK_PRESS:
        *start = t->detected_at;
        *deadline = t->press_deadline;
        return t->press_deadline > 0 && t->press_held_at == 0;
    case TICKET_CLOCK_CLOSE:
        *start = t->reopened_at ? t->reopened_at : t->detected_at;
        *deadline = t->close_deadline;
        return t->close_deadline > 0;
    }
    return false;
}

static int already_recorded(struct ticket_store *store, int64_t ticket_id, const char *clock,
                            const char *stage, int64_t deadline, bool *out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    err = ticket_store_prepare(store,
                               "SELECT 1 FROM ticket_escalations WHERE ticket_id = ? AND "
                               "clock = ? AND stage = ? AND deadline = ?",
                               &st, "escalation lookup");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    yq_stmt_bind_text(st, 2, clock);
    yq_stmt_bind_text(st, 3, stage);
    yq_stmt_bind_int64(st, 4, deadline);
    rc = yq_stmt_step(st);
    *out = rc == YQ_DB_ROW;
    err = (rc == YQ_DB_ROW || rc == YQ_DB_DONE) ? 0
                                                  : ticket_store_fail(store, rc,
                                                                      "escalation "
                                                                      "lookup");
    yq_stmt_finalize(st);
    return err;
}

static const char *const overdue_sql[TICKET_CLOCK_COUNT] = {
    "UPDATE tickets SET ack_overdue = 1 WHERE id = ?",
    "UPDATE tickets SET response_overdue = 1 WHERE id = ?",
    "UPDATE tickets SET press_overdue = 1 WHERE id = ?",
    "UPDATE tickets SET close_overdue = 1 WHERE id = ?",
};

static int escalate_one(struct ticket_store *store, const struct ticket *t,
                        enum ticket_clock_kind c, enum ticket_escalation_stage stage,
                        int64_t deadline, int64_t now, struct ticket_escalation_stats *stats)
{
    const char *clock = ticket_clock_name(c);
    const char *stage_name = stage == TICKET_ESC_SUPERVISE ? "supervise" : "remind";
    char when[32], note[160], detail[200];
    struct yq_stmt *st = NULL;
    int64_t log_id = 0;
    unsigned to;
    int n = 0, err;

    err = ticket_store_begin(store, "escalation begin");
    if (err) {
        return err;
    }
    /* re-check inside the transaction: another process may have recorded it meanwhile */
    {
        bool done = false;
        err = already_recorded(store, t->id, clock, stage_name, deadline, &done);
        if (err || done) {
            goto finish;
        }
    }
    yq_time_format_shanghai(deadline, when, sizeof(when));
    snprintf(note, sizeof(note), "clock=%s deadline=%s", clock, when);
    snprintf(detail, sizeof(detail), "%s时限 %s（北京时间）%s", ticket_clock_label(c), when,
             stage == TICKET_ESC_SUPERVISE ? "已超时，请督办" : "即将到期，请抓紧办理");
    err = ticket_store_log_append(store, t->id, now, "system", "system", stage_name, NULL, NULL,
                                  note, &log_id);
    if (!err) {
        err = ticket_store_prepare(store,
                                   "INSERT INTO ticket_escalations (ticket_id, clock, stage, "
                                   "deadline, at, log_id) VALUES (?, ?, ?, ?, ?, ?)",
                                   &st, "escalation insert");
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, t->id);
        yq_stmt_bind_text(st, 2, clock);
        yq_stmt_bind_text(st, 3, stage_name);
        yq_stmt_bind_int64(st, 4, deadline);
        yq_stmt_bind_int64(st, 5, now);
        yq_stmt_bind_int64(st, 6, log_id);
        err = ticket_store_step_done(store, st, "escalation insert");
    }
    if (!err && stage == TICKET_ESC_SUPERVISE) {
        err = ticket_store_prepare(store, overdue_sql[c], &st, "overdue flag");
        if (!err) {
            yq_stmt_bind_int64(st, 1, t->id);
            err = ticket_store_step_done(store, st, "overdue flag");
        }
    }
    if (!err) {
        if (stage == TICKET_ESC_SUPERVISE) {
            to = OUTBOX_TO_HEAD | OUTBOX_TO_DUTY;
        } else {
            to = t->state == TICKET_STATE_RETURNED || !t->department[0] ? OUTBOX_TO_DUTY
                                                                        : OUTBOX_TO_LIAISON;
        }
        err = outbox_enqueue(store, t->id, log_id, stage_name, to,
                             stage == TICKET_ESC_SUPERVISE || t->level <= YQ_LEVEL_II, detail, now,
                             &n);
    }
finish:
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "escalation commit");
    }
    if (err) {
        ticket_store_rollback(store);
        return err;
    }
    if (log_id) {
        if (stage == TICKET_ESC_SUPERVISE) {
            stats->supervisions++;
        } else {
            stats->reminders++;
        }
        stats->notifications += n;
        LOG_INFO("escalated number=%s clock=%s stage=%s notifications=%d", t->number, clock,
                 stage_name, n);
    }
    return 0;
}

int ticket_flow_escalate(struct ticket_store *store, int64_t now,
                         struct ticket_escalation_stats *out)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct ticket_clock_cfg *clk = pol->clock ? pol->clock : ticket_clock_defaults();
    struct ticket_escalation_stats stats = {0, 0, 0};
    struct ticket_filter filter = {.state = "active", .department = NULL, .overdue_only = false};
    struct ticket_list list;
    int err;

    err = ticket_store_list(store, &filter, 100000, &list);
    if (err) {
        return err;
    }
    for (size_t i = 0; !err && i < list.n; i++) {
        const struct ticket *t = &list.v[i];
        for (int c = 0; !err && c < TICKET_CLOCK_COUNT; c++) {
            int64_t start = 0, deadline = 0;
            enum ticket_escalation_stage stage;
            bool done = false;
            if (!clock_pending(t, (enum ticket_clock_kind)c, &start, &deadline)) {
                continue;
            }
            stage = ticket_clock_stage(start, deadline, clk->remind_percent, now);
            if (stage == TICKET_ESC_NONE) {
                continue;
            }
            err = already_recorded(store, t->id, ticket_clock_name((enum ticket_clock_kind)c),
                                   stage == TICKET_ESC_SUPERVISE ? "supervise" : "remind", deadline,
                                   &done);
            if (!err && !done) {
                err =
                    escalate_one(store, t, (enum ticket_clock_kind)c, stage, deadline, now, &stats);
            }
        }
    }
    ticket_list_release(&list);
    if (out) {
        *out = stats;
    }
    return err;
}
