#include "events_cli.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "yq_db.h"

#include "event_flow.h"
#include "event_read.h"
#include "event_words.h"
#include "notifier.h"
#include "ticket_flow.h"
#include "ticket_store.h"
#include "yq_cfg.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_proc.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

static const char usage[] =
    "usage: yuqingctl events COMMAND [ARGS] [--config FILE] [--db PATH] [--by NAME] [--role R]\n"
    "  list [--state pending|auto_assigned|assigned|watching|merged|dismissed|inbox|all]\n"
    "       [--limit N] [--json]          (default inbox: 待研判 and 交办待确认)\n"
    "  show ID [--json]                   the event, its items and its log\n"
    "  assign ID --lead D [--co D2,D3] [--level I|II|III|IV] [--opinion TEXT]   交办\n"
    "  confirm ID [--opinion TEXT]        确认交办 (an event handed over by policy)\n"
    "  merge ID --into-event N | --into-ticket NUMBER [--note TEXT]            并入\n"
    "  watch ID [--items N] [--heat N] [--quiet 2h] [--note TEXT]              持续关注\n"
    "  dismiss ID --reason " YQ_LABEL_DISMISS_REASONS_BAR " [--note TEXT]   不予处置\n"
    "          (or irrelevant|duplicate|false_alarm|out_of_scope|other; 其他 needs --note)\n"
    "  --config FILE  notifier config (default config/notifier.yaml): store, clocks, routes,\n"
    "                 desk policy; assign tells the departments through its channels, and an\n"
    "                 assign whose config reaches none of them is refused (after the demo:\n"
    "                 --config .demo/notifier.yaml)\n"
    "  --no-notify    assign although the config's channels reach nobody concerned\n"
    "  --db PATH      the ticket database (default store.path of the config); must exist\n"
    "  --by NAME      who acts (default $USER); --role duty (default) or admin\n"
    "  --version N    act only if the event still has version N (as shown by show)\n";

struct opts {
    struct notifier_cli_opts common; /* --as (and --by), --role, --db, --limit, --json */
    const char *state, *lead, *co, *level, *opinion, *into_ticket, *quiet, *reason, *note;
    struct yq_cli_long into_event, items, heat; /* positive; 0 when not given */
    struct yq_cli_long version;                 /* 0 or more; not given: any version */
    bool no_notify;                             /* act although nobody concerned is told */
};

/*
 * The arguments of argv (notifier_cli_parse(): yq_cli's table, as every yuqingctl command
 * reads them) into args and o, and the words (the subcommand and the event id) into
 * words[0..1], *n_words of them. Returns 0, YQ_CLI_HELP (usage printed) or ERR_INVALID after
 * one line on stderr.
 */
static int parse_opts(int argc, char **argv, struct yq_proc_args *args, struct opts *o,
                      const char **words, int *n_words)
{
    static const struct yq_cli_opt table[] = {
        NOTIFIER_CLI_OPTS(struct opts, common),
        YQ_CLI_VALUE("--state", struct opts, state),
        YQ_CLI_VALUE("--lead", struct opts, lead),
        YQ_CLI_VALUE("--co", struct opts, co),
        YQ_CLI_VALUE("--level", struct opts, level),
        YQ_CLI_VALUE("--opinion", struct opts, opinion),
        YQ_CLI_LONG("--into-event", struct opts, into_event, 1, LONG_MAX),
        YQ_CLI_VALUE("--into-ticket", struct opts, into_ticket),
        YQ_CLI_LONG("--items", struct opts, items, 1, LONG_MAX),
        YQ_CLI_LONG("--heat", struct opts, heat, 1, LONG_MAX),
        YQ_CLI_VALUE("--quiet", struct opts, quiet),
        YQ_CLI_VALUE("--reason", struct opts, reason),
        YQ_CLI_VALUE("--note", struct opts, note),
        YQ_CLI_VALUE("--by", struct opts, common.actor),
        YQ_CLI_LONG("--version", struct opts, version, 0, LONG_MAX),
        YQ_CLI_FLAG("--no-notify", struct opts, no_notify),
    };
    static const struct notifier_cli_cmd cmds[] = {
        {"list", NULL},  {"show", "ID"},  {"assign", "ID"},  {"confirm", "ID"},
        {"merge", "ID"}, {"watch", "ID"}, {"dismiss", "ID"},
    };
    int rc = notifier_cli_parse("yuqingctl events", usage, argc, argv, table,
                                sizeof(table) / sizeof(table[0]), o, args, cmds,
                                sizeof(cmds) / sizeof(cmds[0]), words);

    *n_words = words[1] ? 2 : words[0] ? 1 : 0;
    return rc;
}

/* The event ID of the command (a positive integer). 0 or ERR_INVALID, said on stderr. */
static int parse_id(const char *s, int64_t *out)
{
    long v;

    if (yq_cli_parse_long(s, 1, LONG_MAX, &v) != 0) {
        fprintf(stderr, "yuqingctl events: ID '%s' 须为正整数 (ID must be a positive integer)\n",
                s);
        return ERR_INVALID;
    }
    *out = v;
    return 0;
}

static const char *shanghai(int64_t t, char *buf, size_t len)
{
    return t > 0 ? yq_time_format_shanghai(t, buf, len) : "-";
}

/*
 * The message of an action's result code (the header's errors): an ERR_INVALID by the reason
 * the flow wrote into who's errbuf, "说明（code）" as yuqingctl tickets says it. Returns the
 * exit status: 2 for a bad value, else 1.
 */
static int report(const char *action, int64_t id, const struct event_actor *who, int err)
{
    static const struct {
        int err;
        const char *text;
    } msgs[] = {
        {ERR_NOT_FOUND, "没有该事件或并入目标 (no such event or target)"},
        {ERR_BAD_STATE, "事件当前状态不允许此操作，或已被他人处理（版本不符） (state or version)"},
        {ERR_INVALID, "参数有误 (bad value)"},
        {ERR_RETRY, "数据库忙，请稍后再试 (database busy)"},
    };
    const char *text = "数据库错误 (store error)";
    char code[64] = "";

    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        if (msgs[i].err == err) {
            text = msgs[i].text;
        }
    }
    if (err == ERR_INVALID && who->errbuf && who->errbuf[0]) {
        text = yq_label_split_error(who->errbuf, code, sizeof(code));
    }
    fprintf(stderr, "yuqingctl events: 事件 %lld 未%s：%s%s%s%s\n", (long long)id, action, text,
            code[0] ? "（" : "", code, code[0] ? "）" : "");
    return err == ERR_INVALID ? 2 : 1;
}

/* --- list, show ---------------------------------------------------------------------------- */

#define LIST_COLS 8

static int cmd_list(struct ticket_store *store, const struct opts *o)
{
    struct yq_db *db = ticket_store_db(store);
    struct yq_stmt *st = NULL;
    const char *state = o->state ? o->state : "inbox";
    json_t *rows = json_array();
    size_t w[LIST_COLS] = {0};
    int rc;

    if (!rows ||
        yq_stmt_prepare(db, "SELECT id, state, level, heat, item_count, detected_at, "
                           "judge_deadline, title, version FROM events WHERE "
                           "(?1 = 'all' OR state = ?1 OR (?1 = 'inbox' AND state IN "
                           "('pending', 'auto_assigned'))) "
                           "ORDER BY level, heat DESC, detected_at LIMIT ?2", &st) != YQ_DB_OK) {
        fprintf(stderr, "yuqingctl events: 无法列出事件 (%s)\n", yq_db_errmsg(db));
        json_decref(rows);
        return 1;
    }
    yq_stmt_bind_text(st, 1, state);
    yq_stmt_bind_int64(st, 2, (int64_t)notifier_cli_limit(&o->common));
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        char a[32], b[32];
        const char *st_name = yq_stmt_column_text(st, 1);
        json_array_append_new(
            rows,
            json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:I}", "id",
                      (json_int_t)yq_stmt_column_int64(st, 0), "state", st_name, "state_label",
                      yq_label(YQ_LABEL_EVENT_STATE, st_name), "level",
                      yq_stmt_column_text(st, 2), "heat",
                      (json_int_t)yq_stmt_column_int64(st, 3), "item_count",
                      (json_int_t)yq_stmt_column_int64(st, 4), "detected_at",
                      shanghai(yq_stmt_column_int64(st, 5), a, sizeof(a)), "judge_deadline",
                      shanghai(yq_stmt_column_int64(st, 6), b, sizeof(b)), "title",
                      yq_stmt_column_text(st, 7), "version",
                      (json_int_t)yq_stmt_column_int64(st, 8)));
    }
    yq_stmt_finalize(st);
    if (rc != YQ_DB_DONE) {
        fprintf(stderr, "yuqingctl events: 无法列出事件 (%s)\n", yq_db_errmsg(db));
        json_decref(rows);
        return 1;
    }
    if (o->common.json) {
        json_dumpf(rows, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
    } else {
        static const char *const heads[LIST_COLS] = {"编号", "状态", "级别", "热度",
                                                     "信息数", "发现", "研判时限", "标题"};
        static const char *const keys[LIST_COLS] = {"id", "state_label", "level", "heat",
                                                    "item_count", "detected_at",
                                                    "judge_deadline", "title"};
        char cell[64], pad[512];
        size_t i;
        json_t *r;
        for (int pass = 0; pass < 2; pass++) {
            for (size_t row = 0; row <= json_array_size(rows); row++) {
                r = row ? json_array_get(rows, row - 1) : NULL;
                for (int c = 0; c < LIST_COLS; c++) {
                    const json_t *v = r ? json_object_get(r, keys[c]) : NULL;
                    const char *s = heads[c];
                    if (v && json_is_integer(v)) {
                        snprintf(cell, sizeof(cell), "%lld", (long long)json_integer_value(v));
                        s = cell;
                    } else if (v) {
                        s = json_string_value(v);
                    }
                    if (pass == 0) {
                        size_t cw = yq_text_width(s);
                        w[c] = cw > w[c] ? cw : w[c];
                    } else if (c == LIST_COLS - 1) {
                        printf("%s\n", s);
                    } else {
                        fputs(yq_text_pad(s, w[c], pad, sizeof(pad)), stdout);
                        fputc(' ', stdout);
                    }
                }
            }
        }
        (void)i;
    }
    notifier_cli_note_cut("yuqingctl events", &o->common, json_array_size(rows));
    json_decref(rows);
    return 0;
}

/* An RFC 3339 time of the event JSON ("2026-12-05T10:15:00+08:00", Beijing) as "2026-12-05 10:15".
 */
static const char *bj_minute(const json_t *v, char *buf, size_t len)
{
    const char *t = json_string_value(v);

    if (!t || strlen(t) < 16) {
        return "-";
    }
    snprintf(buf, len, "%.10s %.5s", t, t + 11);
    return buf;
}

/*
 * show: the API's event JSON (event_read_detail() and its hot words, event_words_fill_page():
 * GET /api/inbox/ID's one encoder), as is with --json, else its fields in Chinese with the hot
 * words and each log entry's display text.
 */
static int cmd_show(struct ticket_store *store, int64_t id, const struct opts *o)
{
    json_t *ev = NULL, *v;
    char a[32], b[32], **texts = NULL;
    size_t i, n_texts = 0;
    int err;

    err = event_read_detail(store, id, yq_time_now(), &ev);
    if (!err) {
        err = event_read_texts(store, id, EVENT_READ_MAX_WORD_TEXTS, &texts, &n_texts);
    }
    if (!err) {
        err = event_words_fill_page(ev, texts, n_texts);
    }
    event_read_texts_release(texts, n_texts);
    if (err == ERR_NOT_FOUND) {
        fprintf(stderr, "yuqingctl events: 没有事件 %lld (no such event)\n", (long long)id);
        return 1;
    }
    if (err) {
        fprintf(stderr, "yuqingctl events: 读取事件 %lld 失败：%s\n", (long long)id,
                yq_strerror(err));
        json_decref(ev);
        return 1;
    }
    if (o->common.json) {
        json_dumpf(ev, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
        json_decref(ev);
        return 0;
    }
#define S(k)                                                                                       \
    (json_string_value(json_object_get(ev, k)) ? json_string_value(json_object_get(ev, k)) : "")
#define I(k) (long long)json_integer_value(json_object_get(ev, k))
    printf("事件 %lld  %s\n级别 %s  状态 %s  预判主办 %s  信息 %lld 条  热度 %lld  版本 %lld\n"
           "发现 %s  研判时限 %s\n",
           I("id"), S("title"), S("level"), S("state_label"),
           S("department")[0] ? S("department") : "（未定）", I("item_count"), I("heat"),
           I("version"), bj_minute(json_object_get(ev, "detected_at"), a, sizeof(a)),
           bj_minute(json_object_get(ev, "judge_deadline"), b, sizeof(b)));
    v = json_object_get(json_object_get(ev, "ticket"), "number");
    if (json_string_value(v)) {
        printf("交办单 %s\n", json_string_value(v));
    }
    if (I("merged_into") > 0) {
        printf("已并入事件 %lld\n", I("merged_into"));
    }
    if (S("dismiss_reason")[0]) {
        printf("不予处置原因 %s\n", S("dismiss_reason_label")); /* as tickets show; the note: log */
    }
    if (S("opinion")[0]) {
        printf("研判意见 %s\n", S("opinion"));
    }
#undef S
#undef I
    if (json_array_size(json_object_get(ev, "hot_words")) > 0) {
        printf("热词");
        json_array_foreach(json_object_get(ev, "hot_words"), i, v)
        {
            printf("%s%s %lld", i ? "、" : " ", json_string_value(json_object_get(v, "word")),
                   (long long)json_integer_value(json_object_get(v, "count")));
        }
        printf("\n");
    }
    printf("信息（最新在前）：\n");
    json_array_foreach(json_object_get(ev, "items"), i, v)
    {
        printf("  %s  %s  %s  热度 %lld  %s\n",
               bj_minute(json_object_get(v, "matched_at"), a, sizeof(a)),
               json_string_value(json_object_get(v, "channel")),
               json_string_value(json_object_get(v, "title")),
               (long long)json_integer_value(json_object_get(v, "heat")),
               json_string_value(json_object_get(v, "url")));
    }
    printf("记录（北京时间）：\n");
    json_array_foreach(json_object_get(ev, "log"), i, v)
    {
        printf("  %s  %s\n", bj_minute(json_object_get(v, "at"), a, sizeof(a)),
               json_string_value(json_object_get(v, "text")));
    }
    json_decref(ev);
    return 0;
}

/* --- the actions --------------------------------------------------------------------------- */

/* What every action gets. */
struct act {
    struct ticket_store *store;
    const struct notify_routes *routes; /* the config's, for who an action tells */
    const char *config_path;            /* that config's file, for the refusal */
    int64_t id;
    struct event_actor who;
    int64_t version; /* -1: not checked */
    const struct opts *o;
};

static int act_assign(const struct act *a)
{
    const struct opts *o = a->o;
    /* one more than the limit: a longer list reaches the flow, which refuses it by its code */
    const char *co[TICKET_MAX_CO_DEPARTMENTS + 1];
    char *co_copy = NULL, number[32] = "", why[400] = "";
    enum yq_level level = YQ_LEVEL_III;
    size_t n_co = 0;
    int err;

    if (!o->lead) {
        fprintf(stderr, "yuqingctl events: 交办须给出 --lead 牵头部门 (assign needs --lead)\n");
        return 2;
    }
    if (o->level && yq_level_parse(o->level, &level)) {
        fprintf(stderr, "yuqingctl events: --level 须为 I、II、III、IV 或 特别重大、重大、较大、"
                        "一般 (--level must be I..IV)\n");
        return 2;
    }
    if (!o->level) {
        /* the event's own level, as the matcher graded it */
        struct yq_stmt *st = NULL;
        if (yq_stmt_prepare(ticket_store_db(a->store), "SELECT level FROM events WHERE id = ?", &st) == YQ_DB_OK) {
            yq_stmt_bind_int64(st, 1, a->id);
            if (yq_stmt_step(st) == YQ_DB_ROW) {
                yq_level_parse(yq_stmt_column_text(st, 0), &level);
            }
            yq_stmt_finalize(st);
        }
    }
    if (yq_cli_split_list(o->co, &co_copy, co, TICKET_MAX_CO_DEPARTMENTS + 1, &n_co)) {
        return 1;
    }
    /* an unknown department is named before any channel is looked for (tickets assign's rule) */
    err = ticket_flow_check_departments(a->store, o->lead, co, n_co, why, sizeof(why));
    if (err) {
        char code[64];
        const char *msg = yq_label_split_error(why, code, sizeof(code));
        free(co_copy);
        if (err != ERR_INVALID) {
            return report("交办", a->id, &a->who, err);
        }
        fprintf(stderr, "yuqingctl events: 事件 %lld 未交办：%s（%s）\n", (long long)a->id, msg,
                code);
        return 2;
    }
    if (!o->no_notify) {
        /* 交办 tells the lead and co-handling liaisons: the rule of yuqingctl tickets assign */
        const char *who = notifier_cli_unreached(a->routes, o->lead, co, n_co, false);
        if (who) {
            err = notifier_cli_no_channel("yuqingctl events", a->config_path, who);
            free(co_copy);
            return err;
        }
    }
    err = event_assign(a->store, a->id, &a->who, o->lead, co, n_co, level,
                       o->opinion ? o->opinion : "", a->version, yq_time_now(), NULL, number);
    free(co_copy);
    if (err) {
        return report("交办", a->id, &a->who, err);
    }
    printf("事件 %lld 已交办：交办单 %s（%s %s，牵头 %s）\n", (long long)a->id, number,
           yq_level_name(level), yq_level_label(level), o->lead);
    return 0;
}

static int act_confirm(const struct act *a)
{
    int err = event_confirm(a->store, a->id, &a->who, a->o->opinion, a->version, yq_time_now());
    if (err) {
        return report("确认交办", a->id, &a->who, err);
    }
    printf("事件 %lld 已确认交办\n", (long long)a->id);
    return 0;
}

static int act_merge(const struct act *a)
{
    const struct opts *o = a->o;
    int64_t ticket_id = 0;
    char target[32];
    int err;

    if (o->into_event.set == (o->into_ticket != NULL)) {
        fprintf(stderr, "yuqingctl events: 并入须给出 --into-event N 或 --into-ticket 编号之一 "
                        "(merge needs --into-event or --into-ticket)\n");
        return 2;
    }
    if (o->into_ticket) {
        struct ticket t;
        if (ticket_store_get_by_number(a->store, o->into_ticket, &t) != 0) {
            fprintf(stderr, "yuqingctl events: 没有交办单 %s (no such ticket)\n", o->into_ticket);
            return 1;
        }
        ticket_id = t.id;
        ticket_release(&t);
    }
    err = event_merge(a->store, a->id, &a->who, o->into_event.v, ticket_id, o->note, a->version,
                      yq_time_now());
    if (err) {
        return report("并入", a->id, &a->who, err);
    }
    snprintf(target, sizeof(target), "%ld", o->into_event.v);
    printf("事件 %lld 已并入%s %s\n", (long long)a->id, o->into_event.set ? "事件" : "交办单",
           o->into_event.set ? target : o->into_ticket);
    return 0;
}

static int act_watch(const struct act *a)
{
    const struct opts *o = a->o;
    int64_t items = o->items.v, heat = o->heat.v, quiet_ms = 0;
    int err;

    if (o->quiet && cfg_parse_value(CFG_MS, o->quiet, 60000, 30LL * 86400000, &quiet_ms) != 0) {
        fprintf(stderr, "yuqingctl events: --quiet '%s' 须为 1m 至 30d 的时长，如 2h (--quiet must "
                        "be a duration such as 2h)\n",
                o->quiet);
        return 2;
    }
    if (!items && !heat && !quiet_ms) {
        fprintf(stderr, "yuqingctl events: 持续关注须给出 --items、--heat 或 --quiet 之一 "
                        "(watch needs a threshold)\n");
        return 2;
    }
    err = event_watch(a->store, a->id, &a->who, items, heat, quiet_ms / 1000, o->note,
                      a->version, yq_time_now());
    if (err) {
        return report("持续关注", a->id, &a->who, err);
    }
    printf("事件 %lld 持续关注（信息数 %lld、热度 %lld、沉寂 %lld 秒后有新信息时重新提醒；0 为不用）\n",
           (long long)a->id, (long long)items, (long long)heat, (long long)(quiet_ms / 1000));
    return 0;
}

static int act_dismiss(const struct act *a)
{
    /* the one list of tickets and events (yq_labels): a label or a code */
    const char *code = yq_label_code(YQ_LABEL_DISMISS_REASON, a->o->reason);
    int err;

    if (!code) {
        fprintf(stderr, "yuqingctl events: --reason 须为 " YQ_LABEL_DISMISS_REASONS_LIST
                        " (irrelevant, duplicate, false_alarm, out_of_scope, other)\n");
        return 2;
    }
    err = event_dismiss(a->store, a->id, &a->who, code, a->o->note, a->version, yq_time_now());
    if (err) {
        return report("不予处置", a->id, &a->who, err);
    }
    printf("事件 %lld 不予处置（%s）\n", (long long)a->id,
           yq_label(YQ_LABEL_DISMISS_REASON, code));
    return 0;
}

/* The subcommands that act on one event: adding one is one row. */
static const struct {
    const char *name;
    int (*run)(const struct act *a);
} actions[] = {
    {"assign", act_assign}, {"confirm", act_confirm}, {"merge", act_merge},
    {"watch", act_watch},   {"dismiss", act_dismiss},
};

int events_cli_main(int argc, char **argv)
{
    struct yq_proc_args args;
    struct notifier_cli_store cli;
    struct opts o;
    const char *words[2] = {NULL, NULL};
    char errbuf[400] = "";
    int rc = 2, n = 0;
    int64_t id = 0;

    memset(&o, 0, sizeof(o));
    rc = parse_opts(argc, argv, &args, &o, words, &n);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    if (o.state) {
        enum event_state s;
        const char *code = yq_label_code(YQ_LABEL_EVENT_STATE, o.state);
        o.state = code ? code : o.state;
        if (strcmp(o.state, "all") != 0 && strcmp(o.state, "inbox") != 0 &&
            event_state_parse(o.state, &s) != 0) {
            fprintf(stderr, "yuqingctl events: --state '%s' 须为 待研判、交办待确认、已交办、持续关注、"
                            "已并入、不予处置、inbox、all\n",
                    o.state);
            return 2;
        }
    }
    if (n >= 2 && parse_id(words[1], &id)) {
        return 2;
    }
    rc = notifier_cli_store_open("yuqingctl events", &args, o.common.db, &cli);
    if (rc) {
        return rc;
    }
    rc = -1;
    if (strcmp(words[0], "list") == 0 && n == 1) {
        rc = cmd_list(cli.store, &o);
    } else if (strcmp(words[0], "show") == 0 && n == 2) {
        rc = cmd_show(cli.store, id, &o);
    } else if (n == 2) {
        struct act a = {.store = cli.store,
                        .routes = &cli.cfg.routes,
                        .config_path = args.config_path ? args.config_path : "config/notifier.yaml",
                        .id = id,
                        .version = -1,
                        .o = &o};
        a.who.name = notifier_cli_actor(&o.common);
        a.who.role = o.common.role ? o.common.role : "duty";
        a.who.errbuf = errbuf;
        a.who.errlen = sizeof(errbuf);
        if (o.version.set) {
            a.version = o.version.v;
        }
        for (size_t i = 0; rc < 0 && i < sizeof(actions) / sizeof(actions[0]); i++) {
            if (strcmp(words[0], actions[i].name) == 0) {
                rc = actions[i].run(&a);
            }
        }
    }
    if (rc < 0) {
        fprintf(stderr, "yuqingctl events: 参数有误 (bad arguments)\n%s", usage);
        rc = 2;
    }
    notifier_cli_store_release(&cli);
    return rc;
}
