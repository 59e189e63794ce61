/* yuqing-collector: polls the configured feeds and produces items to Kafka (design §3). */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_cfg.h"
#include "feed_dump.h"
#include "feed_parse.h"
#include "item_producer.h"
#include "poller.h"
#include "store.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_banned.h"

#define PARSE_MAX_FILE_BYTES (64 * 1024 * 1024)

static const char usage[] =
    "usage: yuqing-collector [--config FILE] [--set KEY=VALUE]... [--print-config]\n"
    "                        [--log-level err|warn|info|debug] [--once]\n"
    "       yuqing-collector parse FILE [--base-url URL] [--content-type TYPE]\n"
    "\n"
    "Polls the sources of config/sources.yaml and produces items to Kafka.\n"
    "  --once            poll every source once, flush Kafka, exit\n"
    "  parse FILE        parse a saved feed body and print it as JSON lines\n";

static int cmd_parse(int n, char **args)
{
    const char *file = NULL, *base_url = NULL, *content_type = NULL;
    struct feed_input in = {0};
    struct feed *f = NULL;
    char *body = NULL, err_msg[256] = "";
    size_t len = 0;
    int err;

    for (int i = 0; i < n; i++) {
        if (strcmp(args[i], "--base-url") == 0 && i + 1 < n) {
            base_url = args[++i];
        } else if (strcmp(args[i], "--content-type") == 0 && i + 1 < n) {
            content_type = args[++i];
        } else if (args[i][0] != '-' && !file) {
            file = args[i];
        } else {
            fprintf(stderr, "yuqing-collector parse: unexpected argument '%s'\n%s", args[i],
                    usage);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "yuqing-collector parse: FILE is missing\n%s", usage);
        return 2;
    }
    err = yq_fs_read_file(file, PARSE_MAX_FILE_BYTES, &body, &len);
    if (err) {
        fprintf(stderr, "yuqing-collector parse: cannot read '%s': %s\n", file,
                yq_strerror(err));
        return 1;
    }
    in.body = body;
    in.len = len;
    in.base_url = base_url;
    in.content_type = content_type;
    err = feed_parse(&in, &f, err_msg, sizeof(err_msg));
    free(body);
    if (err) {
        fprintf(stderr, "yuqing-collector parse: '%s': %s\n", file,
                err_msg[0] ? err_msg : yq_strerror(err));
        return 1;
    }
    err = feed_dump_json(f, stdout);
    feed_free(f);
    return err ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct yq_proc_args args;
    struct collector_config cfg;
    struct store *store = NULL;
    struct item_producer *producer = NULL;
    struct poller *poller = NULL;
    char errbuf[512] = "";
    bool once = false;
    int rc, code = 0;

    yq_log_init("yuqing-collector", YQ_LOG_INFO);
    rc = yq_proc_parse_args(argc, argv, "config/sources.yaml", usage, &args);
    if (rc) {
        return rc == 1 ? 0 : 2;
    }
    xmlInitParser();
    if (args.n_rest > 0 && strcmp(args.rest[0], "parse") == 0) {
        code = cmd_parse(args.n_rest - 1, args.rest + 1);
        xmlCleanupParser();
        return code;
    }
    for (int i = 0; i < args.n_rest; i++) {
        if (strcmp(args.rest[i], "--once") == 0) {
            once = true;
        } else {
            fprintf(stderr, "yuqing-collector: unexpected argument '%s'\n%s", args.rest[i],
                    usage);
            return 2;
        }
    }
    rc = collector_config_load(&cfg, args.config_path, NULL, 0, errbuf, sizeof(errbuf));
    if (rc) {
        LOG_ERR("config load failed: %s", errbuf);
        return 2;
    }
    for (int i = 0; i < args.n_sets; i++) {
        if (collector_config_set(&cfg, args.sets[i], errbuf, sizeof(errbuf)) != 0) {
            LOG_ERR("config override failed: %s", errbuf);
            collector_config_release(&cfg);
            return 2;
        }
    }
    if (args.print_config) {
        collector_config_print(stdout, &cfg);
        collector_config_release(&cfg);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        LOG_ERR("curl_global_init failed");
        collector_config_release(&cfg);
        return 1;
    }
    yq_proc_install_signals();
    store = store_new(&cfg.redis, cfg.collector.redis_retry_ms);
    producer = store ? item_producer_new(&cfg.kafka, store, errbuf, sizeof(errbuf)) : NULL;
    poller = producer ? poller_new(&cfg, store, producer, errbuf, sizeof(errbuf)) : NULL;
    if (!poller) {
        LOG_ERR("start-up failed: %s", store ? errbuf : "out of memory");
        code = 1;
        goto done;
    }
    LOG_INFO("collector started sources=%zu topic=%s once=%d", poller_source_count(poller),
             cfg.kafka.items_topic, (int)once);
    rc = poller_run(poller, once);
    if (rc) {
        LOG_ERR("collector stopped with undelivered items err=%s", yq_strerror(rc));
        code = 1;
    } else {
        LOG_INFO("collector stopped cleanly");
    }
done:
    item_producer_free(producer); /* before the poller: it holds delivery tallies */
    poller_free(poller);
    store_free(store);
    collector_config_release(&cfg);
    curl_global_cleanup();
    xmlCleanupParser();
    return code;
}
