#include "rules_cli.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "match.h"
#include "matcher.h"
#include "rules.h"
#include "rules_digest.h"
#include "rules_store.h"
#include "yq_cfg.h"
#include "yq_cli.h"
#include "yq_departments.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_item.h"
#include "yq_labels.h"
#include "yq_db.h"
#include "yq_store_location.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define PROG "yuqingctl rules"

#define CLI_MAX_TEXT_BYTES (16 * 1024 * 1024)

static const char cli_usage[] =
    "usage: yuqingctl rules push DIR [--by NAME] [--redis HOST:PORT | --config FILE]\n"
    "                            [--db TICKET_STORE | --notifier-config FILE] [--force]\n"
    "         a set that changes the live one is pushed only after 'yuqingctl rules backtest\n"
    "         DIR' recorded its report (7 days); the first push (no live set yet) and a push\n"
    "         of the live set unchanged need none; --force pushes anyway (recorded as forced)\n"
    "       yuqingctl rules backtest DIR [--since 30d] [--until TIME] [--archive DIR]\n"
    "                            [--live DIR] [--json] [--samples N] (see its --help)\n"
    "       yuqingctl rules list [--limit N] [--redis HOST:PORT | --config FILE]\n"
    "       yuqingctl rules test FILE|- [--dir DIR | --redis HOST:PORT | --config FILE]\n"
    "                            [--title TITLE] [--source S] [--source-id ID]\n"
    "                            [--local | --sources SOURCES_FILE]\n"
    "         --local: the text comes from a local source (rules marked local need no place\n"
    "         name); --sources with --source-id: take that source's local: flag from the\n"
    "         collector's sources file (e.g. config/sources.yaml)\n"
    "       yuqingctl rules validate DIR [--db TICKET_STORE | --notifier-config FILE]\n"
    "         check each rule's department against the office's department registry\n"
    "         (yuqingctl users dept-add) in the ticket store (--db, or store.url / store.path of the\n"
    "         notifier config: a relative store.path is taken from the current directory, as\n"
    "         yuqing-notifier takes it); without either, departments are not checked; push\n"
    "         checks them the same way and pushes nothing when one is unknown\n";

struct cli_opts {
    const char *sub;
    const char *arg; /* DIR or FILE */
    const char *by;
    const char *redis;
    const char *config;
    const char *dir;
    const char *title;
    const char *source;
    const char *source_id;
    const char *db;
    const char *notifier_config;
    const char *sources; /* the collector's sources file (rules test) */
    bool local;          /* --local (rules test) */
    bool force;          /* --force (rules push): push without a recorded backtest */
    struct yq_cli_long limit; /* --limit (rules list): default 20 */
    char redis_addr[300];     /* HOST:PORT the commands use (--redis, --config or the default) */
};

static int parse_opts(int argc, char **argv, struct cli_opts *o)
{
    static const struct yq_cli_opt opts[] = {
        YQ_CLI_VALUE("--by", struct cli_opts, by),
        YQ_CLI_VALUE("--redis", struct cli_opts, redis),
        YQ_CLI_VALUE("--config", struct cli_opts, config),
        YQ_CLI_VALUE("--dir", struct cli_opts, dir),
        YQ_CLI_VALUE("--title", struct cli_opts, title),
        YQ_CLI_VALUE("--source", struct cli_opts, source),
        YQ_CLI_VALUE("--source-id", struct cli_opts, source_id),
        YQ_CLI_VALUE("--db", struct cli_opts, db),
        YQ_CLI_VALUE("--notifier-config", struct cli_opts, notifier_config),
        YQ_CLI_VALUE("--sources", struct cli_opts, sources),
        YQ_CLI_LONG("--limit", struct cli_opts, limit, 1, LONG_MAX),
        YQ_CLI_FLAG("--local", struct cli_opts, local),
        YQ_CLI_FLAG("--force", struct cli_opts, force),
    };
    int rc;

    memset(o, 0, sizeof(*o));
    o->limit.v = 20;
    if (argc < 2) {
        return yq_cli_usage_error(PROG, cli_usage, "缺少子命令 (missing subcommand)");
    }
    o->sub = argv[1];
    rc = yq_cli_parse_cmd(PROG, cli_usage, argc, argv, 2, opts, sizeof(opts) / sizeof(opts[0]), o,
                          &o->arg, 1);
    return rc == ERR_INVALID ? YQ_CLI_EXIT_USAGE : rc;
}

int rules_cli_redis_addr(const char *addr, struct yq_redis_cfg *cfg)
{
    const char *colon = strrchr(addr, ':');
    long port = 6379;
    char *host;

    if (colon && yq_cli_parse_long(colon + 1, 1, 65535, &port) != 0) {
        return ERR_INVALID;
    }
    host = colon ? strndup(addr, (size_t)(colon - addr)) : strdup(addr);
    if (!host) {
        return ERR_NOMEM;
    }
    free(cfg->host);
    cfg->host = host;
    cfg->port = port;
    return 0;
}

/* Tell that Redis did not answer at the address tried, and how to give another one. */
static void redis_unreachable(const struct cli_opts *o, const char *what)
{
    fprintf(stderr,
            "%s：Redis %s 不可达 (Redis unreachable at %s); 用 --redis 主机:端口 指定地址 "
            "(give --redis HOST:PORT; the demo's Redis is --redis 127.0.0.1:16379)\n",
            what, o->redis_addr, o->redis_addr);
}

/* Redis settings from --config or --redis (default 127.0.0.1:6379) into cfg and
 * o->redis_addr. Returns 0 or 1/2. */
static int redis_cfg(struct cli_opts *o, struct matcher_cfg *cfg)
{
    char err[1024] = "";
    int rc = matcher_cfg_load(o->config, NULL, 0, cfg, err, sizeof(err));

    if (rc) {
        fprintf(stderr, "yuqingctl rules: %s\n", err);
        return 1;
    }
    rc = o->redis ? rules_cli_redis_addr(o->redis, &cfg->redis) : 0;
    if (rc == ERR_INVALID) {
        return yq_cli_usage_error(
            PROG, cli_usage, "--redis 须为 主机:端口，而不是 '%s' (needs HOST:PORT)", o->redis);
    }
    snprintf(o->redis_addr, sizeof(o->redis_addr), "%s:%" PRId64,
             cfg->redis.host ? cfg->redis.host : "127.0.0.1", cfg->redis.port);
    return rc ? 1 : 0;
}

/*
 * Check every rule's department against the registry (table web_departments) of the ticket
 * store at path. Returns 0 (all registered, or no registry: said on stderr), 1 (the store
 * cannot be read) or 2 (an unknown department: named with the known ones on stderr).
 */
static int check_departments(const struct rule_set *rs, const char *path)
{
    struct yq_db *db = NULL;
    struct yq_departments reg;
    char known[2048], err[256], where[512];
    int bad = 0;

    yq_db_redact(path, where, sizeof(where)); /* a URL's password never reaches a message */
    if (yq_db_open(path, YQ_DB_READONLY_OPEN, 5000, &db, NULL, 0) != 0 ||
        yq_departments_read(db, &reg, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl rules: 无法读取工单库 cannot read the ticket store '%s'\n",
                where);
        yq_db_close(db);
        return 1;
    }
    yq_db_close(db);
    if (reg.n == 0) {
        fprintf(stderr, "yuqingctl rules: 工单库 '%s' 没有部门登记表，未核对部门; the store keeps "
                        "no department registry: departments not checked\n", where);
    }
    yq_departments_join(&reg, known, sizeof(known));
    for (size_t i = 0; reg.n > 0 && i < rs->n_rules; i++) {
        if (!yq_departments_has(&reg, rs->rules[i].department)) {
            fprintf(stderr, "yuqingctl rules: 规则 '%s' 的部门 '%s' 未登记 (yuqingctl users "
                            "dept-add); rule '%s': unknown department '%s'; known (已登记): %s\n",
                    rs->rules[i].id, rs->rules[i].department, rs->rules[i].id,
                    rs->rules[i].department, known);
            bad = 1;
        }
    }
    yq_departments_release(&reg);
    return bad ? 2 : 0;
}

/*
 * Check rs's departments against the registry of the ticket store of --db, or else of
 * store.url or store.path of --notifier-config (relative to the current directory, as yuqing-notifier
 * opens it: the notifier never resolves it against the config's directory); without either
 * say they were not checked. validate and push both use it (issue #11: push let a rule's
 * 市自然资源 without 局 through). Returns 0 (checked, no registry, or not checked), 1 (the
 * store or config cannot be read) or 2 (an unknown department, named on stderr).
 */
static int departments_check(const struct rule_set *rs, const struct cli_opts *o)
{
    char err[1024] = "";

    if (o->db) {
        return check_departments(rs, o->db);
    }
    if (o->notifier_config) {
        /* the store of the notifier config (store.url, else store.path); a missing file has no
           registry */
        struct cfg_doc doc;
        const char *path = NULL;
        int rc = 0;

        memset(&doc, 0, sizeof(doc));
        if (cfg_doc_load(&doc, o->notifier_config, NULL, 0, err, sizeof(err)) != 0) {
            fprintf(stderr, "yuqingctl rules: 无法读取通知配置 (%s)\n", err);
            rc = 2;
        } else {
            path = yq_store_location_doc(&doc); /* store.url, else store.path */
            if (!path || yq_store_location_check(path, NULL, 0) != 0) {
                fprintf(stderr,
                        "yuqingctl rules: 没有工单库 '%s'（%s 的 store.url 或 store.path；相对路径"
                        "与 yuqing-notifier 一样从当前目录算起），未核对部门；请用 --db 指定工单库"
                        "（演示环境为 --db .demo/tickets.db） (no ticket store '%s': "
                        "departments not checked)\n",
                        path ? path : "", o->notifier_config, path ? path : "");
            } else {
                rc = check_departments(rs, path);
            }
        }
        cfg_doc_release(&doc);
        return rc;
    }
    fprintf(stderr, "yuqingctl rules: 未核对部门：请用 --db 指定工单库或用 --notifier-config 指定"
                    "通知配置 (departments not checked: give --db TICKET_STORE or "
                    "--notifier-config FILE)\n");
    return 0;
}

static int cmd_validate(const struct cli_opts *o)
{
    struct rule_set *rs = NULL;
    char err[1024] = "";
    int rc;

    if (!o->arg) {
        return yq_cli_usage_error(PROG, cli_usage, "validate 须给出规则目录 (needs a DIR)");
    }
    if (rule_set_load_dir(o->arg, &rs, err, sizeof(err)) != 0) {
        fprintf(stderr, PROG ": 规则集有误 (invalid rule set): %s\n", err);
        return 1;
    }
    rc = departments_check(rs, o);
    if (rc) {
        rule_set_free(rs);
        return rc;
    }
    printf("规则集 '%s' 有效：%zu 条规则，%zu 个规则组，%zu 个排除词\n", o->arg, rs->n_rules,
           rs->n_groups, rs->n_exclude);
    rule_set_free(rs);
    return 0;
}

/*
 * Whether the backtest record rec (the JSON summary rules_backtest_record_put stored) was made
 * against the live set whose digest is live_digest ("" when it could not be read: never) and
 * scanned at least one item.
 */
static bool record_matches_live(const char *rec, const char *live_digest)
{
    json_t *j = json_loads(rec, 0, NULL);
    const char *d = json_string_value(json_object_get(j, "live_digest"));
    json_int_t scanned = json_integer_value(json_object_get(j, "items_scanned"));
    bool ok = live_digest[0] && d && strcmp(d, live_digest) == 0 && scanned > 0;

    json_decref(j);
    return ok;
}

/*
 * The push gate (issue #14): a set that changes the live one is pushed only when a backtest of
 * it (its digest, rules_digest.h) is recorded in Redis, made against the current live set (the
 * record's live_digest) and over at least one item, or with --force. No gate for the first
 * push (no live set: there is nothing to compare with and the archive may be empty) or for the
 * live set unchanged. digest: gets rs's digest. *forced: true when pushed by --force alone.
 * Returns 0 (push), 1 (refused or Redis unreadable: said on stderr).
 */
static int backtest_gate(const struct cli_opts *o, struct yq_redis *r, const struct rule_set *rs,
                         char digest[RULES_DIGEST_HEX_LEN + 1], bool *forced)
{
    const char *dir = o->arg;
    bool force = o->force;
    char live_digest[RULES_DIGEST_HEX_LEN + 1], err[1024] = "", *rec = NULL;
    struct rule_set *live = NULL;
    int64_t current = 0;
    int rc;

    *forced = false;
    if (rule_set_digest(rs, digest) != 0) {
        fprintf(stderr, "yuqingctl rules: 内存不足 (out of memory)\n");
        return 1;
    }
    if (rules_store_current(r, &current) != 0) {
        redis_unreachable(o, "推送失败 (push failed): 无法读取当前规则版本");
        return 1;
    }
    if (current == 0) {
        return 0;
    }
    live_digest[0] = '\0';
    rc = rules_store_load(r, current, &live, err, sizeof(err));
    if (rc == 0 && rule_set_digest(live, live_digest) != 0) {
        live_digest[0] = '\0';
    }
    rule_set_free(live);
    if (!live_digest[0] && !force) {
        fprintf(stderr, PROG ": 推送失败 (push failed): 无法读取线上规则集第 %" PRId64 " 版: %s\n",
                current, err[0] ? err : "out of memory");
        return 1;
    }
    if (live_digest[0] && strcmp(live_digest, digest) == 0) {
        return 0;
    }
    rc = rules_backtest_record_get(r, digest, &rec);
    if (rc == 0) {
        bool stale = !record_matches_live(rec, live_digest);
        free(rec);
        if (!stale) {
            return 0;
        }
        if (force) {
            *forced = true;
            return 0;
        }
        fprintf(stderr,
                PROG ": 规则集的回测基于旧的线上版本: run the backtest again "
                     "(规则集摘要 digest %.12s 的回测不是对比当前线上版本 %" PRId64 " 做的，未推送 "
                     "not pushed)\n",
                digest, current);
        return 1;
    }
    if (rc != ERR_NOT_FOUND) {
        redis_unreachable(o, "推送失败 (push failed): 无法读取回测记录");
        return 1;
    }
    if (force) {
        *forced = true;
        return 0;
    }
    fprintf(stderr,
            PROG ": 规则集未经回测: run yuqingctl rules backtest %s first, or push with --force "
                 "(规则集摘要 digest %.12s 没有回测记录，未推送 not pushed)\n",
            dir, digest);
    return 1;
}

static int cmd_push(const struct cli_opts *o, struct yq_redis *r)
{
    struct rule_set *rs = NULL;
    const char *by = o->by ? o->by : getenv("USER");
    char err[1024] = "", digest[RULES_DIGEST_HEX_LEN + 1];
    int64_t version = 0;
    bool forced = false;
    int rc;

    if (rule_set_load_dir(o->arg, &rs, err, sizeof(err)) != 0) {
        fprintf(stderr, PROG ": 规则集有误，未推送 (invalid rule set, not pushed): %s\n", err);
        return 1;
    }
    rc = departments_check(rs, o);
    if (rc) {
        fprintf(stderr, "yuqingctl rules: 未推送 (not pushed)\n");
        rule_set_free(rs);
        return rc;
    }
    rc = backtest_gate(o, r, rs, digest, &forced);
    if (rc) {
        rule_set_free(rs);
        return rc;
    }
    rc = rules_store_push(r, rs, by ? by : "unknown", yq_time_now(), &version, err, sizeof(err));
    if (rc) {
        fprintf(stderr, PROG ": 推送失败 (push failed): %s\n", err);
    } else {
        printf("已推送规则集第 %" PRId64 " 版（%zu 条规则）%s\n", version, rs->n_rules,
               forced ? "，强制推送：未经回测 (forced, no backtest)" : "");
        if (forced &&
            rules_forced_push_record(r, version, digest, by ? by : "unknown", yq_time_now()) != 0) {
            fprintf(stderr, "yuqingctl rules: 无法记录强制推送 (cannot record the forced push in "
                            "%s)\n", RULES_KEY_FORCED);
        }
    }
    rule_set_free(rs);
    return rc ? 1 : 0;
}

static int cmd_list(const struct cli_opts *o, struct yq_redis *r)
{
    struct rules_history_entry *h = NULL;
    size_t n = 0;
    int64_t current = 0;

    if (rules_store_current(r, &current) != 0 ||
        rules_store_history(r, (size_t)o->limit.v, &h, &n) != 0) {
        if (!yq_redis_is_up(r)) {
            redis_unreachable(o, "无法读取规则集历史 (cannot read rule set history)");
        } else {
            fprintf(stderr, "无法读取规则集历史：数据有误 (cannot read rule set history)\n");
        }
        return 1;
    }
    if (n == 0) {
        printf("还没有推送过规则集\n");
    } else {
        /* issue #11: Chinese headings, padded by display width; times in Beijing time */
        char h1[64], h2[64], h3[64], h4[64];
        printf("%s %s %s %s %s\n", yq_text_pad("当前", 4, h1, sizeof(h1)),
               yq_text_pad("版本", 6, h2, sizeof(h2)), yq_text_pad("推送时间", 16, h3, sizeof(h3)),
               yq_text_pad("推送人", 16, h4, sizeof(h4)), "规则数");
    }
    for (size_t i = 0; i < n; i++) {
        char by[256]; /* who pushed may be Chinese (--by 值班员): padded by display width */
        char at[32];
        int64_t t = 0;
        if (!h[i].pushed_at || yq_time_parse_iso(h[i].pushed_at, &t, NULL) != 0) {
            snprintf(at, sizeof(at), "%s", h[i].pushed_at ? h[i].pushed_at : "");
        } else {
            yq_time_format_shanghai(t, at, sizeof(at));
        }
        printf("%-4s %-6" PRId64 " %-16s %s %" PRId64 "\n", h[i].version == current ? "*" : "",
               h[i].version, at, yq_text_pad(h[i].pushed_by, 16, by, sizeof(by)), h[i].n_rules);
    }
    rules_history_free(h, n);
    return 0;
}

static void print_matches(const struct rule_set *rs, const struct match_result *mr,
                          const struct yq_item *item)
{
    if (mr->excluded_by) {
        printf("已排除：含全局排除词“%s”，不触发任何规则\n", mr->excluded_by);
        return;
    }
    if (mr->n_rules == 0) {
        printf("没有规则命中\n");
        return;
    }
    for (size_t i = 0; i < mr->n_rules; i++) {
        const struct rule *r = &rs->rules[mr->rules[i].rule];
        printf("命中规则 %s（%s）：规则组 %s，级别 %s %s，%s\n", r->name, r->id, r->group,
               yq_level_name(r->level), yq_level_label(r->level), r->department);
        for (size_t h = 0; h < mr->rules[i].n_hits; h++) {
            const struct match_hit *hit = &mr->rules[i].hits[h];
            const char *src = hit->field == MATCH_FIELD_TITLE ? item->title : item->text;
            char *excerpt = NULL;
            if (match_excerpt(src ? src : "", hit->start, hit->end, &excerpt) != 0) {
                excerpt = NULL;
            }
            printf("  %s %s [%zu,%zu) “%s”\n", rs->terms[hit->term],
                   yq_label(YQ_LABEL_RULE_SCOPE, match_field_name(hit->field)), hit->start,
                   hit->end, excerpt ? excerpt : "");
            free(excerpt);
        }
    }
}

/*
 * The local: flag of the source with this id in the collector's sources file (its sources:
 * list, collector_cfg.h; default false). Returns 0, or 1 with a message on stderr (file
 * unreadable, no such source, bad flag).
 */
static int source_is_local(const char *file, const char *id, bool *out)
{
    struct cfg_doc doc;
    yaml_node_t *list;
    char err[512] = "";
    int rc = 1;

    *out = false;
    if (cfg_doc_load(&doc, file, NULL, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl rules: 无法读取来源配置 (cannot read sources file): %s\n", err);
        cfg_doc_release(&doc);
        return 1;
    }
    list = cfg_doc_root(&doc) ? cfg_map_get(&doc, cfg_doc_root(&doc), "sources") : NULL;
    for (yaml_node_item_t *it = list && list->type == YAML_SEQUENCE_NODE
                                    ? list->data.sequence.items.start
                                    : NULL;
         it && it < list->data.sequence.items.top; it++) {
        yaml_node_t *src = cfg_doc_node(&doc, *it);
        const char *sid = src && src->type == YAML_MAPPING_NODE
                              ? cfg_scalar(cfg_map_get(&doc, src, "id"))
                              : NULL;
        const char *local;
        if (!sid || strcmp(sid, id) != 0) {
            continue;
        }
        local = cfg_scalar(cfg_map_get(&doc, src, "local"));
        if (local && cfg_parse_value(CFG_BOOL, local, 0, 0, out) != 0) {
            fprintf(stderr, "yuqingctl rules: 来源 '%s' 的 local 取值有误：'%s' (bad local flag)\n",
                    id, local);
        } else {
            rc = 0;
        }
        goto done;
    }
    fprintf(stderr, "yuqingctl rules: 来源配置 '%s' 中没有来源 '%s' (no such source)\n", file, id);
done:
    cfg_doc_release(&doc);
    return rc;
}

static int cmd_test(const struct cli_opts *o, struct yq_redis *r)
{
    struct rule_set *rs = NULL;
    struct yq_item item;
    struct match_result mr;
    struct match_scratch *ms;
    char err[1024] = "", *text = NULL;
    size_t len = 0;
    int rc;

    memset(&item, 0, sizeof(item));
    if (!o->arg) {
        return yq_cli_usage_error(PROG, cli_usage, "test 须给出文件或 '-' (needs a FILE or '-')");
    }
    if (o->sources && !o->source_id) {
        return yq_cli_usage_error(PROG, cli_usage,
                                  "--sources 须与 --source-id 一起给出 (needs --source-id)");
    }
    if (o->sources && o->local) {
        return yq_cli_usage_error(PROG, cli_usage,
                                  "--local 与 --sources 只能给一个 (give one of them)");
    }
    item.local = o->local;
    if (o->sources && source_is_local(o->sources, o->source_id, &item.local) != 0) {
        return 1;
    }
    if (strcmp(o->arg, "-") == 0) {
        rc = yq_fs_read_file("/dev/stdin", CLI_MAX_TEXT_BYTES, &text, &len);
    } else {
        rc = yq_fs_read_file(o->arg, CLI_MAX_TEXT_BYTES, &text, &len);
    }
    if (rc) {
        return yq_cli_cannot_read(PROG, o->arg, rc);
    }
    if (o->dir) {
        rc = rule_set_load_dir(o->dir, &rs, err, sizeof(err));
    } else {
        rc = rules_store_load(r, 0, &rs, err, sizeof(err));
    }
    if (rc && !o->dir && !yq_redis_is_up(r)) {
        redis_unreachable(o, "无法加载规则 (cannot load rules)");
        free(text);
        return 1;
    }
    if (rc) {
        fprintf(stderr, PROG ": 无法加载规则 (cannot load rules): %s\n", err);
        free(text);
        return 1;
    }
    item.text = text;
    item.title = (char *)(o->title ? o->title : "");
    item.source = (char *)o->source;
    item.source_id = (char *)o->source_id;
    ms = match_scratch_new();
    rc = ms ? match_item(rs, ms, &item, &mr) : ERR_NOMEM;
    match_scratch_free(ms);
    if (rc == 0) {
        if (rs->version) {
            printf("规则集第 %" PRId64 " 版（%zu 条规则）\n", rs->version, rs->n_rules);
        } else {
            printf("规则集 '%s'（%zu 条规则）\n", rs->source ? rs->source : "", rs->n_rules);
        }
        if (item.local) {
            printf("按本地来源测试：标为本地的规则无需地名\n");
        }
        print_matches(rs, &mr, &item);
    } else {
        fprintf(stderr, PROG ": 匹配失败 (matching failed: %s)\n", yq_strerror(rc));
    }
    match_result_release(&mr);
    rule_set_free(rs);
    free(text);
    return rc ? 1 : 0;
}

int rules_cli_main(int argc, char **argv)
{
    struct cli_opts o;
    struct matcher_cfg cfg;
    struct yq_redis *r = NULL;
    int rc;

    rc = parse_opts(argc, argv, &o);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : rc;
    }
    if (strcmp(o.sub, "help") == 0 || strcmp(o.sub, "--help") == 0 || strcmp(o.sub, "-h") == 0) {
        fputs(cli_usage, stdout);
        return 0;
    }
    if (strcmp(o.sub, "validate") == 0) {
        return cmd_validate(&o);
    }
    if (strcmp(o.sub, "push") != 0 && strcmp(o.sub, "list") != 0 && strcmp(o.sub, "test") != 0) {
        return yq_cli_usage_error(PROG, cli_usage, "未知子命令 '%s' (unknown subcommand)", o.sub);
    }
    if (strcmp(o.sub, "push") == 0 && !o.arg) {
        return yq_cli_usage_error(PROG, cli_usage, "push 须给出规则目录 (needs a DIR)");
    }
    if (strcmp(o.sub, "list") == 0 && o.arg) {
        return yq_cli_usage_error(PROG, cli_usage, "list 不带参数，却给了 '%s' (takes no argument)",
                                  o.arg);
    }
    rc = redis_cfg(&o, &cfg);
    if (rc == 0) {
        r = yq_redis_new(&cfg.redis);
        if (!r) {
            rc = 1;
        }
    }
    if (rc == 0) {
        if (strcmp(o.sub, "push") == 0) {
            rc = cmd_push(&o, r);
        } else if (strcmp(o.sub, "list") == 0) {
            rc = cmd_list(&o, r);
        } else {
            rc = cmd_test(&o, r);
        }
    }
    yq_redis_free(r);
    matcher_cfg_release(&cfg);
    return rc;
}
