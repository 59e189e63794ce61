/*
 * yuqing-notifier: consumes alerts, keeps tickets in SQLite, serves the duty queue page,
 * the JSON API and /metrics. Exit codes: 0 after SIGTERM/SIGINT or --help/--print-config,
 * 1 when start-up fails, 2 on a usage or config error, a missing ticket store (create it
 * with 'yuqingctl store init') or a store another notifier holds.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "notifier.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_banned.h"

static const char usage[] =
    "usage: yuqing-notifier [--config FILE] [--set KEY=VALUE]... [--print-config]\n"
    "                       [--log-level err|warn|info|debug]\n"
    "  --config FILE    notifier config (default config/notifier.yaml)\n"
    "  --set KEY=VALUE  override one config key, e.g. --set http.port=0\n"
    "  --print-config   print the effective config and exit\n";

static int load(void *cfg, const struct yq_proc_args *args, char *errbuf, size_t errlen)
{
    return notifier_cfg_load(cfg, args->config_path, args->sets, args->n_sets, errbuf, errlen);
}

static void print(FILE *out, const void *cfg)
{
    notifier_cfg_print(out, cfg);
}

static void release(void *cfg)
{
    notifier_cfg_release(cfg);
}

static int run(void *cfg, char *errbuf, size_t errlen)
{
    struct notifier *n;
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errbuf, errlen, "curl_global_init");
        return 1;
    }
    rc = notifier_open(cfg, &n, errbuf, errlen);
    if (rc) {
        curl_global_cleanup();
        /* an operator's fault (no store, store in use, newer schema): do not restart in a loop */
        return rc == ERR_NOT_FOUND || rc == ERR_BAD_STATE ? 2 : 1;
    }
    notifier_run(n, &yq_proc_stop);
    notifier_free(n);
    curl_global_cleanup();
    LOG_INFO("stopped");
    return 0;
}

int main(int argc, char **argv)
{
    struct notifier_cfg cfg;
    const struct yq_proc_service svc = {
        "yuqing-notifier", "config/notifier.yaml", usage, &cfg, load, print, release, run,
    };

    return yq_proc_service_main(&svc, argc, argv);
}
