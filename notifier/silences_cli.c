#include "silences_cli.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notifier.h"
#include "silence.h"
#include "ticket_store.h"
#include "yq_cfg.h"
#include "yq_cli.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define PROG "yuqingctl silences"

static const char usage[] =
    "usage: yuqingctl silences COMMAND [ARGS] [--config FILE] [--db PATH]\n"
    "  add --kind rule|group|source|account|term --value V --reason TEXT\n"
    "      (--for 30m|24h|7d | --until 2026-12-31T00:00+08:00) --by NAME\n"
    "                    silence new alerts that match V until the expiry (at most 90 days)\n"
    "  list [--all] [--json]\n"
    "                    active silences, newest first (--all: also revoked and expired ones)\n"
    "  revoke ID --by NAME\n"
    "                    end a silence now\n"
    "  alerts [ID] [--limit N] [--json]\n"
    "                    the alerts a silence kept (all silences when ID is not given;\n"
    "                    newest first, at most N, default 50)\n"
    "  kinds: rule = a rule id (every rule of the alert must be silenced), group = a rule\n"
    "         group, source = a source id of sources.yaml, account = an author (WeChat and news:\n"
    "         also the 公众号 or site), term = a word in the title, text or matched terms\n"
    "  --config FILE  notifier config (default config/notifier.yaml): store.path\n"
    "  --db PATH      the ticket database (overrides the config); must exist\n";

/* The default and largest --limit of `silences alerts`. */
#define ALERTS_LIMIT_DEFAULT 50
#define ALERTS_LIMIT_MAX SILENCE_ALERTS_LIST_MAX_ROWS

struct opts {
    const char *config, *db, *kind, *value, *reason, *for_, *by;
    struct yq_cli_time until;
    struct yq_cli_long limit; /* default ALERTS_LIMIT_DEFAULT */
    bool all, json;
};

static const struct yq_cli_opt opt_table[] = {
    YQ_CLI_VALUE("--config", struct opts, config),
    YQ_CLI_VALUE("--db", struct opts, db),
    YQ_CLI_VALUE("--kind", struct opts, kind),
    YQ_CLI_VALUE("--value", struct opts, value),
    YQ_CLI_VALUE("--reason", struct opts, reason),
    YQ_CLI_VALUE("--for", struct opts, for_),
    YQ_CLI_TIME("--until", struct opts, until),
    YQ_CLI_VALUE("--by", struct opts, by),
    YQ_CLI_LONG("--limit", struct opts, limit, 1, ALERTS_LIMIT_MAX),
    YQ_CLI_FLAG("--all", struct opts, all),
    YQ_CLI_FLAG("--json", struct opts, json),
};

/*
 * A duration "N" + unit m (minutes), h (hours) or d (days), N >= 1, into *out (seconds).
 * Returns 0 or ERR_INVALID.
 */
static int parse_duration(const char *s, int64_t *out)
{
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    int64_t unit_s;

    if (end == s || n < 1 || n > 1000000 || !end || end[0] == '\0' || end[1] != '\0') {
        return ERR_INVALID;
    }
    switch (end[0]) {
    case 'm':
        unit_s = 60;
        break;
    case 'h':
        unit_s = 3600;
        break;
    case 'd':
        unit_s = 86400;
        break;
    default:
        return ERR_INVALID;
    }
    *out = (int64_t)n * unit_s;
    return 0;
}

/* A positive id (decimal), or 0 when s is not one. */
static int64_t parse_id(const char *s)
{
    long v = 0;

    return yq_cli_parse_long(s, 1, LONG_MAX, &v) == 0 ? (int64_t)v : 0;
}

/* Print j (a new reference, taken) as indented JSON on stdout. Returns 0 or 1. */
static int print_json(json_t *j)
{
    int rc = json_dumpf(j, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;
    putchar('\n');
    json_decref(j);
    return rc;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

/*
 * Open the store of o (--db, else the config's store.url or store.path). Returns 0, 1 or 2
 * (exit codes).
 */
static int open_store(const struct opts *o, struct ticket_store **out)
{
    struct notifier_cfg cfg;
    char err[512] = "";
    int rc = 0;

    memset(&cfg, 0, sizeof(cfg));
    if (o->db) {
        if (cfg_fill(ticket_store_cfg_keys, &cfg.store, NULL, NULL, err, sizeof(err))) {
            fprintf(stderr, "yuqingctl silences: %s\n", err);
            cfg_release(ticket_store_cfg_keys, &cfg.store);
            return 2;
        }
        free(cfg.store.path);
        cfg.store.path = strdup(o->db);
        if (!cfg.store.path) {
            cfg_release(ticket_store_cfg_keys, &cfg.store);
            return 1;
        }
    } else if (notifier_cfg_load(&cfg, o->config ? o->config : "config/notifier.yaml", NULL, 0,
                                 err, sizeof(err))) {
        fprintf(stderr, "yuqingctl silences: 配置有误 (config): %s\n", err);
        notifier_cfg_release(&cfg);
        return 2;
    }
    /* an operator's typo must not create an empty store and report "no silences"
       (a PostgreSQL store without the schema is refused by ticket_store_open) */
    const char *location = ticket_store_location(&cfg.store);
    const char *file = yq_db_sqlite_path(location);
    if (file && !yq_db_is_memory(location) && access(file, F_OK) != 0) {
        fprintf(stderr,
                "yuqingctl silences: 交办单库 '%s' 不存在：请检查 --db 或 store.path（新库用 "
                "yuqingctl store init 创建） (ticket store '%s' does not exist)\n",
                file, file);
        rc = 1;
    } else if (ticket_store_open(&cfg.store, out, err, sizeof(err))) {
        fprintf(stderr, "yuqingctl silences: %s\n", err);
        rc = 1;
    }
    if (o->db) {
        cfg_release(ticket_store_cfg_keys, &cfg.store);
    } else {
        notifier_cfg_release(&cfg);
    }
    return rc;
}

/* Exit code for err of a silence_* call (message from the store on stderr). */
static int failed(struct ticket_store *store, const char *what, int err)
{
    fprintf(stderr, "yuqingctl silences: %s: %s\n", what, ticket_store_errmsg(store));
    return err == ERR_INVALID ? 2 : 1;
}

static int cmd_add(const struct opts *o, int64_t now)
{
    struct ticket_store *store = NULL;
    enum silence_kind kind;
    int64_t expires_at = 0, id = 0, span = 0;
    char at[32];
    int rc, err;

    if (!o->kind || silence_kind_parse(o->kind, &kind)) {
        return yq_cli_usage_error(
            PROG, NULL,
            "--kind 须为 rule、group、source、account、term 之一 (--kind must be "
            "rule, group, source, account or term)");
    }
    if (!o->value || !o->reason || !o->by) {
        return yq_cli_usage_error(
            PROG, NULL,
            "add 需要 --value、--reason 和 --by (add needs --value, --reason and "
            "--by)");
    }
    if (!o->for_ == !o->until.set) {
        return yq_cli_usage_error(PROG, NULL,
                                  "add 需要 --for 或 --until 之一 (give one of --for and --until)");
    }
    if (o->for_) {
        if (parse_duration(o->for_, &span)) {
            return yq_cli_usage_error(
                PROG, NULL, "--for '%s' 须为时长，例如 30m、24h、7d (--for must be a duration)",
                o->for_);
        }
        expires_at = now + span;
    } else {
        expires_at = o->until.s;
    }
    rc = open_store(o, &store);
    if (rc) {
        return rc;
    }
    err = silence_add(store, kind, o->value, o->reason, o->by, expires_at, now, &id);
    if (err) {
        rc = failed(store, "无法添加屏蔽 (add)", err);
    } else {
        printf("已添加屏蔽 %lld：%s %s，至 %s\n", (long long)id, silence_kind_name(kind), o->value,
               yq_time_format_shanghai(expires_at, at, sizeof(at)));
    }
    ticket_store_free(store);
    return rc;
}

static int cmd_list(const struct opts *o, int64_t now)
{
    struct ticket_store *store = NULL;
    json_t *list = NULL, *s;
    size_t i;
    int rc, err;

    rc = open_store(o, &store);
    if (rc) {
        return rc;
    }
    err = silence_list(store, o->all, now, &list);
    if (err) {
        rc = failed(store, "无法读取屏蔽 (list)", err);
    } else if (o->json) {
        rc = print_json(list);
        list = NULL;
    } else if (json_array_size(list) == 0) {
        puts(o->all ? "没有屏蔽" : "没有生效的屏蔽");
    } else {
        puts("编号\t类型\t内容\t到期\t创建人\t命中\t状态\t原因");
        json_array_foreach(list, i, s)
        {
            const char *state = json_is_true(json_object_get(s, "active")) ? "生效"
                                : json_is_string(json_object_get(s, "revoked_at")) ? "已撤销"
                                                                                   : "已到期";
            printf("%lld\t%s\t%s\t%s\t%s\t%lld\t%s\t%s\n",
                   (long long)json_integer_value(json_object_get(s, "id")), str(s, "kind"),
                   str(s, "value"), str(s, "expires_at"), str(s, "created_by"),
                   (long long)json_integer_value(json_object_get(s, "hit_count")), state,
                   str(s, "reason"));
        }
    }
    json_decref(list);
    ticket_store_free(store);
    return rc;
}

static int cmd_revoke(const struct opts *o, const char *id_s, int64_t now)
{
    struct ticket_store *store = NULL;
    int64_t id = id_s ? parse_id(id_s) : 0;
    int rc, err;

    if (!id) {
        return yq_cli_usage_error(PROG, NULL, "revoke 须给出屏蔽编号 (revoke needs a silence id)");
    }
    if (!o->by) {
        return yq_cli_usage_error(PROG, NULL, "revoke 需要 --by (revoke needs --by)");
    }
    rc = open_store(o, &store);
    if (rc) {
        return rc;
    }
    err = silence_revoke(store, id, o->by, now);
    if (err) {
        rc = failed(store, "无法撤销屏蔽 (revoke)", err);
    } else {
        printf("已撤销屏蔽 %lld\n", (long long)id);
    }
    ticket_store_free(store);
    return rc;
}

static int cmd_alerts(const struct opts *o, const char *id_s)
{
    struct ticket_store *store = NULL;
    int64_t id = 0;
    json_t *list = NULL, *a;
    size_t i;
    int rc, err;

    if (id_s && !(id = parse_id(id_s))) {
        return yq_cli_usage_error(PROG, NULL, "'%s' 不是屏蔽编号 (not a silence id)", id_s);
    }
    rc = open_store(o, &store);
    if (rc) {
        return rc;
    }
    err = silence_alerts_list(store, id, (size_t)o->limit.v, &list);
    if (err) {
        rc = failed(store, "无法读取被屏蔽的告警 (alerts)", err);
    } else if (o->json) {
        rc = print_json(list);
        list = NULL;
    } else if (json_array_size(list) == 0) {
        puts("没有被屏蔽的告警");
    } else {
        puts("编号\t屏蔽\t时间\t级别\t来源\t作者\t标题");
        json_array_foreach(list, i, a)
        {
            printf("%lld\t%lld\t%s\t%s\t%s\t%s\t%s\n",
                   (long long)json_integer_value(json_object_get(a, "id")),
                   (long long)json_integer_value(json_object_get(a, "silence_id")), str(a, "at"),
                   str(a, "level"), str(a, "source_id"), str(a, "author"), str(a, "title"));
        }
    }
    json_decref(list);
    ticket_store_free(store);
    return rc;
}

int silences_cli_main(int argc, char **argv)
{
    struct opts o;
    const char *words[3] = {NULL, NULL, NULL};
    int64_t now = yq_time_now();
    int rc;

    memset(&o, 0, sizeof(o));
    o.limit.v = ALERTS_LIMIT_DEFAULT;
    rc = yq_cli_parse_cmd("yuqingctl silences", usage, argc, argv, 1, opt_table,
                          sizeof(opt_table) / sizeof(opt_table[0]), &o, words, 3);
    if (rc != 0) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    if (!words[0]) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(words[0], "add") == 0 && !words[1]) {
        return cmd_add(&o, now);
    }
    if (strcmp(words[0], "list") == 0 && !words[1]) {
        return cmd_list(&o, now);
    }
    if (strcmp(words[0], "revoke") == 0 && !words[2]) {
        return cmd_revoke(&o, words[1], now);
    }
    if (strcmp(words[0], "alerts") == 0 && !words[2]) {
        return cmd_alerts(&o, words[1]);
    }
    fprintf(stderr, "yuqingctl silences: 未知命令或多余的参数 '%s' (unknown command or extra "
                    "argument)\n%s",
            words[0], usage);
    return 2;
}
