#include "backtest_cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "archive_backtest.h"
#include "matcher.h"
#include "rules.h"
#include "rules_cli.h"
#include "rules_digest.h"
#include "rules_store.h"
#include "yq_json.h"
#include "yq_cfg.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define PROG "yuqingctl rules backtest"

#define DEFAULT_SINCE_DAYS 30
#define DEFAULT_THREADS 2

static const char bt_usage[] =
    "usage: yuqingctl rules backtest DIR [--since 30d|TIME] [--until TIME|Nd]\n"
    "                            [--archive DIR | --config FILE] [--live DIR]\n"
    "                            [--redis HOST:PORT] [--json] [--samples N] [--threads N]\n"
    "                            [--narrow none|terms]\n"
    "  run the rules of DIR over the archived items of the range next to the live rule set\n"
    "  (Redis, or --live DIR) and report per rule: hits, events, hits gained and lost, samples;\n"
    "  the report is recorded in Redis for 7 days under the set's digest, which lets\n"
    "  'yuqingctl rules push DIR' through. --config: a YAML file whose archive.dir names the\n"
    "  archive (and whose redis: section gives Redis). Times: RFC 3339 or Nd / Nh before now;\n"
    "  a date alone is Beijing time, --until 2026-11-30 counting to the end of that day.\n";

struct bt_opts {
    const char *dir;
    struct yq_cli_time since; /* default DEFAULT_SINCE_DAYS before now */
    struct yq_cli_time until; /* default now */
    const char *archive;
    const char *config;
    const char *live;
    const char *redis;
    struct yq_cli_long samples; /* default BACKTEST_DEFAULT_SAMPLES */
    struct yq_cli_long threads; /* default DEFAULT_THREADS */
    const char *narrow;
    bool json;
};

/*
 * Archive location and Redis address from --config FILE: archive.dir, redis.host, redis.port.
 * arch/host: new strings or NULL (free()). Returns 0 or 1 (said on stderr).
 */
static int read_config(const char *file, char **arch, char **host, int64_t *port)
{
    struct cfg_doc doc;
    yaml_node_t *root, *a, *r;
    const char *dir, *h, *p;
    char err[512] = "";
    int rc = 1;

    *arch = *host = NULL;
    memset(&doc, 0, sizeof(doc));
    if (cfg_doc_load(&doc, file, NULL, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl rules backtest: 无法读取配置 (cannot read config): %s\n", err);
        goto done;
    }
    root = cfg_doc_root(&doc);
    a = root ? cfg_map_get(&doc, root, "archive") : NULL;
    dir = a ? cfg_scalar(cfg_map_get(&doc, a, "dir")) : NULL;
    if (!dir || !dir[0]) {
        fprintf(stderr, "yuqingctl rules backtest: 配置 '%s' 没有 archive.dir (no archive.dir)\n",
                file);
        goto done;
    }
    r = root ? cfg_map_get(&doc, root, "redis") : NULL;
    h = r ? cfg_scalar(cfg_map_get(&doc, r, "host")) : NULL;
    p = r ? cfg_scalar(cfg_map_get(&doc, r, "port")) : NULL;
    if (p) {
        long v;
        if (yq_cli_parse_long(p, 1, 65535, &v) != 0) {
            fprintf(stderr, "yuqingctl rules backtest: 配置 '%s' 的 redis.port 有误 (bad port)\n",
                    file);
            goto done;
        }
        *port = v;
    }
    *arch = strdup(dir);
    *host = h ? strdup(h) : NULL;
    rc = *arch && (!h || *host) ? 0 : 1;
done:
    cfg_doc_release(&doc);
    return rc;
}

/* --- output --------------------------------------------------------------------------- */

static void print_num(size_t v, size_t width)
{
    char num[32], buf[64];
    snprintf(num, sizeof(num), "%zu", v);
    fputs(yq_text_pad_left(num, width, buf, sizeof(buf)), stdout);
}

/* The five count columns of one row (a rule's, the totals' or a day's), then the line's end. */
static void print_counts(size_t draft_hits, size_t live_hits, size_t gained, size_t lost,
                         size_t events)
{
    print_num(draft_hits, 10);
    print_num(live_hits, 10);
    print_num(gained, 10);
    print_num(lost, 10);
    print_num(events, 10);
    putchar('\n');
}

static void print_samples(const char *label, const struct backtest_sample *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char at[32], id[256], title[1024]; /* feed text: no control character is printed */
        yq_time_format_shanghai(s[i].time_s, at, sizeof(at));
        printf("    %s %s %s  %s", label, at, yq_text_printable(s[i].item_id, id, sizeof(id)),
               yq_text_printable(s[i].title, title, sizeof(title)));
        for (size_t k = 0; k < s[i].n_terms; k++) {
            printf("%s%s", k == 0 ? "  [" : ", ", s[i].terms[k]);
        }
        printf("%s\n", s[i].n_terms ? "]" : "");
    }
}

static void print_table(const struct backtest_report *r, const char *dir, const char *live_dir)
{
    char since[32], until[32], h[64];

    printf("规则回测：草案 '%s'（摘要 %.12s）", dir, r->draft_digest);
    if (r->live_digest[0] && r->live_version) {
        printf(" 对比 现行规则集第 %" PRId64 " 版（摘要 %.12s）\n", r->live_version,
               r->live_digest);
    } else if (r->live_digest[0]) {
        printf(" 对比 '%s'（摘要 %.12s）\n", live_dir ? live_dir : "", r->live_digest);
    } else {
        printf("，没有现行规则集\n");
    }
    printf("时间范围 %s 至 %s（北京时间），扫描 %zu 条，草案命中 %zu 条，现行命中 %zu 条，"
           "用时 %.1f 秒\n\n",
           yq_time_format_shanghai(r->since_s, since, sizeof(since)),
           yq_time_format_shanghai(r->until_s, until, sizeof(until)), r->items_scanned,
           r->items_draft, r->items_live, r->elapsed_s);
    fputs(yq_text_pad("规则", 16, h, sizeof(h)), stdout);
    fputs(yq_text_pad(" 名称", 24, h, sizeof(h)), stdout);
    printf("  草案命中  现行命中      新增      减少      事件\n");
    for (size_t u = 0; u < r->n_rules; u++) {
        const struct backtest_rule *x = &r->rules[u];
        char id[128], name[160];
        snprintf(name, sizeof(name), " %s%s", x->name,
                 !x->in_live    ? "（新）"
                 : !x->in_draft ? "（删）"
                                : "");
        fputs(yq_text_pad(x->rule_id, 16, id, sizeof(id)), stdout);
        fputs(yq_text_pad(name, 24, h, sizeof(h)), stdout);
        print_counts(x->draft_hits, x->live_hits, x->gained, x->lost, x->events);
        print_samples("+", x->samples[BACKTEST_GAINED], x->n_samples[BACKTEST_GAINED]);
        print_samples("-", x->samples[BACKTEST_LOST], x->n_samples[BACKTEST_LOST]);
    }
    fputs(yq_text_pad("合计", 16, h, sizeof(h)), stdout);
    fputs(yq_text_pad("", 24, h, sizeof(h)), stdout);
    print_counts(r->draft_hits, r->live_hits, r->gained, r->lost, r->events);
    printf("（+ 新增：草案命中而现行未命中；- 减少：现行命中而草案未命中）\n");
    if (r->n_days == 0) {
        return;
    }
    /* the days with items, by archive time in Beijing time (struct backtest_day) */
    putchar('\n');
    fputs(yq_text_pad("按日（北京时间）", 16, h, sizeof(h)), stdout);
    printf("      扫描  草案命中  现行命中      新增      减少\n");
    for (size_t i = 0; i < r->n_days; i++) {
        const struct backtest_day *d = &r->days[i];
        char day[32];
        yq_time_format_shanghai(d->start_s, day, sizeof(day));
        day[10] = '\0'; /* the date of the day's 00:00 */
        fputs(yq_text_pad(day, 16, h, sizeof(h)), stdout);
        print_counts(d->items_scanned, d->draft_hits, d->live_hits, d->gained, d->lost);
    }
}

/* --- main ----------------------------------------------------------------------------- */

static int parse(int argc, char **argv, struct bt_opts *o)
{
    static const struct yq_cli_opt opts[] = {
        /* "Nd" / "Nh": at most YQ_CLI_AGO_MAX_DAYS, a typo guard, not a limit of the engine */
        YQ_CLI_TIME_AGO("--since", struct bt_opts, since),
        YQ_CLI_TIME_AGO("--until", struct bt_opts, until),
        YQ_CLI_VALUE("--archive", struct bt_opts, archive),
        YQ_CLI_VALUE("--config", struct bt_opts, config),
        YQ_CLI_VALUE("--live", struct bt_opts, live),
        YQ_CLI_VALUE("--redis", struct bt_opts, redis),
        YQ_CLI_LONG("--samples", struct bt_opts, samples, 0, BACKTEST_MAX_SAMPLES),
        YQ_CLI_LONG("--threads", struct bt_opts, threads, 1, BACKTEST_MAX_THREADS),
        YQ_CLI_VALUE("--narrow", struct bt_opts, narrow),
        YQ_CLI_FLAG("--json", struct bt_opts, json),
    };
    int64_t now = yq_time_now();
    int rc;

    memset(o, 0, sizeof(*o));
    o->since.s = now - (int64_t)DEFAULT_SINCE_DAYS * 86400;
    o->until.s = now;
    o->samples.v = BACKTEST_DEFAULT_SAMPLES;
    o->threads.v = DEFAULT_THREADS;
    rc = yq_cli_parse_cmd(PROG, bt_usage, argc, argv, 2, opts, sizeof(opts) / sizeof(opts[0]), o,
                          &o->dir, 1);
    if (rc == 0 && o->until.set) {
        /* a date alone counts to the end of that Beijing day, as in a search (GET /api/search) */
        (void)yq_time_parse_until(o->until.text, &o->until.s); /* "Nd" / "Nh": kept as parsed */
    }
    return rc == ERR_INVALID ? YQ_CLI_EXIT_USAGE : rc;
}

int backtest_cli_main(int argc, char **argv)
{
    struct bt_opts o;
    struct matcher_cfg mcfg;
    struct yq_redis *r = NULL;
    struct rule_set *draft = NULL, *live = NULL;
    struct archive *arcs[BACKTEST_MAX_THREADS] = {0};
    struct backtest_report rep;
    struct backtest_opts bo;
    char err[1024] = "", *arch_dir = NULL, *cfg_host = NULL;
    int64_t cfg_port = 0;
    size_t n_arcs = 0;
    bool have_mcfg = false;
    int rc;

    memset(&rep, 0, sizeof(rep));
    memset(&bo, 0, sizeof(bo));
    rc = parse(argc, argv, &o);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : rc;
    }
    if (!o.dir) {
        return yq_cli_usage_error(PROG, bt_usage, "须给出规则目录 (needs a DIR)");
    }
    if (!o.archive == !o.config) {
        return yq_cli_usage_error(PROG, bt_usage,
                                  "须给出 --archive DIR 或 --config FILE 之一 (give one of them)");
    }
    if (o.narrow && strcmp(o.narrow, "none") != 0 && strcmp(o.narrow, "terms") != 0) {
        return yq_cli_usage_error(PROG, bt_usage, "--narrow 须为 none 或 terms，而不是 '%s'",
                                  o.narrow);
    }
    bo.narrowing =
        o.narrow && strcmp(o.narrow, "terms") == 0 ? BACKTEST_NARROW_TERMS : BACKTEST_NARROW_NONE;
    bo.samples = (size_t)o.samples.v;
    bo.until_s = o.until.s;
    bo.since_s = o.since.s;
    if (bo.since_s <= 0 || bo.since_s >= bo.until_s) {
        return yq_cli_usage_error(PROG, bt_usage,
                                  "时间范围为空：--since 须早于 --until (empty range)");
    }
    if (o.config && read_config(o.config, &arch_dir, &cfg_host, &cfg_port) != 0) {
        rc = 1;
        goto done;
    }
    if (matcher_cfg_load(NULL, NULL, 0, &mcfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl rules backtest: %s\n", err);
        rc = 1;
        goto done;
    }
    have_mcfg = true;
    if (cfg_host) {
        free(mcfg.redis.host);
        mcfg.redis.host = cfg_host;
        cfg_host = NULL;
    }
    if (cfg_port) {
        mcfg.redis.port = cfg_port;
    }
    if (o.redis && rules_cli_redis_addr(o.redis, &mcfg.redis) != 0) {
        rc = yq_cli_usage_error(PROG, bt_usage,
                                "--redis 须为 主机:端口，而不是 '%s' (needs HOST:PORT)", o.redis);
        goto done;
    }
    r = yq_redis_new(&mcfg.redis);
    if (!r) {
        rc = 1;
        goto done;
    }
    rc = rule_set_load_dir(o.dir, &draft, err, sizeof(err));
    if (rc) {
        fprintf(stderr, PROG ": 规则集有误 (invalid rule set): %s\n", err);
        rc = 1;
        goto done;
    }
    if (o.live) {
        rc = rule_set_load_dir(o.live, &live, err, sizeof(err));
    } else {
        rc = rules_store_load(r, 0, &live, err, sizeof(err));
        if (rc == ERR_NOT_FOUND) {
            live = NULL; /* no live set yet: every draft hit is gained */
            rc = 0;
        }
    }
    if (rc) {
        fprintf(stderr, PROG ": 无法加载现行规则集 (cannot load the live rule set): %s\n", err);
        rc = 1;
        goto done;
    }
    for (long i = 0; i < o.threads.v; i++) {
        struct archive_open_opts ao = {.flags = ARCHIVE_READONLY};
        rc = archive_open(o.archive ? o.archive : arch_dir, &ao, &arcs[i], err, sizeof(err));
        if (rc) {
            fprintf(stderr, PROG ": 无法打开归档 (cannot open the archive): %s\n", err);
            rc = 1;
            goto done;
        }
        n_arcs++;
    }
    rc = archive_backtest_run(arcs, n_arcs, draft, live, &bo, &rep, err, sizeof(err));
    if (rc) {
        fprintf(stderr, PROG ": 回测失败 (backtest failed): %s\n", err);
        rc = 1;
        goto done;
    }
    if (o.json) {
        json_t *j = NULL;
        if (backtest_report_json(&rep, true, &j) != 0 ||
            json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
            json_decref(j);
            rc = 1;
            goto done;
        }
        putchar('\n');
        json_decref(j);
    } else {
        print_table(&rep, o.dir, o.live);
    }
    if (rep.items_scanned == 0) {
        fprintf(stderr,
                PROG ": 时段内归档没有任何条目，回测未记录，不能据此推送 (no archived item in the "
                     "range: the backtest is not recorded)\n");
        rc = 1;
        goto done;
    }
    {
        /* the record that the operator has seen this set's report (the push gate) */
        json_t *j = NULL;
        char *text = NULL;
        if (backtest_report_json(&rep, false, &j) == 0 && (text = yq_json_dumps(j, JSON_COMPACT))) {
            rc = rules_backtest_record_put(r, rep.draft_digest, text, RULES_BACKTEST_TTL_S, err,
                                           sizeof(err));
        } else {
            rc = ERR_NOMEM;
        }
        free(text);
        json_decref(j);
        if (rc) {
            fprintf(stderr, PROG ": 回测结果未记录，推送时仍须 --force (report not recorded): %s\n",
                    err);
            rc = 1;
            goto done;
        }
        fprintf(stderr, "回测已记录（7 天内可推送）: %s%s\n", RULES_KEY_BACKTEST_PREFIX,
                rep.draft_digest);
    }
    rc = 0;
done:
    backtest_report_release(&rep);
    for (size_t i = 0; i < n_arcs; i++) {
        archive_close(arcs[i]);
    }
    rule_set_free(draft);
    rule_set_free(live);
    yq_redis_free(r);
    if (have_mcfg) {
        matcher_cfg_release(&mcfg);
    }
    free(arch_dir);
    free(cfg_host);
    return rc;
}
