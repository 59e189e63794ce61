/* config/sources.yaml loading (table-driven, unknown keys rejected) and backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "collector_cfg.h"
#include "fetch.h"
#include "poller.h"
#include "source_kind.h"
#include "source_run.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_health.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_banned.h"

static int load(struct collector_config *cfg, const char *text, char *err, size_t errlen)
{
    return collector_config_load(cfg, "sources.yaml", text, strlen(text), err, errlen);
}

static void test_full_config(void **state)
{
    static const char text[] =
        "kafka:\n"
        "  bootstrap_servers: 127.0.0.1:39092\n"
        "redis:\n"
        "  port: 6380\n"
        "  seen_ttl_s: 86400\n"
        "collector:\n"
        "  max_body_bytes: 2M\n"
        "  timeout_ms: 15s\n"
        "  max_per_host: 1\n"
        "sources:\n"
        "  - id: people-politics\n"
        "    url: http://www.people.com.cn/rss/politics.xml\n"
        "    name: 人民网时政\n"
        "    interval: 10m\n"
        "    department: 网信办\n"
        "  - id: shfb\n"
        "    kind: wechat_feed\n"
        "    url: https://rsshub.example/wechat/shfb\n"
        "    enabled: false\n"
        "  - id: weibo-ak\n"
        "    kind: weibo_user\n"
        "    url: https://m.weibo.cn/api/container/getIndex?containerid=1076031234\n";
    struct collector_config cfg;
    char err[256] = "";

    (void)state;
    assert_int_equal(load(&cfg, text, err, sizeof(err)), 0);
    assert_string_equal(cfg.kafka.bootstrap_servers, "127.0.0.1:39092");
    assert_string_equal(cfg.kafka.items_topic, "yuqing.items");
    assert_int_equal(cfg.redis.port, 6380);
    assert_int_equal(cfg.redis.seen_ttl_s, 86400);
    assert_int_equal(cfg.collector.max_body_bytes, 2 * 1024 * 1024);
    assert_int_equal(cfg.collector.timeout_ms, 15000);
    assert_int_equal(cfg.collector.connect_timeout_ms, 10000);
    assert_int_equal(cfg.collector.max_redirects, 5);
    assert_int_equal(cfg.collector.max_per_host, 1);
    /* issue #10 defaults: slow transfers, parse threads and queue, Weibo baseline window */
    assert_int_equal(cfg.collector.host_slot_ms, 10000);
    assert_int_equal(cfg.collector.parse_threads, 2);
    assert_int_equal(cfg.collector.parse_queue_bytes, 16 * 1024 * 1024);
    assert_int_equal(cfg.collector.body_memory_bytes, 0); /* 0 = 2 x max_body_bytes */
    assert_int_equal(cfg.collector.weibo_first_crawl_window_ms, 24LL * 3600 * 1000);
    /* the item's text cap is the default (it was 1 MiB, twice what an item holds) */
    assert_int_equal(cfg.collector.max_text_bytes, 524288);
    assert_int_equal(cfg.collector.max_text_bytes, YQ_ITEM_MAX_TEXT_BYTES);
    assert_int_equal(cfg.n_sources, 3);
    assert_string_equal(cfg.sources[0].id, "people-politics");
    assert_string_equal(cfg.sources[0].kind, "rss");
    assert_string_equal(cfg.sources[0].name, "人民网时政");
    assert_int_equal(cfg.sources[0].interval_ms, 600000);
    assert_string_equal(cfg.sources[0].department, "网信办");
    assert_true(cfg.sources[0].enabled);
    assert_true(cfg.sources[0].feed);
    assert_int_equal(cfg.sources[1].kind_id, SOURCE_WECHAT_FEED);
    assert_true(cfg.sources[1].feed);
    assert_false(cfg.sources[1].enabled);
    assert_int_equal(cfg.sources[1].interval_ms, 300000); /* default 5m */
    assert_null(cfg.sources[1].name);
    assert_int_equal(cfg.sources[2].kind_id, SOURCE_WEIBO_USER);
    assert_false(cfg.sources[2].feed); /* accepted, not fetched until issue 3 */

    assert_int_equal(
        collector_config_set(&cfg, "collector.weibo_first_crawl_window=0", err, sizeof(err)), 0);
    assert_int_equal(cfg.collector.weibo_first_crawl_window_ms, 0); /* 0 = no baseline */
    assert_int_not_equal(
        collector_config_set(&cfg, "collector.parse_threads=0", err, sizeof(err)), 0);
    /* no more text than an item holds, from --set as from the file (test_old_max_text_bytes) */
    assert_int_equal(
        collector_config_set(&cfg, "collector.max_text_bytes=524289", err, sizeof(err)), 0);
    assert_int_equal(cfg.collector.max_text_bytes, 524288);
    assert_int_equal(collector_config_set(&cfg, "collector.max_text_bytes=64K", err, sizeof(err)),
                     0);
    assert_int_equal(cfg.collector.max_text_bytes, 65536);
    assert_int_equal(collector_config_set(&cfg, "collector.max_per_host=4", err, sizeof(err)), 0);
    assert_int_equal(cfg.collector.max_per_host, 4);
    assert_int_equal(collector_config_set(&cfg, "kafka.items_topic=test.items", err, sizeof(err)),
                     0);
    assert_string_equal(cfg.kafka.items_topic, "test.items");
    assert_int_equal(collector_config_set(&cfg, "sources.x=1", err, sizeof(err)), ERR_INVALID);
    assert_int_equal(collector_config_set(&cfg, "collector.nope=1", err, sizeof(err)), ERR_INVALID);
    {
        char *out = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&out, &len);
        collector_config_print(mem, &cfg);
        fclose(mem);
        assert_non_null(strstr(out, "  - id: \"people-politics\""));
        assert_non_null(strstr(out, "    interval: 600000"));
        assert_non_null(strstr(out, "  max_per_host: 4"));
        /* the help names every kind of the kinds table, weibo_hot included */
        assert_non_null(
            strstr(out, "    kind: \"rss\"  # rss | wechat_feed | weibo_user | weibo_search | "
                        "weibo_hot\n"));
        free(out);
    }
    collector_config_release(&cfg);
}

struct bad_case {
    const char *text;
    const char *needle; /* must appear in the message */
};

static void test_bad_configs(void **state)
{
    static const struct bad_case cases[] = {
        {"sources:\n  - id: a\n    url: http://x.example/\n    colour: red\n",
         "sources.yaml:4: unknown key 'colour'"},
        {"collector:\n  max_bodybytes: 1M\n",
         "sources.yaml:2: unknown key 'collector.max_bodybytes'"},
        {"nope: 1\n", "unknown key 'nope'"},
        {"sources:\n  - url: http://x.example/\n", "needs 'id'"},
        {"sources:\n  - id: a\n", "needs an http(s) 'url'"},
        {"sources:\n  - id: a\n    url: ftp://x.example/\n", "needs an http(s) 'url'"},
        {"sources:\n  - id: a\n    url: http://x/\n  - id: a\n    url: http://y/\n",
         "sources.yaml:4: duplicate source id 'a'"},
        {"sources:\n  - id: a\n    url: http://x/\n    kind: telegram\n",
         "unknown kind 'telegram'"},
        {"sources:\n  - id: a\n    url: http://x/\n    interval: 500ms\n", "interval"},
        {"sources:\n  - id: a b\n    url: http://x/\n", "no spaces"},
        {"sources: 3\n", "'sources' must be a list"},
        {"sources:\n  - id: a\n    url: http://x/\n    enabled: maybe\n", "enabled"},
        /* issue #10: the body memory budget holds at least one whole body */
        {"collector:\n  max_body_bytes: 2M\n  body_memory_bytes: 1M\n",
         "collector.body_memory_bytes (1048576) must be at least collector.max_body_bytes "
         "(2097152)"},
        /* above the old maximum (64 MiB) is still refused (below the cap: clamped) */
        {"collector:\n  max_text_bytes: 67108865\n",
         "sources.yaml:2: key 'collector.max_text_bytes': bad value '67108865' (bound for one "
         "item's extracted text; above the item's text cap (512 KiB) the cap is used, with a "
         "warning at load, range 1024..67108864)"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct collector_config cfg;
        char err[256] = "";
        int rc = load(&cfg, cases[i].text, err, sizeof(err));
        if (rc != ERR_INVALID || !strstr(err, cases[i].needle)) {
            print_error("case %zu: rc=%d err='%s', expected '%s'\n", i, rc, err, cases[i].needle);
        }
        assert_int_equal(rc, ERR_INVALID);
        assert_non_null(strstr(err, cases[i].needle));
        collector_config_release(&cfg);
    }
}

/*
 * collector.max_text_bytes as configurations before 2026-12-06 wrote it (1048576 was the
 * documented default; up to 64 MiB was accepted) loads with the item's text cap and one
 * warning naming the file, key and the value used (it stopped the collector); at or below the
 * cap a value is taken as it is, without a warning.
 */
static void test_old_max_text_bytes(void **state)
{
    static const struct {
        const char *text;
        int64_t used;
        const char *warning; /* NULL: none */
    } cases[] = {
        {"collector:\n  max_text_bytes: 1048576\n", 524288,
         "config value above the item text cap lowered file='sources.yaml' "
         "key=collector.max_text_bytes value=1048576 used=524288"},
        {"collector:\n  max_text_bytes: 64M\n", 524288, "value=67108864 used=524288"},
        {"collector:\n  max_text_bytes: 524289\n", 524288, "value=524289 used=524288"},
        {"collector:\n  max_text_bytes: 524288\n", 524288, NULL},
        {"collector:\n  max_text_bytes: 64K\n", 65536, NULL},
        {"sources: []\n", 524288, NULL},
    };
    char path[] = "/tmp/test_collector_cfg_XXXXXX";
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    close(fd);
    yq_log_init("collector", YQ_LOG_WARN);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct collector_config cfg;
        char err[256] = "", out[1024] = "";
        int saved = capture_begin(STDERR_FILENO, path);
        int rc = load(&cfg, cases[i].text, err, sizeof(err));
        capture_end(STDERR_FILENO, saved, path, out, sizeof(out));
        assert_int_equal(rc, 0);
        assert_int_equal(cfg.collector.max_text_bytes, cases[i].used);
        if (cases[i].warning) {
            if (!strstr(out, cases[i].warning)) {
                print_error("stderr: %s\n", out);
            }
            assert_non_null(strstr(out, cases[i].warning));
            assert_null(strstr(strstr(out, "\n") + 1, "max_text_bytes")); /* one warning */
        } else {
            assert_string_equal(out, "");
        }
        collector_config_release(&cfg);
    }
    unlink(path);
}

static void test_missing_file(void **state)
{
    struct collector_config cfg;
    char err[256] = "";

    (void)state;
    assert_int_equal(collector_config_load(&cfg, "/nonexistent/sources.yaml", NULL, 0, err,
                                           sizeof(err)),
                     ERR_NOT_FOUND);
    assert_non_null(strstr(err, "/nonexistent/sources.yaml"));
    collector_config_release(&cfg);
}

/*
 * Issue #16: after a successful poll a source is due at its own phase of the interval
 * (FNV-1a of its id mod the interval), the first such instant after half an interval:
 * steady polls exactly one interval apart, a late one pulled back to its phase, and ids
 * spread over the interval instead of polling together. Values from the definition
 * (FNV-1a 64 of "s1" mod 2000 = 1129, of "s0" = 918).
 */
static void test_next_due_keeps_a_phase(void **state)
{
    (void)state;
    /* phase 1129 of a 2 s interval */
    assert_int_equal(source_run_next_due_ms("s1", 2000, 0), 1129);
    assert_int_equal(source_run_next_due_ms("s1", 2000, 1129), 3129);  /* on time: +2000 */
    assert_int_equal(source_run_next_due_ms("s1", 2000, 1300), 3129);  /* late: back to phase */
    assert_int_equal(source_run_next_due_ms("s1", 2000, 2129), 5129);  /* > half late: next */
    assert_int_equal(source_run_next_due_ms("s1", 2000, 137), 3129);   /* > now + 1000 */
    assert_int_equal(source_run_next_due_ms("s0", 2000, 0), 2918);
    assert_int_equal(source_run_next_due_ms("s0", 2000, -5000), -3082); /* clock below 0 */
    assert_int_equal(source_run_next_due_ms("s0", 0, 77), 77);         /* no interval */
    /* every result in (now + I/2, now + 3I/2], congruent to the phase */
    for (int64_t now = 0; now < 5000; now += 7) {
        int64_t t = source_run_next_due_ms("s1", 2000, now);
        assert_true(t > now + 1000 && t <= now + 3000);
        assert_int_equal(t % 2000, 1129);
    }
    /* 1,000 ids polled together at 0 spread over the interval: every 100 ms tenth of it
     * gets some, none more than twice its share */
    {
        int per_tenth[20] = {0};
        for (int i = 0; i < 1000; i++) {
            char id[16];
            snprintf(id, sizeof(id), "s%d", i);
            int64_t t = source_run_next_due_ms(id, 2000, 0);
            assert_true(t > 1000 && t <= 3000);
            per_tenth[(t % 2000) / 100]++;
        }
        for (int b = 0; b < 20; b++) {
            assert_true(per_tenth[b] > 0 && per_tenth[b] <= 100);
        }
    }
}

static void test_backoff(void **state)
{
    uint64_t rng = 42;

    (void)state;
    for (int i = 0; i < 200; i++) {
        int64_t d1 = source_run_backoff_ms(60000, 3600000, 1, false, &rng);
        int64_t d3 = source_run_backoff_ms(60000, 3600000, 3, false, &rng);
        int64_t d20 = source_run_backoff_ms(60000, 3600000, 20, false, &rng);
        int64_t big = source_run_backoff_ms(7200000, 3600000, 5, false, &rng);
        /* rate limited / blocked / login wall: at least 2x the interval, capped (FC-005) */
        int64_t h1 = source_run_backoff_ms(60000, 3600000, 1, true, &rng);
        int64_t h20 = source_run_backoff_ms(60000, 3600000, 20, true, &rng);
        int64_t hsmallcap = source_run_backoff_ms(60000, 90000, 3, true, &rng);
        assert_in_range(d1, 30000, 60000);
        assert_in_range(d3, 120000, 240000);
        assert_in_range(d20, 1800000, 3600000); /* capped */
        assert_in_range(big, 3600000, 7200000); /* never below the interval's half */
        assert_in_range(h1, 120000, 120000);
        assert_in_range(h20, 1800000, 3600000);
        assert_in_range(hsmallcap, 120000, 120000); /* the 2x floor beats a small cap */
    }
}

static void test_shard(void **state)
{
    struct poller_opts o = {0};
    int per[4] = {0};
    char id[32];

    (void)state;
    assert_int_equal(poller_parse_shard("1/4", &o), 0);
    assert_int_equal(o.shard_index, 1);
    assert_int_equal(o.shard_count, 4);
    assert_int_equal(poller_parse_shard("4/4", &o), ERR_INVALID);
    assert_int_equal(poller_parse_shard("0/0", &o), ERR_INVALID);
    assert_int_equal(poller_parse_shard("a/2", &o), ERR_INVALID);
    assert_int_equal(poller_parse_shard("1/2x", &o), ERR_INVALID);
    assert_int_equal(poller_parse_shard("-1/2", &o), ERR_INVALID);
    for (int i = 0; i < 1000; i++) {
        int owners = 0;
        snprintf(id, sizeof(id), "src-%d", i);
        for (unsigned s = 0; s < 4; s++) {
            if (poller_in_shard(id, s, 4)) {
                owners++;
                per[s]++;
            }
        }
        assert_int_equal(owners, 1); /* every source in exactly one shard */
    }
    for (int s = 0; s < 4; s++) {
        assert_in_range(per[s], 180, 320);
    }
    assert_true(poller_in_shard("x", 0, 1));
}

static void test_weibo_sources(void **state)
{
    static const char text[] =
        "sources:\n"
        "  - id: wb-user\n    kind: weibo_user\n    uid: \"1669879400\"\n"
        "    stale_after: 72h\n    cookie_file: /etc/yuqing/weibo.cookie\n"
        "  - id: wb-search\n    kind: weibo_search\n    query: 安康 拆迁\n";
    static const char no_uid[] = "sources:\n  - id: w\n    kind: weibo_user\n";
    static const char bad_uid[] = "sources:\n  - id: w\n    kind: weibo_user\n    uid: abc\n";
    static const char no_query[] = "sources:\n  - id: w\n    kind: weibo_search\n";
    struct collector_config cfg;
    char err[256];
    char *u;

    (void)state;
    assert_int_equal(collector_config_load(&cfg, "t.yaml", text, strlen(text), err,
                                           sizeof(err)),
                     0);
    assert_int_equal(cfg.sources[0].stale_after_ms, 72LL * 3600 * 1000);
    u = collector_weibo_url(&cfg, &cfg.sources[0]);
    assert_string_equal(u, "https://m.weibo.cn/api/container/getIndex?type=uid&value=1669879400"
                           "&containerid=1076031669879400");
    free(u);
    u = collector_weibo_url(&cfg, &cfg.sources[1]);
    assert_string_equal(u, "https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D1"
                           "%26q%3D%E5%AE%89%E5%BA%B7%20%E6%8B%86%E8%BF%81&page_type=searchall");
    free(u);
    collector_config_release(&cfg);
    assert_int_equal(collector_config_load(&cfg, "t.yaml", no_uid, strlen(no_uid), err,
                                           sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "uid"));
    assert_int_equal(collector_config_load(&cfg, "t.yaml", bad_uid, strlen(bad_uid), err,
                                           sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(collector_config_load(&cfg, "t.yaml", no_query, strlen(no_query), err,
                                           sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "query"));
}


/* Issue #15: a weibo_hot source, its watch_terms and rise_rank, and what is refused. */
static void test_weibo_hot_sources(void **state)
{
    static const char text[] =
        "sources:\n"
        "  - id: wb-hot\n    kind: weibo_hot\n    interval: 2m\n"
        "    watch_terms: [安康, 汉江, 旬阳, 紫阳, 安康]\n"
        "  - id: wb-hot-pc\n    kind: weibo_hot\n    url: https://weibo.com/ajax/side/hotSearch\n"
        "    rise_rank: 0\n    watch_terms:\n      - \"平利 \\\"茶\\\"\"\n";
    static const struct {
        const char *yaml;
        const char *err;
    } bad[] = {
        {"    watch_terms: 安康\n", "t.yaml:5: source 'h': 'watch_terms' must be a list of terms"},
        {"    watch_terms: [安康, \"\"]\n", "source 'h': each of 'watch_terms' must be a non-empty"},
        {"    watch_terms: [安康, \"  \"]\n", "each of 'watch_terms' must be a non-empty term"},
        {"    watch_terms: [[安康]]\n", "each of 'watch_terms' must be a non-empty term"},
        {"    watch_terms: [{a: 1}]\n", "each of 'watch_terms' must be a non-empty term"},
        {"    watch_terms: [\"安\\u0007康\"]\n", "a watch term has a control character"},
        {"    rise_rank: 51\n", "rise_rank"},
        {"    rise_rank: -1\n", "rise_rank"},
    };
    struct collector_config cfg;
    char err[256], buf[4096];
    char *u, *printed = NULL;
    size_t printed_len = 0;
    FILE *mem;

    (void)state;
    assert_int_equal(collector_config_load(&cfg, "t.yaml", text, strlen(text), err, sizeof(err)),
                     0);
    assert_int_equal(cfg.sources[0].kind_id, SOURCE_WEIBO_HOT);
    assert_int_equal(cfg.sources[0].n_watch_terms, 4); /* the repeated 安康 kept once */
    assert_string_equal(cfg.sources[0].watch_terms[3], "紫阳");
    assert_int_equal(cfg.sources[0].rise_rank, 10); /* the default */
    assert_int_equal(cfg.sources[1].rise_rank, 0);
    assert_string_equal(cfg.sources[1].watch_terms[0], "平利 \"茶\"");
    /* without url: the mobile real-time board after collector.weibo_api */
    u = source_kind_of(SOURCE_WEIBO_HOT)->first_url(&cfg, &cfg.sources[0]);
    assert_string_equal(u, "https://m.weibo.cn/api/container/getIndex?containerid=106003type%3D25"
                           "%26t%3D3%26disable_hot%3D1%26filter_type%3Drealtimehot");
    free(u);
    u = source_kind_of(SOURCE_WEIBO_HOT)->first_url(&cfg, &cfg.sources[1]);
    assert_string_equal(u, "https://weibo.com/ajax/side/hotSearch");
    free(u);
    /* --print-config writes the list as a YAML flow list of quoted terms */
    mem = open_memstream(&printed, &printed_len);
    assert_non_null(mem);
    collector_config_print(mem, &cfg);
    fclose(mem);
    assert_non_null(strstr(printed, "    watch_terms: [\"安康\", \"汉江\", \"旬阳\", \"紫阳\"]\n"));
    assert_non_null(strstr(printed, "    watch_terms: [\"平利 \\\"茶\\\"\"]\n"));
    collector_config_release(&cfg);
    free(printed);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc;
        snprintf(buf, sizeof(buf), "sources:\n  - id: h\n    kind: weibo_hot\n    interval: 2m\n%s",
                 bad[i].yaml);
        rc = collector_config_load(&cfg, "t.yaml", buf, strlen(buf), err, sizeof(err));
        if (rc != ERR_INVALID || !strstr(err, bad[i].err)) {
            print_error("case %zu: rc=%d err='%s', want '%s'\n", i, rc, err, bad[i].err);
        }
        assert_int_equal(rc, ERR_INVALID);
        assert_non_null(strstr(err, bad[i].err));
    }
    /* too many, too long; and not for other kinds */
    {
        size_t off = (size_t)snprintf(buf, sizeof(buf),
                                      "sources:\n  - id: h\n    kind: weibo_hot\n    watch_terms: [");
        for (int i = 0; i <= SOURCE_WATCH_TERMS_MAX; i++) {
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%st%d", i ? "," : "", i);
        }
        snprintf(buf + off, sizeof(buf) - off, "]\n");
        assert_int_equal(collector_config_load(&cfg, "t.yaml", buf, strlen(buf), err, sizeof(err)),
                         ERR_INVALID);
        assert_non_null(strstr(err, "at most 200 'watch_terms' (201 given)"));
    }
    {
        size_t off = (size_t)snprintf(buf, sizeof(buf),
                                      "sources:\n  - id: h\n    kind: weibo_hot\n    watch_terms: [");
        for (int i = 0; i < SOURCE_WATCH_TERM_MAX_BYTES / 3 + 1; i++) {
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "安");
        }
        snprintf(buf + off, sizeof(buf) - off, "]\n");
        assert_int_equal(collector_config_load(&cfg, "t.yaml", buf, strlen(buf), err, sizeof(err)),
                         ERR_INVALID);
        assert_non_null(strstr(err, "a watch term is longer than 256 bytes"));
    }
    snprintf(buf, sizeof(buf), "sources:\n  - id: w\n    kind: weibo_search\n    query: 安康\n"
                               "    watch_terms: [安康]\n");
    assert_int_equal(collector_config_load(&cfg, "t.yaml", buf, strlen(buf), err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "t.yaml:5: source 'w': 'watch_terms' is for kind weibo_hot"));
}

/* The headers a source sends, as "Name: value" lines joined by '|'. */
static void sent_headers(const struct source_cfg *src, char *out, size_t len)
{
    struct curl_slist *h = NULL;
    size_t off = 0;

    out[0] = '\0';
    if (source_kind_of(src->kind_id)->src_headers) {
        assert_int_equal(source_kind_of(src->kind_id)->src_headers(src, &h), 0);
    }
    assert_int_equal(fetch_add_source_headers(src, &h), 0);
    for (struct curl_slist *l = h; l; l = l->next) {
        int n = snprintf(out + off, len - off, "%s%s", off ? "|" : "", l->data);
        assert_true(n > 0 && (size_t)n < len - off);
        off += (size_t)n;
    }
    curl_slist_free_all(h);
}

static void test_source_headers(void **state)
{
    static const char text[] =
        "sources:\n"
        "  - id: feed\n"
        "    url: http://x.example/f.xml\n"
        "    headers:\n"
        "      X-Api-Key: s3cret-token\n"
        "      Accept-Language: \"zh-CN,zh;q=0.9\"\n"
        "      User-Agent: Mozilla/5.0 (X11)\n"
        "  - id: wb\n"
        "    kind: weibo_user\n"
        "    uid: '1669879400'\n"
        "    headers:\n"
        "      referer: https://m.weibo.cn/p/1\n"
        "  - id: plain\n"
        "    url: http://x.example/p.xml\n"
        "    headers: {}\n";
    struct collector_config cfg;
    char err[256] = "", sent[1024];
    char *printed = NULL;
    size_t printed_len = 0;
    FILE *mem;

    (void)state;
    assert_int_equal(load(&cfg, text, err, sizeof(err)), 0);
    assert_int_equal(cfg.sources[0].n_headers, 3);
    assert_string_equal(cfg.sources[0].headers[0].name, "X-Api-Key");
    assert_string_equal(cfg.sources[0].headers[0].value, "s3cret-token");
    assert_string_equal(cfg.sources[0].headers[1].value, "zh-CN,zh;q=0.9");
    assert_int_equal(cfg.sources[2].n_headers, 0);
    sent_headers(&cfg.sources[0], sent, sizeof(sent));
    assert_string_equal(sent, "X-Api-Key: s3cret-token|Accept-Language: zh-CN,zh;q=0.9|"
                              "User-Agent: Mozilla/5.0 (X11)");
    /* a configured Referer replaces the Weibo default instead of being sent twice */
    sent_headers(&cfg.sources[1], sent, sizeof(sent));
    assert_string_equal(sent, "MWeibo-Pwa: 1|X-Requested-With: XMLHttpRequest|"
                              "Accept: application/json, text/plain, */*|"
                              "referer: https://m.weibo.cn/p/1");
    sent_headers(&cfg.sources[2], sent, sizeof(sent));
    assert_string_equal(sent, "");
    /* --print-config names the headers, never their values */
    mem = open_memstream(&printed, &printed_len);
    assert_non_null(mem);
    collector_config_print(mem, &cfg);
    fclose(mem);
    assert_non_null(strstr(printed, "# headers (values not printed): X-Api-Key, Accept-Language, "
                                    "User-Agent\n"));
    assert_null(strstr(printed, "s3cret"));
    free(printed);
    collector_config_release(&cfg);
}

static void test_bad_source_headers(void **state)
{
    static const struct bad_case cases[] = {
        {"      \"X Api\": s3cret\n", "t.yaml:5: source 'a': header name 'X Api' may hold only"},
        {"      \"X:Api\": s3cret\n", "t.yaml:5: source 'a': header name 'X:Api'"},
        {"      \"X-Ä\": s3cret\n", "t.yaml:5: source 'a': header name"},
        {"      \"X\\r\\nHost\": s3cret\n", "t.yaml:5: source 'a': header name '?'"},
        {"      \"\": s3cret\n", "t.yaml:5: source 'a': a header name must be text"},
        {"      X-Api: \"s3cret\\r\\nHost: evil\"\n",
         "t.yaml:5: source 'a': header 'X-Api' value holds CR/LF"},
        {"      X-Api: \"s3cret\\nX: y\"\n",
         "t.yaml:5: source 'a': header 'X-Api' value holds CR/LF"},
        {"      X-Api: |\n        s3cret\n        more\n",
         "t.yaml:5: source 'a': header 'X-Api' value holds CR/LF"},
        {"      X-Api: \"s3cret\\0x\"\n",
         "t.yaml:5: source 'a': header 'X-Api' value holds a control"},
        {"      X-Api: [s3cret, b]\n",
         "t.yaml:5: source 'a': header 'X-Api' needs a text value"},
        {"      X-Api:\n        k: s3cret\n",
         "t.yaml:6: source 'a': header 'X-Api' needs a text value"},
        {"      X-Api: \"\"\n", "t.yaml:5: source 'a': header 'X-Api' has an empty value"},
        {"      Host: s3cret.example\n",
         "t.yaml:5: source 'a': header 'Host' is set by the collector"},
        {"      content-length: 12\n", "t.yaml:5: source 'a': header 'content-length' is set by"},
        {"      Transfer-Encoding: chunked\n", "header 'Transfer-Encoding' is set by"},
        {"      If-None-Match: s3cret\n", "header 'If-None-Match' is set by"},
        {"      X-Api: s3cret\n      x-api: s3cret2\n",
         "t.yaml:6: source 'a': header 'x-api' given twice"},
        {"      Cookie: SUB=s3cret\n    cookie_file: /etc/c\n",
         "t.yaml:5: source 'a': header 'Cookie' and 'cookie_file' together"},
    };
    static const char lists[] = "sources:\n  - id: a\n    url: http://x/\n    headers:\n"
                                "      - X-Api\n";
    static const char scalar[] = "sources:\n  - id: a\n    url: http://x/\n    headers: s3cret\n";
    struct collector_config cfg;
    char text[512], err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;

        snprintf(text, sizeof(text), "sources:\n  - id: a\n    url: http://x/\n    headers:\n%s",
                 cases[i].text);
        err[0] = '\0';
        rc = collector_config_load(&cfg, "t.yaml", text, strlen(text), err, sizeof(err));
        if (rc != ERR_INVALID || !strstr(err, cases[i].needle) || strstr(err, "s3cret") ||
            strpbrk(err, "\r\n")) {
            print_error("case %zu: rc=%d err='%s', expected '%s'\n", i, rc, err, cases[i].needle);
        }
        assert_int_equal(rc, ERR_INVALID);
        assert_non_null(strstr(err, cases[i].needle));
        assert_null(strstr(err, "s3cret")); /* values are never echoed */
        assert_null(strpbrk(err, "\r\n"));
        collector_config_release(&cfg);
    }
    assert_int_equal(collector_config_load(&cfg, "t.yaml", lists, strlen(lists), err,
                                           sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "t.yaml:5: source 'a': 'headers' must be a mapping"));
    assert_int_equal(collector_config_load(&cfg, "t.yaml", scalar, strlen(scalar), err,
                                           sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "t.yaml:4: source 'a': 'headers' must be a mapping"));
    assert_null(strstr(err, "s3cret"));
}

/* Issue #10: the /healthz JSON and dependency metric shared by every process (yq_health.h). */
static void test_health_shapes(void **state)
{
    struct yq_dep deps[2] = {{"kafka", YQ_DEP_UP}, {"redis", YQ_DEP_UP}};
    char out[256], tiny[16];
    struct yq_buf b;

    (void)state;
    assert_int_equal(yq_health_json(deps, 2, out, sizeof(out)), 200);
    assert_string_equal(out, "{\"status\":\"ok\",\"dependencies\":{\"kafka\":\"up\","
                             "\"redis\":\"up\"}}");
    deps[0].state = YQ_DEP_DOWN;
    assert_int_equal(yq_health_json(deps, 2, out, sizeof(out)), 503);
    assert_string_equal(out, "{\"status\":\"down\",\"dependencies\":{\"kafka\":\"down\","
                             "\"redis\":\"up\"}}");
    deps[0].state = YQ_DEP_UNKNOWN; /* not known yet: not healthy */
    assert_int_equal(yq_health_json(deps, 2, out, sizeof(out)), 503);
    assert_non_null(strstr(out, "\"kafka\":\"unknown\""));
    assert_int_equal(yq_health_json(deps, 2, tiny, sizeof(tiny)), ERR_TOO_BIG);
    yq_buf_init(&b, 4096);
    assert_int_equal(yq_health_metrics(&b, "collector", deps, 2), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "# HELP yuqing_collector_dependency_up 1 when the dependency "
                                "answered its last check\n"
                                "# TYPE yuqing_collector_dependency_up gauge\n"
                                "yuqing_collector_dependency_up{dependency=\"kafka\"} 0\n"
                                "yuqing_collector_dependency_up{dependency=\"redis\"} 1\n");
    yq_buf_release(&b);
    yq_buf_init(&b, sizeof(tiny));
    assert_int_equal(yq_health_metrics(&b, "collector", deps, 2), ERR_TOO_BIG);
    yq_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_health_shapes),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_old_max_text_bytes),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_next_due_keeps_a_phase),
        cmocka_unit_test(test_shard),
        cmocka_unit_test(test_weibo_sources),
        cmocka_unit_test(test_weibo_hot_sources),
        cmocka_unit_test(test_source_headers),
        cmocka_unit_test(test_bad_source_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
