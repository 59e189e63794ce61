/*
 * yuqing-notifier: consumes alerts, keeps tickets in SQLite, serves the duty queue page,
 * the JSON API and /metrics. Exit codes: 0 after SIGTERM/SIGINT or --help/--print-config,
 * 1 when start-up fails, 2 on a usage or config error, a missing ticket store (create it
 * with 'yuqingctl store init') or a store another notifier holds.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "notifier.h"
#include "yq_banned.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_proc.h"

static const char usage[] =
    "usage: yuqing-notifier [--config FILE] [--set KEY=VALUE]... [--print-config]\n"
    "                       [--log-level err|warn|info|debug]\n"
    "  --config FILE    notifier config (default config/notifier.yaml)\n"
    "  --set KEY=VALUE  override one config key, e.g. --set http.port=0\n"
    "  --print-config   print the effective config and exit\n";

int main(int argc, char **argv)
{
    struct yq_proc_args args;
    struct notifier_cfg cfg;
    struct notifier *n;
    char err[512] = "";
    int rc;

    yq_log_init("yuqing-notifier", YQ_LOG_INFO);
    rc = yq_proc_parse_args(argc, argv, "config/notifier.yaml", usage, &args);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (args.n_rest > 0) {
        fprintf(stderr, "yuqing-notifier: unexpected argument '%s'\n%s", args.rest[0], usage);
        return 2;
    }
    if (notifier_cfg_load(&cfg, args.config_path, args.sets, args.n_sets, err, sizeof(err))) {
        LOG_ERR("config failed: %s", err);
        notifier_cfg_release(&cfg);
        return 2;
    }
    if (args.print_config) {
        notifier_cfg_print(stdout, &cfg);
        notifier_cfg_release(&cfg);
        return 0;
    }
    yq_proc_install_signals();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        LOG_ERR("start failed: curl_global_init");
        notifier_cfg_release(&cfg);
        return 1;
    }
    rc = notifier_open(&cfg, &n, err, sizeof(err));
    if (rc) {
        LOG_ERR("start failed: %s", err);
        notifier_cfg_release(&cfg);
        curl_global_cleanup();
        /* an operator's fault (no store, store in use, newer schema): do not restart in a loop */
        return rc == ERR_NOT_FOUND || rc == ERR_BAD_STATE ? 2 : 1;
    }
    notifier_run(n, &yq_proc_stop);
    notifier_free(n);
    notifier_cfg_release(&cfg);
    curl_global_cleanup();
    LOG_INFO("stopped");
    return 0;
}
