/* yuqing-collector: polls the configured feeds and produces items to Kafka (design §3). */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_cfg.h"
#include "feed_dump.h"
#include "feed_item.h"
#include "feed_parse.h"
#include "item_producer.h"
#include "poller.h"
#include "store.h"
#include "wechat.h"
#include "weibo.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_health.h"
#include "yq_log.h"
#include "yq_metrics_http.h"
#include "yq_proc.h"
#include "yq_time.h"
#include "yq_banned.h"

/* the largest collector.max_body_bytes the configuration accepts (256 MiB) */
#define PARSE_MAX_FILE_BYTES (256 * 1024 * 1024)
#define KAFKA_PROBE_EVERY_MS 2000 /* Metadata request to the cluster for /healthz */

static const char usage[] =
    "usage: yuqing-collector [--config FILE] [--set KEY=VALUE]... [--print-config]\n"
    "                        [--log-level err|warn|info|debug] [--once] [--shard I/N]\n"
    "       yuqing-collector parse [--format jsonl|items] FILE [--content-type TYPE]\n"
    "                        [--url URL] [--content-location URL]\n"
    "                        [--kind rss|wechat_feed|weibo] [--fetched-at TIME]\n"
    "\n"
    "Polls the sources of config/sources.yaml and produces items to Kafka.\n"
    "  --once            poll every source once, flush Kafka, exit\n"
    "  --shard I/N       poll only the sources of shard I of N (0 <= I < N)\n"
    "  parse FILE        parse a saved feed body (RSS, RDF, Atom, JSON Feed; a Weibo\n"
    "                    getIndex JSON with --kind weibo) and print JSON lines: jsonl\n"
    "                    (default) the feed and its entries, items the normalised items\n"
    "                    (bounded to the Kafka message size, as produced); --fetched-at\n"
    "                    (RFC 3339, default now) is the items' fetch time; --url (or\n"
    "                    --base-url) the URL the body came from, --content-type and\n"
    "                    --content-location its HTTP headers; the encoding read and how\n"
    "                    (declared: bom/http/declaration, or default/detected) is in the\n"
    "                    feed line, and on stderr with --format items\n"
    "Exit status: 0 ok (undelivered items at shutdown were spooled), 1 error or items\n"
    "lost, 2 usage or configuration error.\n";

/* Print the normalised items (design §2) of body as JSON lines. */
static int print_items(const struct feed *f, const char *kind, int64_t now)
{
    int err = 0;

    for (size_t i = 0; i < f->n_entries && !err; i++) {
        struct yq_item item;
        char *json = NULL;
        int rc = strcmp(kind, "wechat_feed") == 0
                     ? wechat_item_from_entry(f, &f->entries[i], "parse", NULL, now, 1 << 20,
                                              &item, NULL)
                     : feed_item_from_entry(f, &f->entries[i], "parse", NULL, now, 1 << 20,
                                            &item);
        if (rc == ERR_INVALID) {
            fprintf(stderr, "yuqing-collector parse: entry %zu has no id, link or title: "
                    "skipped\n", i + 1);
            continue;
        }
        if (rc) {
            return rc;
        }
        err = yq_item_encode_bounded(&item, ITEM_PRODUCER_MAX_ITEM_BYTES, &json, NULL);
        yq_item_release(&item);
        if (!err && printf("%s\n", json) < 0) {
            err = ERR_IO;
        }
        free(json);
    }
    return err;
}

static int print_weibo(const char *body, size_t len, int64_t now)
{
    struct weibo_ctx ctx = {
        .source_id = "parse", .fetched_at = now, .max_text_bytes = YQ_ITEM_MAX_TEXT_BYTES};
    struct weibo_page page;
    char err_msg[256] = "";
    int err = weibo_parse_page(body, len, &ctx, &page, err_msg, sizeof(err_msg));

    if (err) {
        fprintf(stderr, "yuqing-collector parse: %s\n", err_msg);
        return err;
    }
    for (size_t i = 0; i < page.n_posts && !err; i++) {
        char *json = NULL;
        err = yq_item_encode_bounded(&page.posts[i].item, ITEM_PRODUCER_MAX_ITEM_BYTES, &json,
                                     NULL);
        if (!err) {
            printf("%s\n", json);
        }
        free(json);
    }
    weibo_page_release(&page);
    return err;
}

static int cmd_parse(int n, char **args)
{
    const char *file = NULL, *base_url = NULL, *content_type = NULL, *format = "jsonl";
    const char *content_location = NULL;
    const char *kind = "rss";
    struct feed_input in = {0};
    struct feed *f = NULL;
    char *body = NULL, err_msg[256] = "";
    size_t len = 0;
    int64_t fetched_at = yq_time_now();
    int err;

    for (int i = 0; i < n; i++) {
        if (strcmp(args[i], "--fetched-at") == 0 && i + 1 < n) {
            if (yq_time_parse_iso(args[++i], &fetched_at, NULL) != 0) {
                return yq_cli_usage_error("yuqing-collector parse", usage,
                                          "选项 '--fetched-at' 的取值 '%s' 不是 RFC 3339 时间 (not "
                                          "an RFC 3339 time)",
                                          args[i]);
            }
        } else if ((strcmp(args[i], "--base-url") == 0 || strcmp(args[i], "--url") == 0) &&
                   i + 1 < n) {
            base_url = args[++i];
        } else if (strcmp(args[i], "--content-location") == 0 && i + 1 < n) {
            content_location = args[++i];
        } else if (strcmp(args[i], "--content-type") == 0 && i + 1 < n) {
            content_type = args[++i];
        } else if (strcmp(args[i], "--format") == 0 && i + 1 < n &&
                   (strcmp(args[i + 1], "jsonl") == 0 || strcmp(args[i + 1], "items") == 0)) {
            format = args[++i];
        } else if (strcmp(args[i], "--kind") == 0 && i + 1 < n &&
                   (strcmp(args[i + 1], "rss") == 0 || strcmp(args[i + 1], "wechat_feed") == 0 ||
                    strcmp(args[i + 1], "weibo") == 0)) {
            kind = args[++i];
        } else if (args[i][0] != '-' && !file) {
            file = args[i];
        } else {
            return yq_cli_extra_argument("yuqing-collector parse", usage, args[i]);
        }
    }
    if (!file) {
        return yq_cli_usage_error("yuqing-collector parse", usage, "缺少 FILE (FILE is missing)");
    }
    err = yq_fs_read_file(file, PARSE_MAX_FILE_BYTES, &body, &len);
    if (err) {
        return yq_cli_cannot_read("yuqing-collector parse", file, err);
    }
    if (strcmp(kind, "weibo") == 0) {
        err = print_weibo(body, len, fetched_at);
        free(body);
        return err ? 1 : 0;
    }
    in.body = body;
    in.len = len;
    in.base_url = base_url;
    in.fetched_at = fetched_at;
    in.content_type = content_type;
    in.content_location = content_location;
    err = feed_parse(&in, &f, err_msg, sizeof(err_msg));
    free(body);
    if (err) {
        fprintf(stderr, "yuqing-collector parse: '%s': %s\n", file,
                err_msg[0] ? err_msg : yq_strerror(err));
        return 1;
    }
    if (strcmp(format, "items") == 0) {
        fprintf(stderr, "yuqing-collector parse: '%s': %s, encoding %s (%s)%s%s\n", file,
                f->format, f->encoding ? f->encoding : "-",
                f->encoding_source ? f->encoding_source : "-", f->bozo ? ", bozo: " : "",
                f->bozo && f->bozo_message ? f->bozo_message : "");
        err = print_items(f, kind, fetched_at);
    } else {
        err = feed_dump_json(f, stdout);
    }
    feed_free(f);
    if (fflush(stdout) != 0) {
        err = ERR_IO;
    }
    return err ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct yq_proc_args args;
    struct collector_config cfg;
    struct store *store = NULL;
    struct item_producer *producer = NULL;
    struct poller *poller = NULL;
    struct yq_metrics_http *metrics = NULL;
    struct yq_kafka_probe *kprobe = NULL;
    struct poller_opts popts = {0};
    struct item_producer_opts iopts = {0};
    struct item_producer_leftovers left = {0};
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
        } else if (strcmp(args.rest[i], "--shard") == 0 && i + 1 < args.n_rest) {
            if (poller_parse_shard(args.rest[++i], &popts) != 0) {
                return yq_cli_usage_error("yuqing-collector", NULL,
                                          "选项 '--shard' 的取值 '%s' 须为 I/N，0 <= I < N <= 1024 "
                                          "(--shard wants I/N with 0 <= I < N <= 1024)",
                                          args.rest[i]);
            }
        } else {
            return yq_cli_extra_argument("yuqing-collector", usage, args.rest[i]);
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
    /* /metrics, /healthz and Kafka's state for them (docs/operations.md) */
    if (yq_health_endpoint_start(&cfg.collector.metrics, &cfg.kafka, KAFKA_PROBE_EVERY_MS,
                                 &metrics, &kprobe, errbuf, sizeof(errbuf)) != 0) {
        LOG_ERR("start-up failed: %s", errbuf);
        code = 1;
        goto done;
    }
    if (metrics) {
        popts.metrics = metrics;
        popts.kafka_state = yq_kafka_probe_state_cb;
        popts.kafka_state_arg = kprobe;
    }
    iopts.linger_ms = cfg.collector.kafka_linger_ms;
    iopts.spool_path = cfg.collector.spool_path && cfg.collector.spool_path[0]
                           ? cfg.collector.spool_path
                           : NULL;
    store = store_new(&cfg.redis, cfg.collector.redis_retry_ms);
    producer = store ? item_producer_new(&cfg.kafka, store, &iopts, errbuf, sizeof(errbuf))
                     : NULL;
    poller = producer ? poller_new(&cfg, store, producer, &popts, errbuf, sizeof(errbuf)) : NULL;
    if (!poller) {
        LOG_ERR("start-up failed: %s", store ? errbuf : "out of memory");
        code = 1;
        goto done;
    }
    rc = item_producer_replay_spool(producer);
    if (rc < 0) {
        LOG_ERR("cannot read the spool file path='%s': items in it are kept for the next start",
                iopts.spool_path);
    }
    LOG_INFO("collector started sources=%zu topic=%s once=%d", poller_source_count(poller),
             cfg.kafka.items_topic, (int)once);
    rc = poller_run(poller, once, &left);
    if (rc) {
        LOG_ERR("collector stopped with lost items count=%zu spooled=%zu err=%s", left.lost,
                left.spooled, yq_strerror(rc));
        code = 1;
    } else if (left.spooled) {
        LOG_WARN("collector stopped with items spooled count=%zu path='%s'", left.spooled,
                 iopts.spool_path);
    } else {
        LOG_INFO("collector stopped cleanly");
    }
done:
    item_producer_free(producer); /* before the poller: it holds delivery tallies */
    poller_free(poller);
    yq_metrics_http_stop(metrics);
    yq_kafka_probe_stop(kprobe);
    store_free(store);
    collector_config_release(&cfg);
    curl_global_cleanup();
    xmlCleanupParser();
    return code;
}
