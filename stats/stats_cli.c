#include "stats_cli.h"

#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier.h"
#include "rules.h"
#include "stats.h"
#include "stats_load.h"
#include "stats_publish.h"
#include "stats_render.h"
#include "workcal.h"
#include "yq_cli.h"
#include "yq_departments.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_db.h"
#include "yq_time.h"
#include "yq_banned.h"

#define PROG "yuqingctl stats"

static const char usage[] =
    "usage: yuqingctl stats month [YYYY-MM] [OPTIONS]\n"
    "       yuqingctl stats year YYYY [OPTIONS]\n"
    "       yuqingctl stats publish YYYY-MM [--by NAME] [--config FILE] [--db PATH] [--now TIME]\n"
    "  month without YYYY-MM: the Beijing-time month before the current one\n"
    "  publish: store the month's 通报 as published (once; it never changes); later views of\n"
    "           the month show it and the differences later entries make\n"
    "options:\n"
    "  --format text|html|csv|json  output format (default text)\n"
    "  --department NAME            one lead department only\n"
    "  --out FILE                   write FILE (HTML: its assets beside it) instead of stdout\n"
    "  --config FILE                notifier config (default config/notifier.yaml)\n"
    "  --db PATH|URL                ticket store: a SQLite file or a postgresql:// URL\n"
    "                               (default: store.url, else store.path of the config)\n"
    "  --rules DIR                  rule files: groups of tickets stored without one\n"
    "                               (default config/rules)\n"
    "  --now TIME                   run time, RFC 3339 (default now; publish: not later than now)\n"
    "  --office NAME                issuing office shown on the HTML report\n"
    "  --by NAME                    publish: who publishes (default $USER)\n";

struct cli {
    const char *period_arg;
    const char *format;
    const char *department;
    const char *out;
    const char *config;
    const char *db;
    const char *rules;
    struct yq_cli_time now; /* default: now */
    const char *office;
    const char *by;
};

enum cli_report { CLI_MONTH = 0, CLI_YEAR = 1, CLI_PUBLISH = 2 };

static bool cal_is_working_day(const void *ctx, int64_t day)
{
    return workcal_is_working_day(ctx, day);
}

/*
 * The report word (month, year), its period and the options, in any order: the options are
 * read and the format checked before the report word, so `stats --format pdf` names pdf
 * (issue #11: it said "unknown report '--format'"). Each bad value is named on stderr.
 */
static int parse(int argc, char **argv, struct cli *c, enum cli_report *which,
                 enum stats_format *fmt)
{
    static const struct yq_cli_opt opts[] = {
        YQ_CLI_VALUE("--format", struct cli, format),
        YQ_CLI_VALUE("--department", struct cli, department),
        YQ_CLI_VALUE("--out", struct cli, out),
        YQ_CLI_VALUE("--config", struct cli, config),
        YQ_CLI_VALUE("--db", struct cli, db),
        YQ_CLI_VALUE("--rules", struct cli, rules),
        YQ_CLI_TIME("--now", struct cli, now),
        YQ_CLI_VALUE("--office", struct cli, office),
        YQ_CLI_VALUE("--by", struct cli, by),
    };
    const char *words[2] = {NULL, NULL}; /* the report word and its period */
    const char *report;
    char why[256];

    switch (yq_cli_parse(argc, argv, 1, opts, sizeof(opts) / sizeof(opts[0]), c, words, 2, why,
                         sizeof(why))) {
    case 0:
        break;
    case YQ_CLI_HELP:
        return YQ_CLI_HELP;
    default:
        fprintf(stderr, PROG ": %s\n", why);
        return ERR_INVALID;
    }
    report = words[0];
    c->period_arg = words[1];
    if (stats_format_parse(c->format, fmt) != 0) {
        fprintf(stderr,
                PROG ": 未知格式 '%s'，须为 text、html、csv 或 json (unknown format "
                     "'%s'; use text, html, csv or json)\n",
                c->format, c->format);
        return ERR_INVALID;
    }
    if (!report) {
        fprintf(stderr, PROG ": 缺少报表类型 month 或 year (missing report: month or year)\n");
        return ERR_INVALID;
    }
    if (strcmp(report, "month") == 0) {
        *which = CLI_MONTH;
    } else if (strcmp(report, "year") == 0) {
        *which = CLI_YEAR;
    } else if (strcmp(report, "publish") == 0) {
        *which = CLI_PUBLISH;
    } else {
        fprintf(stderr,
                PROG ": 未知报表类型 '%s'，须为 month、year 或 publish (unknown report "
                     "'%s'; use month, year or publish)\n",
                report, report);
        return ERR_INVALID;
    }
    return 0;
}

/*
 * Rule id -> group from the rule files (borrowing rs): the fallback for tickets stored before
 * alerts carried groups. n_out 0 when rs is NULL.
 */
static struct stats_rule_group *rule_groups(const struct rule_set *rs, size_t *n_out)
{
    struct stats_rule_group *g;
    *n_out = 0;
    if (!rs || rs->n_rules == 0) {
        return NULL;
    }
    g = calloc(rs->n_rules, sizeof(*g));
    if (!g) {
        return NULL;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        g[i].rule_id = rs->rules[i].id;
        g[i].group = rs->rules[i].group ? rs->rules[i].group : rs->rules[i].id;
    }
    *n_out = rs->n_rules;
    return g;
}

/* Write the HTML assets into the directory of out_path. */
static int write_assets(const char *out_path)
{
    char *copy = strdup(out_path);
    const char *dir;
    int err = 0;

    if (!copy) {
        return ERR_NOMEM;
    }
    dir = dirname(copy);
    for (const char *const *name = stats_asset_names; *name && !err; name++) {
        const unsigned char *data;
        size_t len;
        char path[4096];
        if (stats_asset_get(*name, &data, &len, NULL) != 0) {
            fprintf(stderr,
                    PROG ": 未内置图表资源 %s，报表将没有图表 (asset not built in: run "
                         "`npm ci` and rebuild)\n",
                    *name);
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, *name);
        err = yq_fs_write_file_atomic(path, (const char *)data, len);
        if (err) {
            fprintf(stderr, PROG ": 无法写入 '%s' (cannot write)\n", path);
        }
    }
    free(copy);
    return err;
}

/*
 * `stats publish YYYY-MM`: store the month as published on a read-write connection of the
 * store. Returns the exit code: 0, 1 (failed, or already published: a publication does not
 * change), 2 (usage: --department, a bad --by).
 */
static int publish(const struct cli *c, const struct notifier_cfg *cfg,
                   const struct stats_opts *sopts)
{
    const char *by = c->by ? c->by : getenv("USER");
    const char *path = c->db ? c->db : ticket_store_location(&cfg->store);
    struct stats_publication pub;
    struct yq_db *db = NULL;
    char err[512] = "", when[40];
    int rc;

    if (c->department) {
        fprintf(stderr, PROG ": publish 发布全部单位的通报，不接受 --department (publish takes no "
                             "--department)\n");
        return 2;
    }
    if (!by || !by[0]) {
        by = "yuqingctl";
    }
    if (sopts->now > yq_time_now()) {
        /* a publication never changes: a clock set ahead would publish an unfinished month */
        fprintf(stderr, PROG ": publish 不接受晚于当前时间的 --now (--now may not be in the "
                             "future for publish)\n");
        return 2;
    }
    if (yq_db_open(path, YQ_DB_WAL, cfg->store.busy_timeout_ms, &db, err, sizeof(err))) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    rc = stats_publish(db, sopts, by, "operator", "", &pub, err, sizeof(err));
    yq_db_close(db);
    if (rc == ERR_INVALID) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    if (rc) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    printf("已发布 %s 通报（发布人 %s，%s）; published %s by %s\n", pub.period, pub.published_by,
           yq_time_format_shanghai(pub.published_at, when, sizeof(when)), pub.period,
           pub.published_by);
    stats_publication_release(&pub);
    return 0;
}

int stats_cli_main(int argc, char **argv)
{
    struct cli c = {.format = "text",
                    .config = "config/notifier.yaml",
                    .rules = "config/rules",
                    .now = {.s = yq_time_now()}};
    struct notifier_cfg cfg;
    struct rule_set *rs = NULL;
    struct stats_rule_group *groups = NULL;
    struct stats_opts sopts = {0};
    struct stats_calendar cal = {0};
    struct stats_render_opts ropts = {0};
    enum stats_format fmt = STATS_FORMAT_TEXT;
    struct yq_db *db = NULL;
    char err[512] = "";
    char *out = NULL;
    size_t out_len = 0;
    enum cli_report which = CLI_MONTH;
    bool year = false;
    int rc = 2;

    memset(&cfg, 0, sizeof(cfg));
    switch (parse(argc, argv, &c, &which, &fmt)) {
    case 0:
        break;
    case YQ_CLI_HELP:
        fputs(usage, stdout);
        return 0;
    default:
        fputs(usage, stderr);
        return 2;
    }
    year = which == CLI_YEAR;
    sopts.period = year ? STATS_PERIOD_YEAR : STATS_PERIOD_MONTH;
    sopts.now = c.now.s;
    if (year) {
        if (!c.period_arg || stats_parse_year(c.period_arg, &sopts.year) != 0) {
            fprintf(stderr, PROG ": year 须给出年份 YYYY，如 2026 (year needs YYYY)\n");
            return 2;
        }
    } else if (!c.period_arg && which == CLI_PUBLISH) {
        fprintf(stderr, PROG ": publish 须给出月份 YYYY-MM，如 2026-11 (publish needs YYYY-MM)\n");
        return 2;
    } else if (!c.period_arg) {
        stats_previous_month(sopts.now, &sopts.year, &sopts.month);
    } else if (stats_parse_month(c.period_arg, &sopts.year, &sopts.month) != 0) {
        fprintf(stderr, PROG ": '%s' 不是月份，须为 YYYY-MM，如 2026-11 (not a month YYYY-MM)\n",
                c.period_arg);
        return 2;
    }
    if (notifier_cfg_load(&cfg, c.config, NULL, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto done;
    }
    if (sopts.year >= 1970 && !workcal_covers_year(cfg.cal, sopts.year)) {
        fprintf(stderr,
                PROG ": 警告：没有 %d 年的节假日日历，工作日按周一至周五计 (warning: no "
                     "holiday calendar for %d: working days are Monday..Friday)\n",
                sopts.year, sopts.year);
    }
    cal.is_working_day = cal_is_working_day;
    cal.ctx = cfg.cal;
    sopts.calendar = &cal;
    sopts.department = c.department;
    if (rule_set_load_dir(c.rules, &rs, err, sizeof(err)) != 0) {
        fprintf(stderr,
                PROG ": 警告：无法读取规则文件，未记分组的工单按规则编号显示 (warning: rule "
                     "files unavailable: tickets stored without a rule group show their "
                     "rule id): %s\n",
                err);
        rs = NULL;
    }
    groups = rule_groups(rs, &sopts.n_rule_groups);
    sopts.rule_groups = groups;
    rc = 1;
    if (which == CLI_PUBLISH) {
        rc = publish(&c, &cfg, &sopts);
        goto done;
    }
    if (stats_db_open(c.db ? c.db : ticket_store_location(&cfg.store),
                      cfg.store.busy_timeout_ms, &db, err, sizeof(err)) != 0) {
        fprintf(stderr, PROG ": %s%s\n", err,
                c.db ? ""
                     : "；请用 --db PATH 指定工单库，演示库为 .demo/tickets.db (give the store "
                       "with --db PATH; the demo's is .demo/tickets.db)");
        goto done;
    }
    if (c.department) {
        bool registry = false;
        int derr = yq_departments_check(db, c.department, &registry, err, sizeof(err));
        if (derr == ERR_NOT_FOUND) {
            fprintf(stderr, PROG ": %s\n", err);
            rc = 2;
            goto done;
        }
        if (derr) {
            fprintf(stderr, PROG ": %s\n", err);
            goto done;
        }
        if (!registry) {
            fprintf(stderr,
                    PROG ": 警告：工单库未登记部门（yuqingctl users dept-add），未核对部门名称 "
                         "'%s' (warning: the store keeps no department registry: not "
                         "checked)\n",
                    c.department);
        }
    }
    ropts.asset_base = "";
    ropts.office = c.office;
    if ((year ? stats_year_view : stats_month_view)(db, &sopts, fmt, &ropts, &out, &out_len, err,
                                                    sizeof(err)) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto done;
    }
    if (c.out) {
        if (yq_fs_write_file_atomic(c.out, out, out_len) != 0) {
            fprintf(stderr, PROG ": 无法写入 '%s' (cannot write)\n", c.out);
            goto done;
        }
        if (fmt == STATS_FORMAT_HTML && write_assets(c.out) != 0) {
            goto done;
        }
        yq_cli_note_written(c.out, fmt == STATS_FORMAT_HTML ? "图表资源在同一目录" : NULL);
    } else if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
        fprintf(stderr, PROG ": 无法输出报表 (cannot write the report to stdout)\n");
        goto done;
    }
    rc = 0;
done:
    free(out);
    yq_db_close(db);
    free(groups);
    rule_set_free(rs);
    notifier_cfg_release(&cfg);
    return rc;
}
