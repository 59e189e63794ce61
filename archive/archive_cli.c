/* `yuqingctl archive init | status | prune` (archive_cli.h). */
#include "archive_cli.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "archiver.h"
#include "yq_cli.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define RECENT_MAX 1000
#define TITLE_SHOWN_BYTES 60

static const char usage[] =
    "usage: yuqingctl archive init DIR | postgresql://USER@HOST:PORT/DB\n"
    "       yuqingctl archive status [--dir DIR | --config FILE] [--recent N] [--json]\n"
    "       yuqingctl archive prune [--dir DIR | --config FILE] [--retention-days N]\n"
    "                               [--now TIME] [--dry-run]\n"
    "  init    make the archive (the archiver never creates it): a directory, or the archive's\n"
    "          tables in a PostgreSQL database (it may be the ticket store's)\n"
    "  status  items held (matched, unmatched), bytes and months; the N newest items\n"
    "          (default 5) with the rules they matched\n"
    "  prune   delete the month files older than the retention (--dry-run: list them)\n"
    "  --dir DIR          the archive, a directory or postgresql://... (default: archive.dir\n"
    "                     of the config)\n"
    "  --config FILE      the archiver's config (default config/archiver.yaml)\n"
    "  --retention-days N days kept (default: archive.retention_days, 180)\n"
    "  --now TIME         prune as of TIME (RFC 3339; default now)\n";

struct archive_cli_opts {
    const char *dir;
    const char *config;
    struct yq_cli_long recent;         /* default 5 */
    struct yq_cli_long retention_days; /* default: the config's */
    struct yq_cli_time now;            /* default: now */
    bool json;
    bool dry_run;
};

/*
 * The archive's location and retention from the options: --dir, else the config's
 * archive.dir (the config is read when --dir is missing or for the retention).
 * *dir: new string (free()). Returns 0 or the exit code 2 with the reason printed.
 */
static int resolve(const struct archive_cli_opts *o, char **dir, int64_t *retention_days)
{
    struct archiver_cfg cfg;
    const char *path = o->config ? o->config : "config/archiver.yaml";
    char err[512] = "";
    int rc;

    *dir = NULL;
    *retention_days = ARCHIVE_DEFAULT_RETENTION_DAYS;
    if (o->dir && !o->config && access(path, R_OK) != 0) {
        *dir = strdup(o->dir); /* no config here: --dir and the defaults are enough */
        return *dir ? 0 : 1;
    }
    if (o->dir) {
        /* --dir beats the config's archive.dir (which may be missing) */
        char set[4096];
        const char *sets[1] = {set};
        snprintf(set, sizeof(set), "archive.dir=%s", o->dir);
        rc = archiver_cfg_load(path, sets, 1, &cfg, err, sizeof(err));
    } else {
        rc = archiver_cfg_load(path, NULL, 0, &cfg, err, sizeof(err));
    }
    if (rc) {
        fprintf(stderr, "yuqingctl archive: 无法读取配置 (config): %s\n", err);
        archiver_cfg_release(&cfg);
        return 2;
    }
    *dir = strdup(cfg.archive.dir);
    *retention_days = cfg.archive.retention_days;
    archiver_cfg_release(&cfg);
    return *dir ? 0 : 1;
}

/* Open dir (flags ARCHIVE_READONLY or 0), printing why not. Returns 0 or exit code 1. */
static int open_archive(const char *dir, unsigned flags, struct archive **out)
{
    struct archive_open_opts opts = {.flags = flags};
    char err[512] = "", shown[1024];
    int rc = archive_open(dir, &opts, out, err, sizeof(err));

    yq_db_redact(dir, shown, sizeof(shown)); /* a postgresql:// location's password */
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr, "yuqingctl archive: 归档不存在 (no archive) '%s': %s\n", shown, err);
        if (!strstr(err, "yuqingctl archive init")) {
            fprintf(stderr, "  请运行 (run): yuqingctl archive init %s\n", shown);
        }
        return 1;
    }
    if (rc) {
        fprintf(stderr, "yuqingctl archive: 无法打开归档 '%s' (cannot open): %s\n", shown, err);
        return 1;
    }
    return 0;
}

static int cmd_init(const char *dir)
{
    char err[512] = "";

    if (archive_init(dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl archive init: %s\n", err);
        return 1;
    }
    char shown[1024];

    printf("归档已就绪 (archive ready): %s (layout %d)\n",
           yq_db_redact(dir, shown, sizeof(shown)), ARCHIVE_LAYOUT_VERSION);
    return 0;
}

/* One line per item of `archive status`: Beijing time, source, rules matched, title. */
static int print_row(const struct archive_row *row, void *arg)
{
    size_t *left = arg;
    /* feed text is printed through yq_text_printable(): no control character reaches the
       terminal (each becomes U+FFFD, three bytes) */
    char when[32], title[TITLE_SHOWN_BYTES + 1], shown[3 * TITLE_SHOWN_BYTES + 1], src[64],
        id[3 * 64 + 1];
    const char *t = row->item.title ? row->item.title : "";

    yq_time_format_shanghai(row->time_s, when, sizeof(when));
    snprintf(title, sizeof(title), "%s", t);
    (void)yq_utf8_cut(title, TITLE_SHOWN_BYTES);
    printf("  %s  %-7s ", when, yq_text_printable(row->item.source, src, sizeof(src)));
    if (row->n_matches == 0) {
        printf("未命中 (no rule)  ");
    } else {
        printf("命中 (matched)");
        for (size_t i = 0; i < row->n_matches; i++) {
            printf("%s%s", i ? "," : " ", row->matches[i].rule_id);
        }
        printf("  ");
    }
    printf("%s%s  [%s]\n", yq_text_printable(title, shown, sizeof(shown)),
           strlen(t) > strlen(title) ? "…" : "", yq_text_printable(row->item.id, id, sizeof(id)));
    return --*left == 0 ? 1 : 0;
}

/* The scan state of `archive status --json`: rows as objects into list, left to go. */
struct recent_json {
    json_t *list;
    size_t left;
};

/* One row as {"id","time","source","channel","title","rules":[rule ids]}. */
static int json_row(const struct archive_row *row, void *arg)
{
    struct recent_json *r = arg;
    char when[32];
    json_t *rules = json_array(), *o;

    yq_time_format_utc(row->time_s, when, sizeof(when));
    for (size_t i = 0; rules && i < row->n_matches; i++) {
        if (json_array_append_new(rules, json_string(row->matches[i].rule_id)) != 0) {
            json_decref(rules);
            return ERR_NOMEM;
        }
    }
    o = json_pack("{s:s?, s:s, s:s?, s:s?, s:s?, s:o*}", "id", row->item.id, "time", when,
                  "source", row->item.source, "channel", row->item.channel, "title",
                  row->item.title, "rules", rules);
    if (!o || json_array_append_new(r->list, o) != 0) {
        return ERR_NOMEM;
    }
    return --r->left == 0 ? 1 : 0;
}

static int cmd_status(const struct archive_cli_opts *o)
{
    struct archive *a = NULL;
    json_t *st = NULL, *months;
    char *dir = NULL, err[512] = "";
    int64_t retention;
    long recent = o->recent.v;
    size_t left, i;
    json_t *m;
    int rc;

    rc = resolve(o, &dir, &retention);
    if (rc == 0) {
        rc = open_archive(dir, ARCHIVE_READONLY, &a);
    }
    if (rc == 0 && archive_stats(a, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl archive status: %s\n", err);
        rc = 1;
    }
    if (rc == 0 && o->json && recent > 0 &&
        json_integer_value(json_object_get(st, "items")) > 0) {
        struct archive_filter f = {.order = ARCHIVE_NEWEST_FIRST};
        struct recent_json r = {json_array(), (size_t)recent};
        if (!r.list || json_object_set_new(st, "recent", r.list) != 0 ||
            archive_scan(a, &f, json_row, &r, err, sizeof(err)) != 0) {
            fprintf(stderr, "yuqingctl archive status: %s\n",
                    err[0] ? err : "内存不足 (out of memory)");
            rc = 1;
        }
    }
    if (rc == 0 && o->json) {
        char *text = yq_json_dumps(st, JSON_COMPACT);
        rc = text ? 0 : 1;
        if (text) {
            printf("%s\n", text);
            free(text);
        }
    } else if (rc == 0) {
        json_int_t items = json_integer_value(json_object_get(st, "items"));
        json_int_t matched = json_integer_value(json_object_get(st, "matched"));
        char shown[1024];
        printf("归档 (archive) %s  backend %s\n", yq_db_redact(dir, shown, sizeof(shown)),
               json_string_value(json_object_get(st, "backend")) ? json_string_value(
                                                                      json_object_get(st, "backend"))
                                                                : "?");
        printf("条目 (items) %" JSON_INTEGER_FORMAT "  命中 (matched) %" JSON_INTEGER_FORMAT
               "  未命中 (unmatched) %" JSON_INTEGER_FORMAT "  bytes %" JSON_INTEGER_FORMAT "\n",
               items, matched, items - matched,
               json_integer_value(json_object_get(st, "bytes")));
        months = json_object_get(st, "months");
        if (json_array_size(months) > 0) {
            printf("  %-8s %10s %10s %14s\n", "month", "items", "matched", "bytes");
        }
        json_array_foreach(months, i, m) {
            printf("  %-8s %10" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT
                   " %14" JSON_INTEGER_FORMAT "\n",
                   json_string_value(json_object_get(m, "month")) ? json_string_value(
                                                                        json_object_get(m, "month"))
                                                                  : "?",
                   json_integer_value(json_object_get(m, "items")),
                   json_integer_value(json_object_get(m, "matched")),
                   json_integer_value(json_object_get(m, "bytes")));
        }
        if (recent > 0 && items > 0) {
            struct archive_filter f = {.order = ARCHIVE_NEWEST_FIRST};
            left = (size_t)recent;
            printf("最新条目 (newest items):\n");
            if (archive_scan(a, &f, print_row, &left, err, sizeof(err)) != 0) {
                fprintf(stderr, "yuqingctl archive status: %s\n", err);
                rc = 1;
            }
        }
    }
    json_decref(st);
    archive_close(a);
    free(dir);
    return rc;
}

/* --dry-run: the months of the archive's stats that retention would remove. */
static int prune_dry_run(struct archive *a, int64_t now_s, int64_t retention)
{
    json_t *st = NULL, *m;
    char err[512] = "";
    size_t i, n = 0;

    if (archive_stats(a, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl archive prune: %s\n", err);
        return 1;
    }
    json_array_foreach(json_object_get(st, "months"), i, m) {
        const char *month = json_string_value(json_object_get(m, "month"));
        int y = 0, mo = 0;
        if (month && sscanf(month, "%4d-%2d", &y, &mo) == 2 && mo >= 1 && mo <= 12 &&
            archive_month_expired(y, (unsigned)mo, now_s, retention)) {
            printf("would remove month %s items %" JSON_INTEGER_FORMAT " bytes %" JSON_INTEGER_FORMAT
                   "\n", month, json_integer_value(json_object_get(m, "items")),
                   json_integer_value(json_object_get(m, "bytes")));
            n++;
        }
    }
    printf("dry run: %zu month file(s) older than %" PRId64 " days, nothing removed\n", n,
           retention);
    json_decref(st);
    return 0;
}

static int cmd_prune(const struct archive_cli_opts *o)
{
    struct archive *a = NULL;
    char *dir = NULL, err[512] = "";
    int64_t retention, now_s = o->now.s;
    size_t removed = 0;
    int rc;

    rc = resolve(o, &dir, &retention);
    if (rc == 0 && o->retention_days.set) {
        retention = o->retention_days.v;
    }
    if (rc == 0) {
        rc = open_archive(dir, o->dry_run ? ARCHIVE_READONLY : 0, &a);
    }
    if (rc == 0 && o->dry_run) {
        rc = prune_dry_run(a, now_s, retention);
    } else if (rc == 0) {
        if (archive_prune(a, now_s, retention, &removed, err, sizeof(err)) != 0) {
            fprintf(stderr, "yuqingctl archive prune: %s\n", err);
            rc = 1;
        } else {
            printf("removed %zu month file(s) older than %" PRId64 " days\n", removed, retention);
        }
    }
    archive_close(a);
    free(dir);
    return rc;
}

int archive_cli_main(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {
        YQ_CLI_VALUE("--dir", struct archive_cli_opts, dir),
        YQ_CLI_VALUE("--config", struct archive_cli_opts, config),
        YQ_CLI_LONG("--recent", struct archive_cli_opts, recent, 0, RECENT_MAX),
        YQ_CLI_LONG("--retention-days", struct archive_cli_opts, retention_days, 1, 36500),
        YQ_CLI_TIME("--now", struct archive_cli_opts, now),
        YQ_CLI_FLAG("--json", struct archive_cli_opts, json),
        YQ_CLI_FLAG("--dry-run", struct archive_cli_opts, dry_run),
    };
    struct archive_cli_opts o = {.recent = {.v = 5}, .now = {.s = yq_time_now()}};
    const char *words[2] = {NULL, NULL};
    int rc = yq_cli_parse_cmd("yuqingctl archive", usage, argc, argv, 1, table,
                              sizeof(table) / sizeof(table[0]), &o, words, 2);

    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    if (words[0] && strcmp(words[0], "init") == 0 && words[1]) {
        return cmd_init(words[1]);
    }
    if (words[0] && strcmp(words[0], "status") == 0 && !words[1]) {
        return cmd_status(&o);
    }
    if (words[0] && strcmp(words[0], "prune") == 0 && !words[1]) {
        return cmd_prune(&o);
    }
    fputs(usage, stderr);
    return 2;
}
