#include "tickets_cli.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "yq_db.h"

#include "notifier.h"
#include "outbox.h"
#include "ticket_api.h"
#include "ticket_flow.h"
#include "ticket_store.h"
#include "yq_cli.h"
#include "yq_departments.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_proc.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

static const char usage[] =
    "usage: yuqingctl tickets COMMAND [ARGS] [--config FILE] [--db PATH] [--as NAME] [--role R]\n"
    "  list [--state S|active|all] [--department D] [--overdue] [--limit N] [--json]\n"
    "  show NUMBER [--json]\n"
    "  assign NUMBER --department D [--co D2,D3] [--note TEXT]\n"
    "  ack NUMBER [--note TEXT]\n"
    "  respond NUMBER --channel 权威发布|新闻发布会|吹风会|政务微博|政务微信|网站|答复\n"
    "          [--url URL] [--at TIME] [--note TEXT]\n"
    "  close NUMBER --note RESULT      办结, with its 处置结果 (required)\n"
    "  dismiss NUMBER --reason " YQ_LABEL_DISMISS_REASONS_BAR " [--note T]\n"
    "          (or its code irrelevant|duplicate|false_alarm|out_of_scope|other: the one list\n"
    "          of common/yq_labels.h)\n"
    "  return NUMBER --reason TEXT\n"
    "  reopen NUMBER [--note TEXT]\n"
    "  set-level NUMBER --level I|II|III|IV|特别重大|重大|较大|一般 [--note TEXT]\n"
    "  confirm-response NUMBER --proposal ID [--note TEXT]   (确认回应: a proposed 回应 of\n"
    "          `show`, found on an official channel, becomes the ticket's response)\n"
    "  reject-response NUMBER --proposal ID [--note TEXT]    (驳回疑似回应)\n"
    "  escalate [--now TIME]   (TIME not in the future: escalation writes the log)\n"
    "  outbox [--state pending|delivered|failed] [--limit N]\n"
    "  redeliver ID\n"
    "  TIME           RFC 3339, e.g. 2026-11-29T16:00:00+08:00 (without a zone: Beijing time)\n"
    "  --config FILE  notifier config (default config/notifier.yaml); its channels are told of\n"
    "                 assign, set-level, dismiss, return, reopen and escalate: a command whose\n"
    "                 config reaches nobody concerned is refused (after the demo: --config\n"
    "                 .demo/notifier.yaml)\n"
    "  --no-notify    act although the config's channels reach nobody concerned\n"
    "  --db PATH      the ticket database (default store.path of the config); must exist\n"
    "  --as NAME      who acts (default $USER); --role ROLE: duty_officer (default), liaison,\n"
    "                 head, admin\n";

struct opts {
    struct notifier_cli_opts common; /* --as, --role, --db, --limit, --json */
    /*
     * --note, --department (also list's filter), --channel, --url and --reason go straight
     * into the action's fields; cmd_act() fills the rest
     */
    struct ticket_action act;
    const char *state, *co, *level;
    struct yq_cli_time at;       /* respond: when (0, not given: now) */
    struct yq_cli_time now;      /* escalate: as of (default now) */
    struct yq_cli_long proposal; /* confirm-response, reject-response (0: not given) */
    bool overdue, no_notify;
};

/*
 * Read the arguments (notifier_cli_parse()) into args and o: the command's words (at most two:
 * the command and its NUMBER or ID, in words) and its options. Returns 0, YQ_CLI_HELP (the
 * usage is printed) or ERR_INVALID with the reason printed to stderr.
 */
static int parse_opts(int argc, char **argv, struct yq_proc_args *args, struct opts *o,
                      const char **words)
{
    static const struct yq_cli_opt table[] = {
        NOTIFIER_CLI_OPTS(struct opts, common),
        YQ_CLI_VALUE("--state", struct opts, state),
        YQ_CLI_VALUE("--department", struct opts, act.department),
        YQ_CLI_VALUE("--co", struct opts, co),
        YQ_CLI_VALUE("--note", struct opts, act.note),
        YQ_CLI_VALUE("--channel", struct opts, act.channel),
        YQ_CLI_VALUE("--url", struct opts, act.url),
        YQ_CLI_TIME("--at", struct opts, at),
        YQ_CLI_VALUE("--reason", struct opts, act.reason),
        YQ_CLI_TIME("--now", struct opts, now),
        YQ_CLI_VALUE("--level", struct opts, level),
        YQ_CLI_LONG("--proposal", struct opts, proposal, 1, LONG_MAX),
        YQ_CLI_FLAG("--overdue", struct opts, overdue),
        YQ_CLI_FLAG("--no-notify", struct opts, no_notify),
    };

    /* the usage's commands; the actions also by their API names (set_level ...) */
    static const struct notifier_cli_cmd cmds[] = {
        {"list", NULL},
        {"escalate", NULL},
        {"outbox", NULL},
        {"show", "NUMBER"},
        {"redeliver", "ID"},
        {"assign", "NUMBER"},
        {"ack", "NUMBER"},
        {"respond", "NUMBER"},
        {"close", "NUMBER"},
        {"dismiss", "NUMBER"},
        {"return", "NUMBER"},
        {"reopen", "NUMBER"},
        {"set-level", "NUMBER"},
        {"set_level", "NUMBER"},
        {"confirm-response", "NUMBER"},
        {"confirm_response", "NUMBER"},
        {"reject-response", "NUMBER"},
        {"reject_response", "NUMBER"},
    };

    return notifier_cli_parse("yuqingctl tickets", usage, argc, argv, table,
                              sizeof(table) / sizeof(table[0]), o, args, cmds,
                              sizeof(cmds) / sizeof(cmds[0]), words);
}

static const char *shanghai(int64_t t, char *buf, size_t len)
{
    if (t <= 0) {
        return "-";
    }
    return yq_time_format_shanghai(t, buf, len);
}

#define LIST_COLS 7
#define DUE_BYTES 64

/*
 * The response clock of t as the API shows it (ticket_api_detail()'s "clocks": one clock
 * state for the API, the pages and the CLI) into due (DUE_BYTES): "2026-12-02 09:00" while it
 * runs, with "!" when overdue (past its deadline at now, or marked by escalation); on a settled or
 * answered ticket the deadline and the state's label ("2026-12-02 09:00 已撤销", 已停止, 已完成,
 * 超时完成), never "!" (issue #11).
 */
static void due_cell(struct ticket_store *store, const struct ticket *t, int64_t now, char *due)
{
    json_t *d = NULL, *c;
    size_t i;
    char at[40];
    bool found = false;

    snprintf(due, DUE_BYTES, "%s", shanghai(t->response_deadline, at, sizeof(at)));
    if (ticket_api_detail(store, t->number, &d) != 0) {
        return;
    }
    json_array_foreach(json_object_get(d, "clocks"), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *state = json_string_value(json_object_get(c, "state"));
        if (found || !name || strcmp(name, "response") != 0 || !state) {
            continue;
        }
        found = true;
        if (strcmp(state, "running") == 0) {
            snprintf(due, DUE_BYTES, "%s%s", shanghai(t->response_deadline, at, sizeof(at)),
                     json_is_true(json_object_get(c, "overdue")) || now > t->response_deadline
                         ? "!"
                         : "");
        } else {
            snprintf(due, DUE_BYTES, "%s %s", shanghai(t->response_deadline, at, sizeof(at)),
                     json_string_value(json_object_get(c, "state_label")));
        }
    }
    json_decref(d);
}

/*
 * The cells of one row of `tickets list` (t NULL: the heading): number, state, level,
 * department, response due (due_cell()), items, title. due is the row's due_cell() text;
 * items the row's storage (24 bytes); cells point into t, them or static strings.
 */
static void list_cells(const struct ticket *t, const char *due, char *items, const char **cells)
{
    static const char *const heads[LIST_COLS] = {"编号",     "状态",   "级别", "主办部门",
                                                 "回应时限", "信息数", "标题"};
    if (!t) {
        memcpy(cells, heads, sizeof(heads));
        return;
    }
    snprintf(items, 24, "%lld", (long long)t->item_count);
    cells[0] = t->number;
    cells[1] = ticket_state_label(t->state); /* 待签收 …: the one state table */
    cells[2] = yq_level_name(t->level);
    cells[3] = t->department[0] ? t->department : "待分派";
    cells[4] = due ? due : "";
    cells[5] = items;
    cells[6] = t->title;
}

static int cmd_list(struct ticket_store *store, const struct opts *o)
{
    struct ticket_filter f = {.lead_department = o->act.department,
                              .overdue_only = o->overdue != 0};
    struct ticket_list list;
    int64_t now = yq_time_now();
    char why[2560];
    bool registry = false;
    int err;

    if (o->act.department) {
        /* the check stats and the statistics API make: an unknown name is refused, not listed */
        err = yq_departments_check(ticket_store_db(store), o->act.department, &registry, why,
                                   sizeof(why));
        if (err) {
            fprintf(stderr, "yuqingctl tickets: %s\n", why[0] ? why : yq_strerror(err));
            return err == ERR_NOT_FOUND ? YQ_CLI_EXIT_USAGE : 1;
        }
    }
    f.state = o->state ? (strcmp(o->state, "all") == 0 ? NULL : o->state) : "active";
    err = ticket_store_list(store, &f, notifier_cli_limit(&o->common), &list);
    if (err) {
        fprintf(stderr, "yuqingctl tickets: 无法列出交办单 (list failed: %s)\n",
                ticket_store_errmsg(store));
        return 1;
    }
    if (o->common.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < list.n; i++) {
            json_t *d = NULL;
            if (ticket_api_detail(store, list.v[i].number, &d) == 0) {
                json_array_append_new(arr, d);
            }
        }
        json_dumpf(arr, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
        json_decref(arr);
    } else {
        /* columns padded to display width (yq_text), so Chinese cells line up */
        size_t w[LIST_COLS - 1] = {0};
        const char *cells[LIST_COLS];
        char items[24], pad[512];
        char *dues = calloc(list.n + 1, DUE_BYTES);
        if (!dues) {
            ticket_list_release(&list);
            return 1;
        }
        for (size_t i = 0; i < list.n; i++) {
            due_cell(store, &list.v[i], now, dues + i * DUE_BYTES);
        }
        for (size_t i = 0; i <= list.n; i++) {
            list_cells(i ? &list.v[i - 1] : NULL, i ? dues + (i - 1) * DUE_BYTES : NULL, items,
                       cells);
            for (int c = 0; c < LIST_COLS - 1; c++) {
                size_t cw = yq_text_width(cells[c]);
                w[c] = cw > w[c] ? cw : w[c];
            }
        }
        for (size_t i = 0; i <= list.n; i++) {
            list_cells(i ? &list.v[i - 1] : NULL, i ? dues + (i - 1) * DUE_BYTES : NULL, items,
                       cells);
            for (int c = 0; c < LIST_COLS - 1; c++) {
                fputs(yq_text_pad(cells[c], w[c], pad, sizeof(pad)), stdout);
                fputc(' ', stdout);
            }
            printf("%s\n", cells[LIST_COLS - 1]);
        }
        free(dues);
    }
    notifier_cli_note_cut("yuqingctl tickets", &o->common, list.n);
    ticket_list_release(&list);
    return 0;
}

/*
 * One line per clock of the API's detail d (ticket_api_detail()'s "clocks", the state the
 * pages show): "回应时限 2026-12-02 09:00  进行中" ("，已超时" when past its deadline at now
 * or marked overdue) while it runs,
 * else its state and when it stopped: "回应时限 2026-12-02 09:00  已撤销 2026-11-30 09:40"
 * (已完成, 超时完成, 已撤销, 已停止) (issue #11).
 */
static void print_clocks(const json_t *d, int64_t now)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(d, "clocks"), i, c)
    {
        const char *state = json_string_value(json_object_get(c, "state"));
        const char *stopped = json_string_value(json_object_get(c, "stopped_at_display"));
        printf("%s %s  %s", json_string_value(json_object_get(c, "label")),
               json_is_string(json_object_get(c, "deadline_display"))
                   ? json_string_value(json_object_get(c, "deadline_display"))
                   : "-",
               json_string_value(json_object_get(c, "state_label")));
        int64_t deadline = 0;
        if (state && strcmp(state, "running") == 0) {
            const char *iso = json_string_value(json_object_get(c, "deadline"));
            bool late = json_is_true(json_object_get(c, "overdue")) ||
                        (iso && yq_time_parse_iso(iso, &deadline, NULL) == 0 && now > deadline);
            printf("%s\n", late ? "，已超时" : "");
        } else {
            printf(" %s\n", stopped ? stopped : "-");
        }
    }
}

static int cmd_show(struct ticket_store *store, const char *number, const struct opts *o)
{
    json_t *d = NULL, *v;
    size_t i;
    int err = ticket_api_detail(store, number, &d);

    if (err) {
        if (err == ERR_NOT_FOUND) {
            fprintf(stderr, "yuqingctl tickets: 没有交办单 %s (%s: no such ticket)\n", number,
                    number);
        } else {
            fprintf(stderr, "yuqingctl tickets: 无法读取交办单 %s (%s)\n", number,
                    ticket_store_errmsg(store));
        }
        return 1;
    }
    if (o->common.json) {
        json_dumpf(d, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
    } else {
        /* issue #11: the labels, clock states and the log's Chinese text of the API */
        struct ticket t;
        char a[32], co[1024];
        if (ticket_store_get_by_number(store, number, &t) == 0) {
            printf("%s  %s\n级别 %s %s  状态 %s  主办 %s  协办 %s\n信息 %lld 条  热度 %lld  "
                   "版本 %lld\n",
                   t.number, t.title, yq_level_name(t.level), yq_level_label(t.level),
                   ticket_state_label(t.state), t.department[0] ? t.department : "待分派",
                   ticket_api_co_text(t.co_departments, "无", co, sizeof(co)),
                   (long long)t.item_count, (long long)t.heat, (long long)t.version);
            if (t.dismiss_reason[0]) {
                printf("不予处置原因 %s\n", yq_label(YQ_LABEL_DISMISS_REASON, t.dismiss_reason));
            }
            printf("发现 %s\n", shanghai(t.detected_at, a, sizeof(a)));
            print_clocks(d, yq_time_now());
            ticket_release(&t);
        }
        printf("回应：%s\n", json_array_size(json_object_get(d, "responses")) ? "" : "无");
        json_array_foreach(json_object_get(d, "responses"), i, v)
        {
            printf("  %s %s %s（%s）%s\n",
                   json_string_value(json_object_get(v, "responded_at_display")),
                   json_string_value(json_object_get(v, "channel")),
                   json_string_value(json_object_get(v, "url")),
                   json_string_value(json_object_get(v, "recorded_by")),
                   json_is_true(json_object_get(v, "detected")) ? " 自动发现" : "");
        }
        if (json_array_size(json_object_get(d, "proposals"))) {
            printf("疑似回应（官方渠道发现）：\n");
        }
        json_array_foreach(json_object_get(d, "proposals"), i, v)
        {
            const char *when = json_string_value(json_object_get(v, "published_at_display"));
            printf("  #%lld [%s] %s %s “%s” 得分 %.2f %s\n",
                   (long long)json_integer_value(json_object_get(v, "id")),
                   json_string_value(json_object_get(v, "state_label")), when ? when : "时间不详",
                   json_string_value(json_object_get(v, "channel")),
                   json_string_value(json_object_get(v, "title")),
                   json_real_value(json_object_get(v, "score")),
                   json_string_value(json_object_get(v, "url")));
        }
        printf("处置记录（北京时间）：\n");
        json_array_foreach(json_object_get(d, "log"), i, v)
        {
            printf("  %s %s\n", json_string_value(json_object_get(v, "at_display")),
                   json_string_value(json_object_get(v, "text")));
        }
    }
    json_decref(d);
    return 0;
}

/*
 * Who the notification of kind on ticket number would be for and the routes (borrowed)
 * reach nobody of (notifier_cli_unreached()): a department's name, "值班室", or NULL when kind
 * tells nobody (签收, 回应, 办结) or everyone concerned is reached. department, co (n_co):
 * assign's --department and --co (may be NULL); buf (len bytes) holds the name returned.
 * The recipients are those of ticket_flow_apply(): assign, set-level and dismiss tell the
 * (new) lead department's liaison, return the duty officer, reopen both (issue #11: a CLI
 * run with the default config, channels: {}, queued 0 notifications where the web UI told
 * the department).
 */
static const char *unreached(struct ticket_store *store, const struct notify_routes *routes,
                             enum ticket_action_kind kind, const char *number,
                             const char *department, const char *const *co, size_t n_co, char *buf,
                             size_t len)
{
    struct ticket t;
    const char *who;

    if (kind == TICKET_ACT_ASSIGN) {
        return notifier_cli_unreached(routes, department, co, n_co, false);
    }
    if (kind == TICKET_ACT_RETURN) {
        return notifier_cli_unreached(routes, NULL, NULL, 0, true);
    }
    if (kind != TICKET_ACT_SET_LEVEL && kind != TICKET_ACT_DISMISS && kind != TICKET_ACT_REOPEN) {
        return NULL;
    }
    if (ticket_store_get_by_number(store, number, &t) != 0) {
        return NULL; /* the action itself names the missing ticket */
    }
    /* a reopened ticket without a lead department tells the duty officer */
    who = notifier_cli_unreached(routes, t.department, NULL, 0,
                                 !t.department[0] && kind == TICKET_ACT_REOPEN);
    if (who) {
        snprintf(buf, len, "%s", who); /* t.department: copied before it is released */
        who = buf;
    }
    ticket_release(&t);
    return who;
}

/*
 * Say on stderr that action was refused with err and ticket_flow_apply()'s errbuf line
 * ("code: 中文说明", borrowed); returns the exit status: 2 for a bad value (unknown
 * department, reason, channel, role ...), a usage error, else 1.
 */
static int refused(const char *action, int err, const char *errbuf)
{
    char code[64];
    const char *msg = yq_label_split_error(errbuf, code, sizeof(code));

    fprintf(stderr, "yuqingctl tickets: 未执行：%s%s%s%s (%s refused)\n", msg, code[0] ? "（" : "",
            code, code[0] ? "）" : "", action);
    return err == ERR_INVALID ? 2 : 1;
}

static int cmd_act(struct ticket_store *store, const struct notifier_cfg *cfg,
                   const char *config_path, const char *action, const char *number,
                   const struct opts *o)
{
    struct ticket_action act = o->act; /* the fields its options filled */
    struct ticket_action_result res;
    /* one more than the limit: a longer list reaches the flow, which refuses it by its code */
    const char *co[TICKET_MAX_CO_DEPARTMENTS + 1];
    char *co_copy = NULL, errbuf[400] = "";
    size_t n_co = 0;
    int err;

    if (strcmp(action, "set-level") == 0) {
        action = "set_level";
    } else if (strcmp(action, "confirm-response") == 0) {
        action = "confirm_response";
    } else if (strcmp(action, "reject-response") == 0) {
        action = "reject_response";
    }
    if (ticket_action_parse(action, &act.kind)) {
        return yq_cli_unknown_command("yuqingctl tickets", usage, action);
    }
    act.number = number;
    act.actor = notifier_cli_actor(&o->common);
    act.role = o->common.role;
    if (o->level && yq_level_parse(o->level, &act.level)) {
        fprintf(stderr, "yuqingctl tickets: --level 须为 I、II、III、IV 或 特别重大、重大、较大、"
                        "一般 (--level must be I, II, III or IV)\n");
        return 2;
    }
    act.proposal_id = o->proposal.v;
    act.responded_at = o->at.s;
    if (o->co) {
        if (yq_cli_split_list(o->co, &co_copy, co, TICKET_MAX_CO_DEPARTMENTS + 1, &n_co)) {
            return 1;
        }
        act.co_departments = co;
        act.n_co_departments = n_co;
    }
    if (act.kind == TICKET_ACT_ASSIGN &&
        (err = ticket_flow_check_departments(store, act.department, co, n_co, errbuf,
                                             sizeof(errbuf))) != 0) {
        /* an unknown department is named before any channel is looked for */
        free(co_copy);
        return refused(action, err, errbuf);
    }
    if (!o->no_notify) {
        char who_buf[256];
        const char *who = unreached(store, &cfg->routes, act.kind, number, o->act.department, co,
                                    n_co, who_buf, sizeof(who_buf));
        if (who) {
            err = notifier_cli_no_channel("yuqingctl tickets", config_path, who);
            free(co_copy); /* after: who may point into it */
            return err;
        }
    }
    err = ticket_flow_apply(store, &act, yq_time_now(), &res, errbuf, sizeof(errbuf));
    free(co_copy);
    if (err) {
        return refused(action, err, errbuf);
    }
    /* issue #11: the states by their labels, in Chinese */
    printf("%s：%s → %s（版本 %lld，已排入 %d 条通知）\n", res.number,
           yq_label(YQ_LABEL_STATE, res.from_state), yq_label(YQ_LABEL_STATE, res.to_state),
           (long long)res.version, res.notifications);
    return 0;
}

static int cmd_outbox(struct ticket_store *store, const struct opts *o)
{
    struct yq_stmt *st = NULL;
    size_t n = 0;
    int rc = yq_stmt_prepare(ticket_store_db(store), "SELECT id, state, channel, kind, attempts, next_attempt_at, "
                                "coalesce(delivered_at, 0), subject, last_error FROM outbox "
                                "WHERE CAST(?1 AS TEXT) IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2", &st);
    if (rc != YQ_DB_OK) {
        fprintf(stderr, "yuqingctl tickets: 无法读取通知队列 (outbox): %s\n",
                yq_db_errmsg(ticket_store_db(store)));
        return 1;
    }
    if (o->state) {
        yq_stmt_bind_text(st, 1, o->state);
    }
    yq_stmt_bind_int64(st, 2, (int64_t)notifier_cli_limit(&o->common));
    {
        /* headings padded by display width like the cells (yq_text) */
        char h1[64], h2[64], h3[64], h4[64], h5[64], h6[64];
        printf("%s %s %s %s %s %s %s\n", yq_text_pad("编号", 6, h1, sizeof(h1)),
               yq_text_pad("状态", 9, h2, sizeof(h2)), yq_text_pad("渠道", 16, h3, sizeof(h3)),
               yq_text_pad("类型", 9, h4, sizeof(h4)), yq_text_pad("次数", 4, h5, sizeof(h5)),
               yq_text_pad("下次/送达", 16, h6, sizeof(h6)), "主题 | 最近错误");
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        char w[32];
        int64_t t =
            yq_stmt_column_int64(st, 6) ? yq_stmt_column_int64(st, 6) : yq_stmt_column_int64(st, 5);
        char c1[128], c2[256], c3[128]; /* padded by display width (yq_text) */
        /* issue #11: the state and kind by their labels (待发送, 交办 …) */
        printf(
            "%-6lld %s %s %s %-4lld %-16s %s | %s\n", (long long)yq_stmt_column_int64(st, 0),
            yq_text_pad(yq_label(YQ_LABEL_OUTBOX_STATE, yq_stmt_column_text(st, 1)),
                        9, c1, sizeof(c1)),
            yq_text_pad(yq_stmt_column_text(st, 2), 16, c2, sizeof(c2)),
            yq_text_pad(yq_label(YQ_LABEL_NOTIFY_KIND, yq_stmt_column_text(st, 3)), 9,
                        c3, sizeof(c3)),
            (long long)yq_stmt_column_int64(st, 4), shanghai(t, w, sizeof(w)),
            yq_stmt_column_text(st, 7), yq_stmt_column_text(st, 8));
        n++;
    }
    yq_stmt_finalize(st);
    if (rc != YQ_DB_DONE) {
        return 1;
    }
    notifier_cli_note_cut("yuqingctl tickets", &o->common, n);
    return 0;
}

/* Whether --state (may be NULL) names a state the command knows. */
static bool state_ok(const char *command, const char *state)
{
    static const char *const ticket_states[] = {"active", "all", NULL}; /* and each state */
    static const char *const outbox_states[] = {"pending", "delivered", "failed", NULL};
    bool outbox = strcmp(command, "outbox") == 0;
    const char *const *list = outbox ? outbox_states : ticket_states;
    enum ticket_state st;
    if (!state || (!outbox && ticket_state_parse(state, &st) == 0)) {
        return true;
    }
    for (; *list; list++) {
        if (strcmp(*list, state) == 0) {
            return true;
        }
    }
    return false;
}

int tickets_cli_main(int argc, char **argv)
{
    struct yq_proc_args args;
    struct notifier_cli_store cli;
    struct opts o;
    const char *words[2] = {NULL, NULL};
    int rc, n;

    memset(&o, 0, sizeof(o));
    rc = parse_opts(argc, argv, &args, &o, words);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    n = words[1] ? 2 : 1; /* the command and the words it takes: checked by parse_opts() */
    /* a state is taken by its label as well as its code (待签收 = open, 待发送 = pending) */
    if (o.state) {
        const char *code = yq_label_code(
            strcmp(words[0], "outbox") == 0 ? YQ_LABEL_OUTBOX_STATE : YQ_LABEL_STATE, o.state);
        o.state = code ? code : o.state;
    }
    if (!state_ok(words[0], o.state)) {
        fprintf(stderr, "yuqingctl tickets: --state '%s' 须为 %s (--state must be one of %s)\n",
                o.state,
                strcmp(words[0], "outbox") == 0 ? "待发送、已送达、发送失败"
                                                : "待签收、已签收、已回应、已办结、退回、"
                                                  "不予处置、active、all",
                strcmp(words[0], "outbox") == 0
                    ? "pending, delivered, failed"
                    : "open, acknowledged, responded, closed, returned, dismissed, active, all");
        return 2;
    }
    rc = notifier_cli_store_open("yuqingctl tickets", &args, o.common.db, &cli);
    if (rc) {
        return rc;
    }
    if (strcmp(words[0], "list") == 0) {
        rc = cmd_list(cli.store, &o);
    } else if (strcmp(words[0], "show") == 0 && n == 2) {
        rc = cmd_show(cli.store, words[1], &o);
    } else if (strcmp(words[0], "escalate") == 0) {
        struct ticket_escalation_stats es;
        int64_t now = o.now.set ? o.now.s : yq_time_now();
        if (now > yq_time_now() + 60) {
            /*
             * the log is append-only: a 催办 dated in the future could never be taken back (only
             * a given --now is: named as given)
             */
            fprintf(stderr, "yuqingctl tickets: --now '%s' 晚于现在 (is in the future)\n",
                    o.now.text);
            rc = 2;
        } else if (!o.no_notify && cli.cfg.routes.n_channels == 0) {
            rc = notifier_cli_no_channel(
                "yuqingctl tickets", args.config_path ? args.config_path : "config/notifier.yaml",
                "值班室和各部门");
        } else if (ticket_flow_escalate(cli.store, now, &es)) {
            fprintf(stderr, "yuqingctl tickets: 催办失败 (escalate: %s)\n",
                    ticket_store_errmsg(cli.store));
            rc = 1;
        } else {
            printf("催办 %d 次，督办 %d 次，已排入 %d 条通知\n", es.reminders, es.supervisions,
                   es.notifications);
            rc = 0;
        }
    } else if (strcmp(words[0], "outbox") == 0) {
        rc = cmd_outbox(cli.store, &o);
    } else if (strcmp(words[0], "redeliver") == 0 && n == 2) {
        long id = 0;
        if (yq_cli_parse_long(words[1], 1, LONG_MAX, &id)) {
            fprintf(stderr, "yuqingctl tickets: redeliver 须给出通知编号 (needs a notification "
                            "id)\n");
            rc = 2;
        } else if (outbox_requeue(cli.store, id, yq_time_now())) {
            fprintf(stderr, "yuqingctl tickets: 没有发送失败的通知 %ld (no failed notification)\n",
                    id);
            rc = 1;
        } else {
            printf("通知 %ld 已重新排队\n", id);
            rc = 0;
        }
    } else if (n == 2) {
        rc = cmd_act(cli.store, &cli.cfg,
                     args.config_path ? args.config_path : "config/notifier.yaml", words[0],
                     words[1], &o);
    } else {
        fprintf(stderr, "yuqingctl tickets: 参数有误 (bad arguments)\n%s", usage);
        rc = 2;
    }
    notifier_cli_store_release(&cli);
    return rc;
}
