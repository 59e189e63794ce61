#include "store_cli.h"
#include "yq_db.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notifier.h"
#include "store_migrate.h"
#include "ticket_store.h"
#include "yq_cfg.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_proc.h"
#include "yq_banned.h"

static const char usage[] =
    "usage: yuqingctl store init [--config FILE] [--db PATH] [--set KEY=VALUE]\n"
    "  create the ticket store (directories, file mode 0600, schema) before the notifier's\n"
    "  first start; on an existing store: set modes to 0600 and apply pending migrations\n"
    "  --config FILE  notifier config (default config/notifier.yaml): store.path\n"
    "  --db PATH      the ticket database (overrides store.path)\n"
    "       yuqingctl store migrate --from LOCATION --to LOCATION\n"
    "  copy the whole store (notifiers stopped) into a new, empty store, then compare every\n"
    "  table's rows and SHA-256 on both sides; exit 0 only when all match\n"
    "  LOCATION       sqlite:/path/tickets.db (or a path) or postgresql://user@host:port/db\n";

/* The options of `store init` (--db) and `store migrate` (--from, --to), borrowed from argv. */
struct store_opts {
    const char *db, *from, *to;
};

/*
 * Create or check the store of store_cfg (borrowed; its path replaced by db when db is not
 * NULL) and print what was done. Returns the exit code: 0, or 1 with the reason on stderr.
 */
static int store_init_run(struct ticket_store_cfg *store_cfg, const char *db)
{
    char err[512] = "";
    bool created = false;

    if (db) {
        char *copy = strdup(db);
        if (!copy) {
            return 1;
        }
        free(store_cfg->path);
        store_cfg->path = copy;
        free(store_cfg->url); /* --db replaces store.url too */
        store_cfg->url = NULL;
    }
    if (ticket_store_init(store_cfg, &created, err, sizeof(err))) {
        fprintf(stderr, "yuqingctl store: %s\n", err);
        return 1;
    }
    {
        const char *loc = ticket_store_location(store_cfg);
        char shown[512];
        bool pg = yq_db_backend_of(loc) == YQ_DB_PG;
        printf("%s ticket store '%s' (schema %d%s)\n", created ? "created" : "checked",
               yq_db_redact(loc, shown, sizeof(shown)), TICKET_STORE_SCHEMA_VERSION,
               pg ? ", PostgreSQL" : ", mode 0600");
    }
    return 0;
}

/* `store migrate --from LOCATION --to LOCATION` (store_migrate.h): the exit code. */
static int store_migrate_run(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {
        YQ_CLI_VALUE("--from", struct store_opts, from),
        YQ_CLI_VALUE("--to", struct store_opts, to),
    };
    struct store_opts o = {NULL, NULL, NULL};
    char err[1024] = "";
    int64_t rows = 0;
    struct store_migrate_report report;
    int rc = yq_cli_parse_cmd("yuqingctl store migrate", usage, argc, argv, 1, table,
                              sizeof(table) / sizeof(table[0]), &o, NULL, 0);

    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    if (!o.from || !o.from[0] || !o.to || !o.to[0]) {
        fprintf(stderr,
                "yuqingctl store migrate: 须同时给出 --from 和 --to (--from and --to are both "
                "needed)\n%s",
                usage);
        return 2;
    }
    if (store_migrate_copy(o.from, o.to, stderr, 0, &rows, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl store migrate: %s\n", err);
        return 1;
    }
    fprintf(stderr, "已复制 %lld 行，正在核对两边 (copied %lld rows; comparing both sides)\n",
            (long long)rows, (long long)rows);
    if (store_migrate_verify(o.from, o.to, 0, &report, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl store migrate: 核对失败 (verification failed): %s\n", err);
        return 1;
    }
    store_migrate_report_print(&report, stdout);
    bool ok = store_migrate_report_ok(&report);
    store_migrate_report_release(&report);
    if (!ok) {
        fprintf(stderr, "yuqingctl store migrate: 副本与源库不一致（见上方 MISMATCH），不要把 "
                        "store.url 切换到副本 (the copy differs from the source: do not switch "
                        "store.url to it)\n");
        return 1;
    }
    printf("迁移完成 (migrated): %lld rows, every table matches\n", (long long)rows);
    return 0;
}

int store_cli_main(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {YQ_CLI_VALUE("--db", struct store_opts, db)};
    struct yq_proc_args args;
    struct notifier_cfg cfg;
    struct store_opts o = {NULL, NULL, NULL};
    const char *config, *word = NULL;
    char err[512] = "";
    int rc;

    if (argc >= 2 && strcmp(argv[1], "migrate") == 0) {
        return store_migrate_run(argc - 1, argv + 1);
    }
    /*
     * yq_proc_parse_cmd_args() handles --config (no default: whether it was given counts), --set
     * and --help (and refuses --print-config); --db is ours
     */
    rc = yq_proc_parse_cmd_args("yuqingctl store", argc, argv, NULL, usage, &args);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    rc = yq_cli_parse_cmd("yuqingctl store", usage, args.n_rest, args.rest, 0, table, 1, &o, &word,
                          1);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    if (o.db && o.db[0] == '\0') {
        fprintf(stderr, "yuqingctl store: --db needs a path\n%s", usage);
        return 2;
    }
    if (!word || strcmp(word, "init") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    config = args.config_path ? args.config_path : "config/notifier.yaml";
    if (o.db && !args.config_path && access(config, R_OK) != 0) {
        /*
         * `store init --db PATH` from any directory (the command the missing-store message
         * prints): without a notifier config the store's own defaults apply.
         */
        memset(&cfg, 0, sizeof(cfg));
        if (cfg_fill(ticket_store_cfg_keys, &cfg.store, NULL, NULL, err, sizeof(err))) {
            fprintf(stderr, "yuqingctl store: %s\n", err);
            cfg_release(ticket_store_cfg_keys, &cfg.store);
            return 2;
        }
        rc = store_init_run(&cfg.store, o.db);
        cfg_release(ticket_store_cfg_keys, &cfg.store);
        return rc;
    }
    if (notifier_cfg_load(&cfg, config, args.sets, args.n_sets, err, sizeof(err))) {
        fprintf(stderr, "yuqingctl store: 无法读取配置 (config): %s\n", err);
        notifier_cfg_release(&cfg);
        return 2;
    }
    rc = store_init_run(&cfg.store, o.db);
    notifier_cfg_release(&cfg);
    return rc;
}
