/*
 * The duty officer's decisions on an event (event_flow.h, docs/desk.md) and the 研判 deadline
 * reminder.
 */
#include "event_flow.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "outbox.h"
#include "ticket_flow.h"
#include "ticket_intake.h"
#include "ticket_store_int.h"
#include "yq_departments.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_banned.h"

#define ACTOR_MAX_BYTES 64
#define DEPT_MAX_BYTES 100
/* How many merged_into links a merge target is followed (as intake does). */
#define MERGE_MAX_HOPS 16
/* At most this many overdue events are reminded per pass (the rest on the next pass). */
#define REMIND_BATCH 100

/* --- states: the one table of names (labels: yq_labels' YQ_LABEL_EVENT_STATE) ------------- */

static const char *const state_names[] = {
    [EVENT_PENDING] = "pending",   [EVENT_AUTO_ASSIGNED] = "auto_assigned",
    [EVENT_ASSIGNED] = "assigned", [EVENT_WATCHING] = "watching",
    [EVENT_MERGED] = "merged",     [EVENT_DISMISSED] = "dismissed",
};
#define N_STATES ((int)(sizeof(state_names) / sizeof(state_names[0])))

const char *event_state_name(enum event_state s)
{
    return (int)s >= EVENT_PENDING && (int)s < N_STATES ? state_names[s] : NULL;
}

const char *event_state_label(enum event_state s)
{
    const char *name = event_state_name(s);
    return name ? yq_label(YQ_LABEL_EVENT_STATE, name) : NULL;
}

int event_state_parse(const char *s, enum event_state *out)
{
    for (int i = EVENT_PENDING; s && i < N_STATES; i++) {
        if (strcmp(s, state_names[i]) == 0) {
            *out = (enum event_state)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

#define BIT(s) (1u << (unsigned)(s))

bool event_state_awaits_judgement(enum event_state s)
{
    return s == EVENT_PENDING; /* handed over, merged, dismissed or watched: nothing to judge */
}

/* "state IN ('pending')": the states event_state_awaits_judgement() takes, as SQL, in buf. */
static const char *judge_states_sql(char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "state IN (");

    for (int i = EVENT_PENDING; i < N_STATES && n < len; i++) {
        if (event_state_awaits_judgement((enum event_state)i)) {
            n += (size_t)snprintf(buf + n, len - n, "%s'%s'", buf[n - 1] == '(' ? "" : ", ",
                                  state_names[i]);
        }
    }
    if (n < len) {
        snprintf(buf + n, len - n, ")");
    }
    return buf;
}

/* --- one event row ------------------------------------------------------------------------- */

/* What the actions read of an event; texts new (ev_release()). */
struct ev {
    int64_t id;
    enum event_state state;
    int64_t version;
    int64_t ticket_id;   /* 0: none */
    int64_t merged_into; /* 0: none */
    enum yq_level level;
    int64_t detected_at;
    bool has_first_post;
    int64_t first_post_at;
    int64_t item_count;
    int64_t heat;
    double score;
    int64_t rules_version;
    char *event_key, *title, *department;
};

static void ev_release(struct ev *e)
{
    free(e->event_key);
    free(e->title);
    free(e->department);
    memset(e, 0, sizeof(*e));
}

static char *col_dup(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return strdup(s ? s : "");
}

/* Read event id into e. 0, ERR_NOT_FOUND, a store error or ERR_NOMEM. */
static int ev_read(struct ticket_store *store, int64_t id, struct ev *e)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    memset(e, 0, sizeof(*e));
    err = ticket_store_prepare(store,
                               "SELECT id, state, version, coalesce(ticket_id, 0), "
                               "coalesce(merged_into, 0), level, detected_at, first_post_at, "
                               "item_count, heat, score, rules_version, event_key, title, "
                               "department FROM events WHERE id = ?",
                               &st, "event read");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        e->id = yq_stmt_column_int64(st, 0);
        if (event_state_parse(yq_stmt_column_text(st, 1), &e->state) != 0) {
            e->state = 0;
        }
        e->version = yq_stmt_column_int64(st, 2);
        e->ticket_id = yq_stmt_column_int64(st, 3);
        e->merged_into = yq_stmt_column_int64(st, 4);
        if (yq_level_parse(yq_stmt_column_text(st, 5), &e->level) != 0) {
            e->level = YQ_LEVEL_IV;
        }
        e->detected_at = yq_stmt_column_int64(st, 6);
        e->has_first_post = yq_stmt_column_type(st, 7) != YQ_DB_NULL;
        e->first_post_at = yq_stmt_column_int64(st, 7);
        e->item_count = yq_stmt_column_int64(st, 8);
        e->heat = yq_stmt_column_int64(st, 9);
        e->score = yq_stmt_column_double(st, 10);
        e->rules_version = yq_stmt_column_int64(st, 11);
        e->event_key = col_dup(st, 12);
        e->title = col_dup(st, 13);
        e->department = col_dup(st, 14);
        if (!e->event_key || !e->title || !e->department) {
            err = ERR_NOMEM;
        }
    } else if (rc == YQ_DB_DONE) {
        err = ERR_NOT_FOUND;
    } else {
        err = ticket_store_fail(store, rc, "event read");
    }
    yq_stmt_finalize(st);
    if (err) {
        ev_release(e);
    }
    return err;
}

/* --- checks ------------------------------------------------------------------------------- */

/* s (NUL-terminated) is UTF-8 of at most max_bytes without control characters (but \n, \t,
   \r when multiline). */
static bool text_ok(const char *s, size_t max_bytes, bool multiline)
{
    size_t n = strlen(s);
    json_t *probe;

    if (n > max_bytes) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f) {
            return false;
        }
    }
    probe = json_string(s); /* NULL: not valid UTF-8 */
    json_decref(probe);
    return probe != NULL;
}

/* who may judge: a name and the role duty (or duty_officer) or admin. */
static bool actor_ok(const struct event_actor *who)
{
    return who && who->name && who->name[0] && text_ok(who->name, ACTOR_MAX_BYTES, false) &&
           who->role &&
           (strcmp(who->role, "duty") == 0 || strcmp(who->role, "duty_officer") == 0 ||
            strcmp(who->role, "admin") == 0);
}

/* note: NULL or text of at most EVENT_FLOW_NOTE_MAX_BYTES. */
static bool note_ok(const char *note)
{
    return !note || text_ok(note, EVENT_FLOW_NOTE_MAX_BYTES, true);
}

/*
 * ERR_INVALID, with its reason "code: 中文说明" (fmt) written into who's errbuf when it has
 * one (who may be NULL): each refused argument its own code, as ticket_flow.c gives them.
 */
__attribute__((format(printf, 2, 3))) static int invalid(const struct event_actor *who,
                                                         const char *fmt, ...)
{
    va_list ap;

    if (who && who->errbuf && who->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(who->errbuf, who->errlen, fmt, ap);
        va_end(ap);
    }
    return ERR_INVALID;
}

/* 0, or ERR_INVALID (note_invalid) when note (what names it: 说明, 研判意见) is not note_ok(). */
static int note_check(const struct event_actor *who, const char *what, const char *note)
{
    return note_ok(note) ? 0
                         : invalid(who, "note_invalid: %s须为至多 %d 字节的文字（不含控制字符）",
                                   what, EVENT_FLOW_NOTE_MAX_BYTES);
}

/*
 * Whether department may lead or co-handle: a registry (web_departments) that is not empty
 * must name it; else the routes' departments, when any are configured, must; else any
 * non-empty name. 0, ERR_INVALID or a store error.
 */
static int department_known(struct ticket_store *store, const struct event_actor *who,
                            const char *department)
{
    const struct notify_routes *routes = ticket_store_policy_or_default(store)->routes;
    struct yq_departments reg;
    int err;

    if (!department || !department[0] || !text_ok(department, DEPT_MAX_BYTES, false)) {
        return invalid(who, "department_required: 交办须选择牵头部门（1 至 %d 字节）",
                       DEPT_MAX_BYTES);
    }
    err = yq_departments_read(store->db, &reg, NULL, 0);
    if (err) {
        return err == ERR_PARSE ? ERR_IO : err;
    }
    if (reg.n > 0) {
        err = yq_departments_has(&reg, department) ? 0 : ERR_INVALID;
    } else if (routes && routes->n_departments > 0) {
        err = notify_routes_department(routes, department) ? 0 : ERR_INVALID;
    }
    yq_departments_release(&reg);
    if (err == ERR_INVALID) {
        invalid(who, "department_unknown: 部门“%.100s”未登记（见部门名录或通知路由）", department);
    }
    return err;
}

/*
 * Begin an action on event_id: check who, open the transaction, read the event and check
 * that its state is in allowed (BIT()s) and its version is expect_version (-1: any). On
 * failure the transaction is rolled back and e released.
 */
static int act_begin(struct ticket_store *store, int64_t event_id,
                     const struct event_actor *who, unsigned allowed, int64_t expect_version,
                     struct ev *e)
{
    int err;

    memset(e, 0, sizeof(*e));
    if (!who || !who->name || !who->name[0] || !text_ok(who->name, ACTOR_MAX_BYTES, false)) {
        return invalid(who, "actor_invalid: 操作人须为 1 至 %d 字节的文字", ACTOR_MAX_BYTES);
    }
    if (!actor_ok(who)) {
        return invalid(who, "role_not_allowed: %s无权研判事件（须为值班员或管理员）",
                       yq_label(YQ_LABEL_ROLE, who->role ? who->role : ""));
    }
    err = ticket_store_begin(store, "event action begin");
    if (err) {
        return err;
    }
    err = ev_read(store, event_id, e);
    if (!err && !(allowed & BIT(e->state))) {
        err = ERR_BAD_STATE;
    }
    if (!err && expect_version >= 0 && e->version != expect_version) {
        err = ERR_BAD_STATE;
    }
    if (err) {
        ticket_store_rollback(store);
        ev_release(e);
    }
    return err;
}

/* COMMIT, or ROLLBACK when err (or the commit fails); e released. Returns the result. */
static int act_end(struct ticket_store *store, struct ev *e, int err)
{
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "event action commit");
    }
    if (err) {
        ticket_store_rollback(store);
    }
    ev_release(e);
    return err;
}

/*
 * The state change of a decision: state to, version + 1; the first decision also sets
 * judged_at, judged_by and outcome. extra_sql: more "col = ?" assignments bound by the
 * caller from parameter 6 on (may be ""); bind: binds them (may be NULL).
 */
static int ev_decide(struct ticket_store *store, const struct ev *e, const struct event_actor *who,
                     enum event_state to, const char *outcome, const char *extra_sql,
                     void (*bind)(struct yq_stmt *st, const void *ctx), const void *ctx,
                     int64_t now)
{
    struct yq_stmt *st = NULL;
    char sql[1024];
    int err;

    snprintf(sql, sizeof(sql),
             "UPDATE events SET state = ?1, version = version + 1, updated_at = ?2, "
             "judged_by = CASE WHEN judged_at IS NULL THEN ?3 ELSE judged_by END, "
             "outcome = CASE WHEN judged_at IS NULL THEN ?4 ELSE outcome END, "
             "judged_at = coalesce(judged_at, ?2)%s%s WHERE id = ?5",
             extra_sql[0] ? ", " : "", extra_sql);
    err = ticket_store_prepare(store, sql, &st, "event decide");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, event_state_name(to));
    yq_stmt_bind_int64(st, 2, now);
    yq_stmt_bind_text(st, 3, who->name);
    yq_stmt_bind_text(st, 4, outcome);
    yq_stmt_bind_int64(st, 5, e->id);
    if (bind) {
        bind(st, ctx);
    }
    return ticket_store_step_done(store, st, "event decide");
}

/* The ticket_log role of an event actor's role. */
static const char *ticket_role(const char *role)
{
    return strcmp(role, "admin") == 0 ? "admin" : "duty_officer";
}

/* --- 交办 ------------------------------------------------------------------------------------ */

/* add_items of the ticket opened by 交办: every item of the event (as ticket_items). */
static int add_event_items(struct ticket_store *store, int64_t ticket_id, void *ctx)
{
    const int64_t *event_id = ctx;
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(
        store,
        "INSERT INTO ticket_items (ticket_id, item_id, source, source_id, channel, url, title, "
        "excerpt, published_at, rule_ids, matches, added_at, author, fetched_at_ms, "
        "matched_at_ms, stored_at_ms) "
        "SELECT ?1, item_id, source, source_id, channel, url, title, excerpt, published_at, "
        "rule_ids, matches, added_at, author, fetched_at_ms, matched_at_ms, stored_at_ms "
        "FROM event_items WHERE event_id = ?2 "
        "ORDER BY matched_at, id ON CONFLICT (ticket_id, item_id) DO NOTHING",
        &st, "ticket items from event");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    yq_stmt_bind_int64(st, 2, *event_id);
    return ticket_store_step_done(store, st, "ticket items from event");
}

/* The co-handling departments as a JSON array text without lead and repeats; new or NULL. */
static char *co_json(const char *lead, const char *const *co, size_t n_co)
{
    json_t *arr = json_array();
    char *text;

    if (!arr) {
        return NULL;
    }
    for (size_t i = 0; i < n_co; i++) {
        bool seen = strcmp(co[i], lead) == 0;
        size_t j;
        json_t *d;
        json_array_foreach(arr, j, d)
        {
            seen = seen || strcmp(json_string_value(d), co[i]) == 0;
        }
        if (!seen) {
            json_array_append_new(arr, json_string(co[i]));
        }
    }
    text = yq_json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

/*
 * The first item's column col ("url" or "item_id") of event_id (new; "" when none) or NULL on
 * NOMEM.
 */
static char *first_item(struct ticket_store *store, int64_t event_id, bool item_id)
{
    struct yq_stmt *st = NULL;
    char *v = NULL;

    if (ticket_store_prepare(store,
                             item_id ? "SELECT item_id FROM event_items WHERE event_id = ? "
                                       "ORDER BY matched_at, id LIMIT 1"
                                     : "SELECT url FROM event_items WHERE event_id = ? "
                                       "ORDER BY matched_at, id LIMIT 1",
                             &st, "event first item") != 0) {
        return strdup("");
    }
    yq_stmt_bind_int64(st, 1, event_id);
    v = yq_stmt_step(st) == YQ_DB_ROW ? col_dup(st, 0) : strdup("");
    yq_stmt_finalize(st);
    return v;
}

struct assign_bind {
    int64_t ticket_id;
    const char *lead, *co, *level, *opinion;
};

static void bind_assign(struct yq_stmt *st, const void *ctx)
{
    const struct assign_bind *b = ctx;
    yq_stmt_bind_int64(st, 6, b->ticket_id);
    yq_stmt_bind_text(st, 7, b->lead);
    yq_stmt_bind_text(st, 8, b->co);
    yq_stmt_bind_text(st, 9, b->level);
    yq_stmt_bind_text(st, 10, b->opinion);
}

int event_assign(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                 const char *lead, const char *const *co, size_t n_co, enum yq_level level,
                 const char *opinion, int64_t expect_version, int64_t now, int64_t *ticket_id_out,
                 char *number_out)
{
    struct ticket_open o;
    struct ev e;
    char *co_text = NULL, *url = NULL, *item_id = NULL, *log_note = NULL, number[32] = "";
    int64_t ticket_id = 0;
    int err;

    if (level < YQ_LEVEL_I || level > YQ_LEVEL_IV) {
        return invalid(who, "level_invalid: 级别须为 I、II、III 或 IV");
    }
    if (note_check(who, "研判意见", opinion)) {
        return ERR_INVALID;
    }
    if (n_co > TICKET_MAX_CO_DEPARTMENTS) {
        return invalid(who, "too_many_co_departments: 协办部门至多 %d 个",
                       TICKET_MAX_CO_DEPARTMENTS);
    }
    for (size_t i = 0; i < n_co; i++) {
        if (!co || !co[i]) {
            return invalid(who, "co_department_invalid: 第 %zu 个协办部门不是有效的部门名称",
                           i + 1);
        }
    }
    err = act_begin(store, event_id, who, BIT(EVENT_PENDING) | BIT(EVENT_WATCHING),
                    expect_version, &e);
    if (err) {
        return err;
    }
    err = department_known(store, who, lead);
    for (size_t i = 0; !err && i < n_co; i++) {
        err = department_known(store, who, co[i]);
    }
    if (err) {
        return act_end(store, &e, err);
    }
    co_text = co_json(lead, co, n_co);
    url = first_item(store, e.id, false);
    item_id = first_item(store, e.id, true);
    /* the ticket log's note: key=value as intake writes it (ticket_api's text), the 研判意见
       last ("note=" runs to the end) */
    if (item_id &&
        asprintf(&log_note, "level=%s department=%s item_id=%.120s%s%s", yq_level_name(level),
                 lead, item_id, opinion && opinion[0] ? " note=" : "",
                 opinion ? opinion : "") < 0) {
        log_note = NULL;
    }
    if (!co_text || !url || !log_note) {
        err = ERR_NOMEM;
        goto done;
    }
    memset(&o, 0, sizeof(o));
    o.event_key = e.event_key;
    o.title = e.title;
    o.level = level;
    o.department = lead;
    o.co_departments = co_text;
    o.has_first_post = e.has_first_post;
    o.first_post_at = e.first_post_at;
    o.detected_at = e.detected_at; /* 研判 never moves a statutory clock */
    o.assigned_at = now;           /* the acknowledgement clock runs from the handover */
    o.item_count = e.item_count;
    o.heat = e.heat;
    o.score = e.score;
    o.rules_version = e.rules_version;
    o.url = url;
    o.actor = who->name;
    o.role = ticket_role(who->role);
    o.note = log_note;
    o.add_items = add_event_items;
    o.ctx = &e.id;
    err = ticket_intake_open_ticket(store, &o, now, &ticket_id, number);
    if (!err) {
        struct assign_bind b = {ticket_id, lead, co_text, yq_level_name(level),
                                opinion ? opinion : ""};
        err = ev_decide(store, &e, who, EVENT_ASSIGNED, "assigned",
                        "ticket_id = ?6, department = ?7, co_departments = ?8, level = ?9, "
                        "opinion = ?10",
                        bind_assign, &b, now);
    }
    if (!err) {
        char note[EVENT_FLOW_NOTE_MAX_BYTES + 200];
        snprintf(note, sizeof(note), "%s → %s %s%s%s", number, yq_level_name(level), lead,
                 opinion && opinion[0] ? "；研判意见：" : "", opinion ? opinion : "");
        err = ticket_store_event_log_append(store, e.id, now, who->name, who->role, "assign",
                               event_state_name(e.state), "assigned", note);
    }
    if (!err) {
        if (ticket_id_out) {
            *ticket_id_out = ticket_id;
        }
        if (number_out) {
            snprintf(number_out, 32, "%s", number);
        }
    }
done:
    free(co_text);
    free(url);
    free(item_id);
    free(log_note);
    return act_end(store, &e, err);
}

/* --- 确认交办 ------------------------------------------------------------------------------- */

static void bind_opinion(struct yq_stmt *st, const void *ctx)
{
    yq_stmt_bind_text(st, 6, (const char *)ctx);
}

int event_confirm(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                  const char *opinion, int64_t expect_version, int64_t now)
{
    struct ev e;
    int err;

    if (note_check(who, "研判意见", opinion)) {
        return ERR_INVALID;
    }
    err = act_begin(store, event_id, who, BIT(EVENT_AUTO_ASSIGNED), expect_version, &e);
    if (err) {
        return err;
    }
    err = ev_decide(store, &e, who, EVENT_ASSIGNED, "assigned",
                    "opinion = CASE WHEN ?6 = '' THEN opinion ELSE ?6 END", bind_opinion,
                    opinion ? opinion : "", now);
    if (!err) {
        err = ticket_store_event_log_append(store, e.id, now, who->name, who->role, "confirm",
                               "auto_assigned", "assigned", opinion);
    }
    return act_end(store, &e, err);
}

/* --- 并入 ------------------------------------------------------------------------------------ */

/* Run sql with ?1 = a, ?2 = b (both int64). */
static int exec2(struct ticket_store *store, const char *sql, int64_t a, int64_t b,
                 const char *what)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store, sql, &st, what);
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, a);
    yq_stmt_bind_int64(st, 2, b);
    return ticket_store_step_done(store, st, what);
}

/* The integers of the first row of sql with ?1 = a, ?2 = b into out[0..n-1] (0 for NULL). */
static int query_ints(struct ticket_store *store, const char *sql, int64_t a, int64_t b,
                      int64_t *out, int n, const char *what)
{
    struct yq_stmt *st = NULL;
    int rc, err = ticket_store_prepare(store, sql, &st, what);
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, a);
    yq_stmt_bind_int64(st, 2, b);
    rc = yq_stmt_step(st);
    for (int i = 0; i < n; i++) {
        out[i] = rc == YQ_DB_ROW ? yq_stmt_column_int64(st, i) : 0;
    }
    if (rc != YQ_DB_ROW && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, what);
    }
    yq_stmt_finalize(st);
    return err;
}

/* At most this many entries in a merged event's rule_ids, rule_groups or source_kinds. */
#define MERGE_LIST_MAX 200

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/*
 * The union of two stored JSON arrays of strings of column (texts, borrowed, read by
 * yq_json_column_array(): NULL or invalid = empty; other entries skipped) as a compact JSON text,
 * sorted by bytes and without duplicates (what SQLite's UNION over json_each gave before issue
 * #16), at most MERGE_LIST_MAX entries. New text (free()) or NULL on ERR_NOMEM.
 */
static char *json_list_union(const char *column, const char *a, const char *b)
{
    const char *in[2] = {a, b};
    json_t *v[2 * MERGE_LIST_MAX];
    size_t n = 0, kept = 0;
    json_t *all[2] = {NULL, NULL};
    json_t *out = json_array();
    char *text = NULL;

    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *x;
        all[k] = yq_json_column_array(in[k], column);
        json_array_foreach(all[k], i, x)
        {
            if (json_is_string(x) && n < 2 * MERGE_LIST_MAX) {
                v[n++] = x;
            }
        }
    }
    qsort(v, n, sizeof(v[0]), cmp_json_str);
    for (size_t i = 0; out && i < n && kept < MERGE_LIST_MAX; i++) {
        if (i == 0 || strcmp(json_string_value(v[i]), json_string_value(v[i - 1])) != 0) {
            if (json_array_append(out, v[i]) != 0) {
                json_decref(out);
                out = NULL;
            }
            kept++;
        }
    }
    if (out) {
        text = yq_json_dumps(out, JSON_COMPACT);
    }
    json_decref(out);
    json_decref(all[0]);
    json_decref(all[1]);
    return text;
}

/*
 * The target takes the union of the source's and its own rule ids, rule groups and source
 * kinds (in C: json_each exists only on SQLite).
 */
static int merge_lists(struct ticket_store *store, int64_t src_id, int64_t dst_id)
{
    static const char *const names[3] = {"rule_ids", "rule_groups", "source_kinds"};
    char *have[2][3] = {{NULL, NULL, NULL}, {NULL, NULL, NULL}};
    char *merged[3] = {NULL, NULL, NULL};
    const int64_t ids[2] = {src_id, dst_id};
    struct yq_stmt *st = NULL;
    int err = 0;

    for (int k = 0; k < 2 && !err; k++) {
        int rc;
        err = ticket_store_prepare(
            store, "SELECT rule_ids, rule_groups, source_kinds FROM events WHERE id = ?1", &st,
            "merge lists");
        if (err) {
            break;
        }
        yq_stmt_bind_int64(st, 1, ids[k]);
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW) {
            for (int c = 0; c < 3 && !err; c++) {
                have[k][c] = col_dup(st, c);
                err = have[k][c] ? 0 : ERR_NOMEM;
            }
        } else if (rc != YQ_DB_DONE) {
            err = ticket_store_fail(store, rc, "merge lists");
        }
        yq_stmt_finalize(st);
        st = NULL;
    }
    for (int c = 0; c < 3 && !err; c++) {
        merged[c] = json_list_union(names[c], have[0][c], have[1][c]);
        err = merged[c] ? 0 : ERR_NOMEM;
    }
    if (!err) {
        err = ticket_store_prepare(store,
                                   "UPDATE events SET rule_ids = ?1, rule_groups = ?2, "
                                   "source_kinds = ?3 WHERE id = ?4",
                                   &st, "merge lists update");
    }
    if (!err) {
        for (int c = 0; c < 3; c++) {
            yq_stmt_bind_text(st, c + 1, merged[c]);
        }
        yq_stmt_bind_int64(st, 4, dst_id);
        err = ticket_store_step_done(store, st, "merge lists update");
    }
    for (int c = 0; c < 3; c++) {
        free(have[0][c]);
        free(have[1][c]);
        free(merged[c]);
    }
    return err;
}

/*
 * The target's items take the source's: ticket_items of the target's ticket (when it has
 * one) with its count, heat and a ticket_log row 'merged'; then the event_items rows move.
 */
static int move_items(struct ticket_store *store, const struct ev *src, const struct ev *dst,
                      const struct event_actor *who, int64_t now, int64_t *n_moved)
{
    int64_t moved[3] = {0, 0, 0}; /* count, heat, negative */
    int err;

    /* what is new to the target (an item both events hold stays with the source) */
    err = query_ints(store,
                     "SELECT count(*), coalesce(sum(heat), 0), "
                     "coalesce(sum(CASE WHEN sentiment = 'negative' THEN 1 ELSE 0 END), 0) "
                     "FROM event_items s "
                     "WHERE s.event_id = ?1 AND NOT EXISTS (SELECT 1 FROM event_items d "
                     "WHERE d.event_id = ?2 AND d.item_id = s.item_id)",
                     src->id, dst->id, moved, 3, "merge count");
    if (!err && dst->ticket_id > 0) {
        int64_t add[2] = {0, 0};
        err = query_ints(store,
                         "SELECT count(*), coalesce(sum(heat), 0) FROM event_items s "
                         "WHERE s.event_id = ?1 AND NOT EXISTS (SELECT 1 FROM ticket_items t "
                         "WHERE t.ticket_id = ?2 AND t.item_id = s.item_id)",
                         src->id, dst->ticket_id, add, 2, "merge ticket count");
        if (!err) {
            err = exec2(store,
                        "INSERT INTO ticket_items (ticket_id, item_id, source, source_id, "
                        "channel, url, title, excerpt, published_at, rule_ids, matches, "
                        "added_at, author, fetched_at_ms, matched_at_ms, stored_at_ms) "
                        "SELECT ?2, item_id, source, source_id, channel, url, "
                        "title, excerpt, published_at, rule_ids, matches, added_at, author, "
                        "fetched_at_ms, matched_at_ms, stored_at_ms FROM event_items WHERE event_id = ?1 ORDER BY matched_at, id "
                        "ON CONFLICT (ticket_id, item_id) DO NOTHING",
                        src->id, dst->ticket_id, "merge ticket items");
        }
        if (!err) {
            struct yq_stmt *st = NULL;
            err = ticket_store_prepare(store,
                                       "UPDATE tickets SET item_count = item_count + ?1, "
                                       "heat = heat + ?2, updated_at = ?3 WHERE id = ?4",
                                       &st, "merge ticket update");
            if (!err) {
                yq_stmt_bind_int64(st, 1, add[0]);
                yq_stmt_bind_int64(st, 2, add[1]);
                yq_stmt_bind_int64(st, 3, now);
                yq_stmt_bind_int64(st, 4, dst->ticket_id);
                err = ticket_store_step_done(store, st, "merge ticket update");
            }
        }
        if (!err) {
            char note[200];
            snprintf(note, sizeof(note), "并入事件 #%lld：%lld 条信息，热度 +%lld",
                     (long long)src->id, (long long)add[0], (long long)add[1]);
            err = ticket_store_log_append(store, dst->ticket_id, now, who->name,
                                          ticket_role(who->role), "merged", NULL, NULL, note,
                                          NULL);
        }
    }
    if (!err) {
        err = exec2(store,
                    "UPDATE event_items SET event_id = ?2 WHERE event_id = ?1 AND NOT EXISTS "
                    "(SELECT 1 FROM event_items d WHERE d.event_id = ?2 AND "
                    "d.item_id = event_items.item_id)",
                    src->id, dst->id, "merge items");
    }
    if (!err) {
        struct yq_stmt *st = NULL;
        err = ticket_store_prepare(
            store,
            "UPDATE events SET item_count = item_count + ?1, heat = heat + ?2, "
            "negative_count = negative_count + ?3, "
            "last_item_at = max(last_item_at, (SELECT last_item_at FROM events WHERE id = ?5)), "
            "first_post_at = CASE WHEN (SELECT first_post_at FROM events WHERE id = ?5) IS NULL "
            "  THEN first_post_at WHEN first_post_at IS NULL THEN (SELECT first_post_at FROM "
            "  events WHERE id = ?5) ELSE min(first_post_at, (SELECT first_post_at FROM events "
            "  WHERE id = ?5)) END, "
            "score = max(score, (SELECT score FROM events WHERE id = ?5)), "
            /* without a ticket the statutory clocks are still to start: from the earlier
               detection of the two (design §5: the event's first item) */
            "detected_at = CASE WHEN ticket_id IS NULL THEN min(detected_at, (SELECT "
            "  detected_at FROM events WHERE id = ?5)) ELSE detected_at END, "
            "judge_deadline = CASE WHEN ticket_id IS NULL AND state = 'pending' AND (SELECT "
            "  state FROM events WHERE id = ?5) = 'pending' THEN min(judge_deadline, coalesce("
            "  (SELECT judge_deadline FROM events WHERE id = ?5), judge_deadline)) "
            "  ELSE judge_deadline END, "
            "updated_at = ?4 WHERE id = ?6",
            &st, "merge target update");
        if (!err) {
            yq_stmt_bind_int64(st, 1, moved[0]);
            yq_stmt_bind_int64(st, 2, moved[1]);
            yq_stmt_bind_int64(st, 3, moved[2]);
            yq_stmt_bind_int64(st, 4, now);
            yq_stmt_bind_int64(st, 5, src->id);
            yq_stmt_bind_int64(st, 6, dst->id);
            err = ticket_store_step_done(store, st, "merge target update");
        }
    }
    if (!err) {
        err = merge_lists(store, src->id, dst->id);
    }
    if (!err) {
        /* 突增: the source's hourly counts become the target's, so the target's baseline
           holds the stream it now takes (else its next hour spikes against its own alone) */
        err = exec2(store,
                    "INSERT INTO rate_counts (scope, key, hour, n) SELECT 'event', "
                    "CAST(?2 AS TEXT), hour, n FROM rate_counts WHERE scope = 'event' AND "
                    "key = CAST(?1 AS TEXT) ON CONFLICT (scope, key, hour) DO UPDATE SET "
                    "n = rate_counts.n + excluded.n",
                    src->id, dst->id, "merge rate counts");
    }
    if (!err) {
        err = exec2(store,
                    "DELETE FROM rate_counts WHERE scope = 'event' AND key = CAST(?1 AS TEXT) "
                    "AND key <> CAST(?2 AS TEXT)",
                    src->id, dst->id, "merge rate counts delete");
    }
    *n_moved = moved[0];
    if (!err) {
        struct yq_stmt *st = NULL;
        err = ticket_store_prepare(store,
                                   "UPDATE events SET item_count = item_count - ?1, "
                                   "heat = heat - ?2, negative_count = negative_count - ?3 "
                                   "WHERE id = ?4",
                                   &st, "merge source update");
        if (!err) {
            yq_stmt_bind_int64(st, 1, moved[0]);
            yq_stmt_bind_int64(st, 2, moved[1]);
            yq_stmt_bind_int64(st, 3, moved[2]);
            yq_stmt_bind_int64(st, 4, src->id);
            err = ticket_store_step_done(store, st, "merge source update");
        }
    }
    return err;
}

/*
 * The root of the merge target: target_event_id, or the event of ticket target_ticket_id
 * (made when missing), followed along merged_into. ERR_INVALID when the chain reaches
 * self_id (a merge into itself or into an event merged into it).
 */
static int merge_target(struct ticket_store *store, const struct event_actor *who, int64_t self_id,
                        int64_t target_event_id, int64_t target_ticket_id, int64_t now,
                        struct ev *out)
{
    int64_t id = target_event_id;
    int err = 0;

    memset(out, 0, sizeof(*out));
    if (id <= 0) {
        if (target_ticket_id <= 0) {
            return invalid(who, "target_required: 请选择要并入的事件或交办单");
        }
        err = ticket_intake_event_for_ticket(store, target_ticket_id, now, &id);
        if (err) {
            return err;
        }
    }
    for (int hop = 0;; hop++) {
        if (id == self_id || hop > MERGE_MAX_HOPS) {
            ev_release(out);
            return invalid(who, "merge_cycle: 不能并入自身或已并入本事件的事件");
        }
        ev_release(out);
        err = ev_read(store, id, out);
        if (err) {
            return err;
        }
        if (out->merged_into <= 0) {
            /* a dismissed event takes nothing: what is merged into it must still be judged
               (review of issue #13) */
            if (out->state == EVENT_DISMISSED) {
                ev_release(out);
                return ERR_BAD_STATE;
            }
            return 0;
        }
        id = out->merged_into;
    }
}

static void bind_merged(struct yq_stmt *st, const void *ctx)
{
    yq_stmt_bind_int64(st, 6, *(const int64_t *)ctx);
}

int event_merge(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                int64_t target_event_id, int64_t target_ticket_id, const char *note,
                int64_t expect_version, int64_t now)
{
    struct ev e, dst;
    int64_t moved = 0;
    char line[EVENT_FLOW_NOTE_MAX_BYTES + 200];
    int err;

    if (note_check(who, "说明", note)) {
        return ERR_INVALID;
    }
    if (target_event_id <= 0 && target_ticket_id <= 0) {
        return invalid(who, "target_required: 请选择要并入的事件或交办单");
    }
    err = act_begin(store, event_id, who, BIT(EVENT_PENDING) | BIT(EVENT_WATCHING),
                    expect_version, &e);
    if (err) {
        return err;
    }
    err = merge_target(store, who, e.id, target_event_id, target_ticket_id, now, &dst);
    if (err) {
        return act_end(store, &e, err);
    }
    err = move_items(store, &e, &dst, who, now, &moved);
    if (!err && dst.ticket_id <= 0 && e.level < dst.level) {
        /* a more serious event merged in raises the target as a more serious item would
           (docs/desk.md): the level of the items it now holds */
        char cause[64];
        snprintf(cause, sizeof(cause), "merged_event=%lld", (long long)e.id);
        err = ticket_intake_event_raise_level(store, dst.id, event_state_name(dst.state), dst.level,
                                              e.level, cause, now);
        if (!err) {
            dst.state = EVENT_PENDING;
        }
    }
    if (!err) {
        err = ev_decide(store, &e, who, EVENT_MERGED, "merged", "merged_into = ?6", bind_merged,
                        &dst.id, now);
    }
    snprintf(line, sizeof(line), "→ 事件 #%lld%s%s：%lld 条信息%s%s", (long long)dst.id,
             dst.ticket_id > 0 ? "（已交办）" : "", "", (long long)moved, note && note[0] ? "；" : "",
             note ? note : "");
    if (!err) {
        err = ticket_store_event_log_append(store, e.id, now, who->name, who->role, "merge",
                               event_state_name(e.state), "merged", line);
    }
    if (!err) {
        snprintf(line, sizeof(line), "← 事件 #%lld 并入：%lld 条信息", (long long)e.id,
                 (long long)moved);
        err = ticket_store_event_log_append(store, dst.id, now, who->name, who->role, "merged_in",
                               event_state_name(dst.state), event_state_name(dst.state), line);
    }
    ev_release(&dst);
    return act_end(store, &e, err);
}

/* --- 持续关注 ------------------------------------------------------------------------------ */

struct watch_bind {
    int64_t items, heat, quiet_s;
};

static void bind_int_or_null(struct yq_stmt *st, int i, int64_t v)
{
    if (v > 0) {
        yq_stmt_bind_int64(st, i, v);
    } else {
        yq_stmt_bind_null(st, i);
    }
}

static void bind_watch(struct yq_stmt *st, const void *ctx)
{
    const struct watch_bind *w = ctx;
    bind_int_or_null(st, 6, w->items);
    bind_int_or_null(st, 7, w->heat);
    bind_int_or_null(st, 8, w->quiet_s);
}

int event_watch(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                int64_t items, int64_t heat, int64_t quiet_s, const char *note,
                int64_t expect_version, int64_t now)
{
    struct watch_bind w = {items, heat, quiet_s};
    struct ev e;
    char line[EVENT_FLOW_NOTE_MAX_BYTES + 200];
    int err;

    if (note_check(who, "说明", note)) {
        return ERR_INVALID;
    }
    if (items < 0 || heat < 0 || quiet_s < 0) {
        return invalid(who, "threshold_invalid: 持续关注的阈值（条数、热度、静默时长）不能为负");
    }
    if (items == 0 && heat == 0 && quiet_s == 0) {
        return invalid(who,
                       "threshold_required: 持续关注须至少设置一项阈值（条数、热度或静默时长）");
    }
    err = act_begin(store, event_id, who, BIT(EVENT_PENDING) | BIT(EVENT_WATCHING),
                    expect_version, &e);
    if (err) {
        return err;
    }
    /*
     * A threshold the event has already reached would resurface it with its next item (or, read
     * as a crossing, never): each used one must lie above the event's count now.
     */
    if (items > 0 && items <= e.item_count) {
        err = invalid(
            who, "threshold_reached: 持续关注的条数阈值须大于事件当前的信息数 %lld（收到 %lld）",
            (long long)e.item_count, (long long)items);
    } else if (heat > 0 && heat <= e.heat) {
        err = invalid(who,
                      "threshold_reached: 持续关注的热度阈值须大于事件当前的热度 %lld（收到 %lld）",
                      (long long)e.heat, (long long)heat);
    }
    if (err) {
        return act_end(store, &e, err);
    }
    err = ev_decide(store, &e, who, EVENT_WATCHING, "watching",
                    "watch_items = ?6, watch_heat = ?7, watch_quiet_s = ?8", bind_watch, &w,
                    now);
    snprintf(line, sizeof(line), "items=%lld heat=%lld quiet_s=%lld%s%s", (long long)items,
             (long long)heat, (long long)quiet_s, note && note[0] ? "；" : "", note ? note : "");
    if (!err) {
        err = ticket_store_event_log_append(store, e.id, now, who->name, who->role, "watch",
                               event_state_name(e.state), "watching", line);
    }
    return act_end(store, &e, err);
}

/* --- 不予处置 ------------------------------------------------------------------------------ */

struct dismiss_bind {
    const char *reason, *note;
};

static void bind_dismiss(struct yq_stmt *st, const void *ctx)
{
    const struct dismiss_bind *d = ctx;
    yq_stmt_bind_text(st, 6, d->reason);
    yq_stmt_bind_text(st, 7, d->note);
}

int event_dismiss(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                  const char *reason, const char *note, int64_t expect_version, int64_t now)
{
    struct dismiss_bind d;
    struct ev e;
    char line[EVENT_FLOW_NOTE_MAX_BYTES + 64];
    const char *code = NULL;
    int err;

    /* the one table of reasons (yq_labels; a code or its label): its static code is stored */
    code = yq_label_code(YQ_LABEL_DISMISS_REASON, reason);
    if (!code) {
        return invalid(who, "reason_invalid: 不予处置原因须为" YQ_LABEL_DISMISS_REASONS_OR "之一");
    }
    if (note_check(who, "说明", note)) {
        return ERR_INVALID;
    }
    if (strcmp(code, "other") == 0 && (!note || !note[0])) {
        return invalid(who, "note_required: 原因为“其他”时须填写说明");
    }
    err = act_begin(store, event_id, who, BIT(EVENT_PENDING) | BIT(EVENT_WATCHING),
                    expect_version, &e);
    if (err) {
        return err;
    }
    d.reason = code;
    d.note = note ? note : "";
    err = ev_decide(store, &e, who, EVENT_DISMISSED, "dismissed",
                    "dismiss_reason = ?6, dismiss_note = ?7", bind_dismiss, &d, now);
    snprintf(line, sizeof(line), "%s%s%s", code, note && note[0] ? "：" : "", note ? note : "");
    if (!err) {
        err = ticket_store_event_log_append(store, e.id, now, who->name, who->role, "dismiss",
                               event_state_name(e.state), "dismissed", line);
    }
    return act_end(store, &e, err);
}

/* --- the 研判 deadline reminder --------------------------------------------------------- */

int event_flow_remind_judge(struct ticket_store *store, int64_t now, int *n_out)
{
    struct yq_stmt *st = NULL;
    int64_t ids[REMIND_BATCH], deadlines[REMIND_BATCH];
    char states[128], sql[400];
    size_t n = 0;
    int rc, err, reminded = 0;

    if (n_out) {
        *n_out = 0;
    }
    err = ticket_store_begin(store, "judge remind begin");
    if (err) {
        return err;
    }
    /* only an event that awaits 研判 (an auto_assigned one's ticket already runs) */
    snprintf(sql, sizeof(sql),
             "SELECT id, judge_deadline FROM events WHERE %s AND judge_deadline < ? AND "
             "judge_reminded_at IS NULL ORDER BY judge_deadline, id LIMIT ?",
             judge_states_sql(states, sizeof(states)));
    err = ticket_store_prepare(store, sql, &st, "judge overdue");
    if (err) {
        goto done;
    }
    yq_stmt_bind_int64(st, 1, now);
    yq_stmt_bind_int(st, 2, REMIND_BATCH);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW && n < REMIND_BATCH) {
        ids[n] = yq_stmt_column_int64(st, 0);
        deadlines[n] = yq_stmt_column_int64(st, 1);
        n++;
    }
    if (rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
        err = ticket_store_fail(store, rc, "judge overdue");
    }
    yq_stmt_finalize(st);
    for (size_t i = 0; !err && i < n; i++) {
        int sent = 0;
        err = outbox_enqueue_event(store, ids[i], "judge_overdue", deadlines[i], now, &sent);
        if (!err) {
            err = exec2(store, "UPDATE events SET judge_reminded_at = ?2 WHERE id = ?1", ids[i],
                        now, "judge reminded");
        }
        if (!err) {
            err = ticket_store_event_log_append(store, ids[i], now, "system", "system", "judge_reminded", NULL,
                                   NULL, sent > 0 ? "研判超时：已提醒值班室" : "研判超时（未配置值班室渠道）");
        }
        reminded++;
    }
done:
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "judge remind commit");
    }
    if (err) {
        ticket_store_rollback(store);
        return err;
    }
    if (n_out) {
        *n_out = reminded;
    }
    return 0;
}
