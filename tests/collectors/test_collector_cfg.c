/* config/sources.yaml loading (table-driven, unknown keys rejected) and backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_cfg.h"
#include "poller.h"
#include "yq_err.h"
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
        {"collector:\n  max_bodybytes: 1M\n", "sources.yaml:2: unknown key 'collector.max_bodybytes'"},
        {"nope: 1\n", "unknown key 'nope'"},
        {"sources:\n  - url: http://x.example/\n", "needs 'id'"},
        {"sources:\n  - id: a\n", "needs an http(s) 'url'"},
        {"sources:\n  - id: a\n    url: ftp://x.example/\n", "needs an http(s) 'url'"},
        {"sources:\n  - id: a\n    url: http://x/\n  - id: a\n    url: http://y/\n",
         "sources.yaml:4: duplicate source id 'a'"},
        {"sources:\n  - id: a\n    url: http://x/\n    kind: telegram\n", "unknown kind 'telegram'"},
        {"sources:\n  - id: a\n    url: http://x/\n    interval: 500ms\n", "interval"},
        {"sources:\n  - id: a b\n    url: http://x/\n", "no spaces"},
        {"sources: 3\n", "'sources' must be a list"},
        {"sources:\n  - id: a\n    url: http://x/\n    enabled: maybe\n", "enabled"},
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

static void test_backoff(void **state)
{
    uint64_t rng = 42;

    (void)state;
    for (int i = 0; i < 200; i++) {
        int64_t d1 = poller_backoff_ms(60000, 3600000, 1, false, &rng);
        int64_t d3 = poller_backoff_ms(60000, 3600000, 3, false, &rng);
        int64_t d20 = poller_backoff_ms(60000, 3600000, 20, false, &rng);
        int64_t big = poller_backoff_ms(7200000, 3600000, 5, false, &rng);
        /* rate limited / blocked / login wall: at least 2x the interval, capped (FC-005) */
        int64_t h1 = poller_backoff_ms(60000, 3600000, 1, true, &rng);
        int64_t h20 = poller_backoff_ms(60000, 3600000, 20, true, &rng);
        int64_t hsmallcap = poller_backoff_ms(60000, 90000, 3, true, &rng);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_shard),
        cmocka_unit_test(test_weibo_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
