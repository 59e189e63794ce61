#include "reports_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "briefing.h"
#include "notifier.h"
#include "stats_render.h"
#include "ticket_store_int.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_labels.h"
#include "yq_proc.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define PROG "yuqingctl reports"
#define STORED_CSS "href=\"/static/stats/stats-report.css\""

static const char usage[] =
    "用法 (usage): yuqingctl reports daily [--day YYYY-MM-DD] [--out FILE]\n"
    "              yuqingctl reports event ID [--out FILE]\n"
    "              yuqingctl reports list [--kind daily|event] [--limit N]\n"
    "  共同选项: --config FILE --set KEY=VALUE --db PATH --by NAME --now RFC3339\n";

struct opts {
    const char *day;
    const char *out;
    const char *db;
    const char *by;
    struct yq_cli_time now; /* default: now */
    const char *kind;
    struct yq_cli_long limit; /* default 50 */
};

/* Write html to path with stats-report.css beside it (the link made relative). 0 or 1. */
static int write_out(const char *path, const char *html)
{
    const unsigned char *css = NULL;
    const char *type = NULL, *at = strstr(html, STORED_CSS), *slash;
    size_t css_len = 0;
    char css_path[4096];
    FILE *f;
    int bad;

    if (!path) {
        fputs(html, stdout);
        return 0;
    }
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, PROG ": 无法写入 '%s' (cannot write): %s\n", path, strerror(errno));
        return 1;
    }
    if (at) {
        fwrite(html, 1, (size_t)(at - html), f);
        fputs("href=\"stats-report.css\"", f);
        fputs(at + strlen(STORED_CSS), f);
    } else {
        fputs(html, f);
    }
    bad = ferror(f);
    bad |= fclose(f);
    if (bad) {
        fprintf(stderr, PROG ": 写入 '%s' 失败 (write failed)\n", path);
        return 1;
    }
    slash = strrchr(path, '/');
    snprintf(css_path, sizeof(css_path), "%.*sstats-report.css",
             slash ? (int)(slash - path + 1) : 0, path);
    if (stats_asset_get("stats-report.css", &css, &css_len, &type) == 0) {
        f = fopen(css_path, "w");
        if (!f || fwrite(css, 1, css_len, f) != css_len) {
            fprintf(stderr, PROG ": 无法写入 '%s' (cannot write)\n", css_path);
            if (f) {
                fclose(f);
            }
            return 1;
        }
        if (fclose(f) != 0) {
            return 1;
        }
    }
    return 0;
}

static int print_html(struct ticket_store *store, int64_t id, const char *out)
{
    char *html = NULL;
    int err = briefing_report_get(store, id, NULL, &html, NULL), rc;
    if (err) {
        fprintf(stderr, PROG ": 读取报告 %lld 失败 (read failed): %s\n", (long long)id,
                yq_strerror(err));
        return 1;
    }
    rc = write_out(out, html);
    if (rc == 0 && out) {
        char detail[40];
        snprintf(detail, sizeof(detail), "报告 %lld", (long long)id);
        yq_cli_note_written(out, detail);
    }
    free(html);
    return rc;
}

static int cmd_list(struct ticket_store *store, const struct opts *o)
{
    struct briefing_report *v = NULL;
    size_t n = 0;
    char t[40];
    int err;

    if (o->kind && strcmp(o->kind, "daily") != 0 && strcmp(o->kind, "event") != 0) {
        fprintf(stderr, PROG ": --kind 须为 daily 或 event (--kind must be daily or event)\n");
        return 2;
    }
    err = briefing_reports_list(store, o->kind, NULL, (size_t)o->limit.v, &v, &n);
    if (err) {
        fprintf(stderr, PROG ": 无法列出报告 (list failed: %s): %s\n", yq_strerror(err),
                ticket_store_errmsg(store));
        return 1;
    }
    /* tab-separated columns under one heading; the kind by its label (日报, 专报) */
    printf("编号\t类型\t生成时间（北京时间）\t生成人\t标题\n");
    for (size_t i = 0; i < n; i++) {
        /* an event's title is feed text: no control character (tab included) is printed */
        char by[256], title[1024];
        printf("%lld\t%s\t%s\t%s\t%s\n", (long long)v[i].id,
               yq_label(YQ_LABEL_REPORT_KIND, v[i].kind),
               yq_time_format_shanghai(v[i].created_at, t, sizeof(t)),
               yq_text_printable(v[i].created_by, by, sizeof(by)),
               yq_text_printable(v[i].title, title, sizeof(title)));
    }
    briefing_reports_free(v, n);
    return 0;
}

int reports_cli_main(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {
        YQ_CLI_VALUE("--day", struct opts, day),
        YQ_CLI_VALUE("--out", struct opts, out),
        YQ_CLI_VALUE("--db", struct opts, db),
        YQ_CLI_VALUE("--by", struct opts, by),
        YQ_CLI_TIME("--now", struct opts, now),
        YQ_CLI_VALUE("--kind", struct opts, kind),
        YQ_CLI_LONG("--limit", struct opts, limit, 1, 1000),
    };
    struct yq_proc_args args;
    struct notifier_cli_store cli;
    struct briefing_env env;
    struct opts o;
    const char *words[2] = {NULL, NULL};
    const char *by;
    char err[512] = "";
    int64_t now, id = 0, event_id = 0, day = 0;
    int rc;

    memset(&o, 0, sizeof(o));
    o.now.s = yq_time_now();
    o.limit.v = 50;
    rc = yq_proc_parse_cmd_args(PROG, argc, argv, "config/notifier.yaml", usage, &args);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    rc = yq_cli_parse_cmd(PROG, usage, args.n_rest, args.rest, 0, table,
                          sizeof(table) / sizeof(table[0]), &o, words, 2);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    if (!words[0]) {
        fputs(usage, stderr);
        return 2;
    }
    now = o.now.s;
    if (o.day && briefing_parse_day(o.day, &day) != 0) {
        fprintf(stderr, PROG ": --day '%s' 须为 YYYY-MM-DD\n", o.day);
        return 2;
    }
    if (o.day && briefing_day_too_old(day, now)) {
        fprintf(stderr, PROG ": --day '%s' 早于 %d 天前，只能生成此后的日报 (too old)\n", o.day,
                BRIEFING_MAX_PAST_DAYS);
        return 2;
    }
    if (strcmp(words[0], "event") == 0) {
        long v = 0;
        if (!words[1] || yq_cli_parse_long(words[1], 1, LONG_MAX, &v) != 0) {
            return yq_cli_usage_error(PROG, usage, "event 需要事件编号 ID");
        }
        event_id = v;
    } else if ((strcmp(words[0], "daily") != 0 && strcmp(words[0], "list") != 0) || words[1]) {
        fputs(usage, stderr);
        return 2;
    }
    rc = notifier_cli_store_open(PROG, &args, o.db, &cli);
    if (rc) {
        return rc;
    }
    memset(&env, 0, sizeof(env));
    env.cfg = &cli.cfg.briefing;
    env.sources = cli.cfg.web.sources_enabled ? briefing_sources_redis : NULL;
    env.sources_ctx = &cli.cfg.web.redis;
    env.archive_dir = cli.cfg.web.archive_dir;
    env.link_base = cli.cfg.notify.link_base;
    by = o.by ? o.by : getenv("USER");
    by = by && by[0] ? by : "cli";
    if (strcmp(words[0], "list") == 0) {
        rc = cmd_list(cli.store, &o);
    } else if (strcmp(words[0], "daily") == 0) {
        bool created = false;
        if (!o.day) {
            day = briefing_latest_day(now, cli.cfg.briefing.hour);
        }
        rc = briefing_daily_ensure(cli.store, &env, day, by, now, &id, &created, err, sizeof(err));
        if (rc == ERR_INVALID) {
            fprintf(stderr, PROG ": 该日的统计时段尚未结束 (the period has not ended)\n");
            rc = 2;
        } else if (rc) {
            fprintf(stderr, PROG ": 生成日报失败 (failed): %s\n", err);
            rc = 1;
        } else {
            fprintf(stderr, "%s日报 %lld\n", created ? "已生成" : "已存在", (long long)id);
            rc = print_html(cli.store, id, o.out);
        }
    } else {
        rc = briefing_event_create(cli.store, &env, event_id, by, now, &id, err, sizeof(err));
        if (rc == ERR_NOT_FOUND) {
            fprintf(stderr, PROG ": 事件 %lld 不存在 (no such event)\n", (long long)event_id);
            rc = 1;
        } else if (rc) {
            fprintf(stderr, PROG ": 生成专报失败 (failed): %s\n", err);
            rc = 1;
        } else {
            fprintf(stderr, "已生成专报 %lld\n", (long long)id);
            rc = print_html(cli.store, id, o.out);
        }
    }
    notifier_cli_store_release(&cli);
    return rc;
}
