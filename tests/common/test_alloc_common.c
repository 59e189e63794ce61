/*
 * Allocation failures in the common parsers (c-style.md §8): item and alert JSON, source events
 * (issue #15, both ways) and the JSON text every encoder ends with, YAML config documents and
 * table-driven filling. Every allocation in turn fails (once, and from then on); each call must
 * return 0 or ERR_NOMEM, leave nothing behind on failure and never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "yq_alert.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_json.h"
#include "yq_source_event.h"
#include "yq_banned.h"

static const char item_json[] =
    "{\"schema\":1,\"id\":\"rss:0123456789abcdef\",\"source\":\"rss\","
    "\"source_id\":\"ankang-news\",\"channel\":\"安康新闻网\","
    "\"url\":\"https://news.example.cn/2026/1129/a1.html\","
    "\"title\":\"汉滨区征地补偿款\\\"迟迟未到位\\\"\",\"text\":\"村民反映：补偿款\\n尚未发放\","
    "\"author\":\"记者 张三\",\"published_at\":\"2026-11-29T08:00:00Z\","
    "\"published_precision\":\"minute\",\"fetched_at\":\"2026-11-29T08:01:00Z\","
    "\"metrics\":{\"reposts\":1000000,\"comments\":72000,\"likes\":5,\"capped\":true},"
    "\"region\":\"陕西\",\"reply_to\":\"weibo:1\",\"truncated\":true}";

static const char alert_json[] =
    "{\"schema\":1,\"event_key\":\"ev:rss:01\",\"event\":{\"new\":true,\"items\":2,"
    "\"via\":\"repost\"},\"rules_version\":3,\"matched_at\":\"2026-11-29T08:00:00Z\","
    "\"score\":40.0,\"level\":\"III\",\"department\":\"市自然资源局\","
    "\"matches\":[{\"rule_id\":\"land-01\",\"name\":\"征地拆迁补偿\",\"group\":\"征地拆迁\","
    "\"department\":\"市自然资源局\",\"level\":\"III\",\"terms\":["
    "{\"term\":\"征地\",\"field\":\"title\",\"start\":3,\"end\":5,\"excerpt\":\"征地\"},"
    "{\"term\":\"补偿\",\"field\":\"text\",\"start\":5,\"end\":7}]},"
    "{\"rule_id\":\"env-01\",\"name\":\"环境污染\",\"department\":\"市生态环境局\","
    "\"level\":\"IV\",\"terms\":[{\"term\":\"污染\",\"field\":\"text\",\"start\":0,"
    "\"end\":2}]}],"
    "\"item\":{\"schema\":1,\"id\":\"rss:01\",\"source\":\"rss\","
    "\"source_id\":\"ak-news\",\"channel\":\"安康新闻网\","
    "\"url\":\"https://news.example.cn/1\",\"title\":\"征地\",\"text\":\"补偿污染\","
    "\"author\":\"\",\"published_at\":null,\"published_precision\":\"second\","
    "\"fetched_at\":\"2026-11-29T07:59:00Z\"}}";

/* Every string of item is NULL: a failed decode left nothing to free. */
static void assert_item_empty(const struct yq_item *it)
{
    assert_null(it->id);
    assert_null(it->source);
    assert_null(it->source_id);
    assert_null(it->channel);
    assert_null(it->url);
    assert_null(it->title);
    assert_null(it->text);
    assert_null(it->author);
    assert_null(it->region);
    assert_null(it->reply_to);
}

/*
 * rc is 0, or ERR_NOMEM after an injected failure, or ERR_PARSE when jansson's own
 * allocation failed (jansson 2.14 reports most of those as syntax errors).
 */
static void assert_ok_or_nomem(const char *what, int rc, bool injected, const char *err)
{
    if (rc == 0 || (injected && rc == ERR_NOMEM) ||
        (rc == ERR_PARSE && alloc_fail_injected_in_lib())) {
        return;
    }
    fail_msg("%s: rc %d (%s) err '%s' with%s an injected failure", what, rc, yq_strerror(rc), err,
             injected ? "" : "out");
}

/*
 * jansson 2.14's lexer ignores a failed growth of its token buffer and drops that byte, so
 * after a failure inside jansson a "successful" decode may hold a shortened string (a library
 * defect we cannot detect); contents are compared only when jansson's allocations all worked.
 */
static bool lib_may_have_dropped_bytes(void)
{
    return alloc_fail_injected_in_lib();
}

/* ---- yq_item_decode ---- */

struct item_arg {
    struct yq_item item;
    char err[256];
};

static int item_run(void *p)
{
    struct item_arg *a = p;

    a->err[0] = '\0';
    memset(&a->item, 0xA5, sizeof(a->item)); /* the callee must zero it */
    return yq_item_decode(item_json, strlen(item_json), &a->item, a->err, sizeof(a->err));
}

static void item_check(void *p, int rc, bool injected)
{
    struct item_arg *a = p;

    assert_ok_or_nomem("yq_item_decode", rc, injected, a->err);
    if (rc != 0) {
        assert_item_empty(&a->item);
        return;
    }
    if (lib_may_have_dropped_bytes()) {
        yq_item_release(&a->item);
        return;
    }
    assert_string_equal(a->item.id, "rss:0123456789abcdef");
    assert_string_equal(a->item.reply_to, "weibo:1");
    assert_string_equal(a->item.region, "陕西");
    assert_true(a->item.truncated);
    yq_item_release(&a->item);
}

static void test_item_decode(void **state)
{
    struct item_arg a;
    struct alloc_fail_case c = {"yq_item_decode", item_run, item_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 10);
}

/* ---- yq_alert_decode ---- */

struct alert_arg {
    struct yq_alert alert;
    char err[256];
};

static int alert_run(void *p)
{
    struct alert_arg *a = p;

    a->err[0] = '\0';
    memset(&a->alert, 0xA5, sizeof(a->alert));
    return yq_alert_decode(alert_json, strlen(alert_json), &a->alert, a->err, sizeof(a->err));
}

static void alert_check(void *p, int rc, bool injected)
{
    struct alert_arg *a = p;

    assert_ok_or_nomem("yq_alert_decode", rc, injected, a->err);
    if (rc != 0) {
        assert_null(a->alert.event_key);
        assert_null(a->alert.event_via);
        assert_null(a->alert.department);
        assert_null(a->alert.matches);
        assert_int_equal(a->alert.n_matches, 0);
        assert_item_empty(&a->alert.item);
        return;
    }
    if (lib_may_have_dropped_bytes()) {
        yq_alert_release(&a->alert);
        return;
    }
    assert_int_equal(a->alert.n_matches, 2);
    assert_string_equal(a->alert.matches[0].group, "征地拆迁");
    assert_null(a->alert.matches[1].group);
    assert_int_equal(a->alert.matches[0].n_terms, 2);
    assert_string_equal(a->alert.matches[0].terms[0].excerpt, "征地");
    assert_string_equal(a->alert.event_via, "repost");
    assert_string_equal(a->alert.item.text, "补偿污染");
    yq_alert_release(&a->alert);
}

static void test_alert_decode(void **state)
{
    struct alert_arg a;
    struct alloc_fail_case c = {"yq_alert_decode", alert_run, alert_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 10);
}

/* ---- yq_source_event_decode / yq_source_event_encode (issue #15) ---- */

static const char source_event_json[] =
    "{\"schema\":1,\"source_id\":\"weibo-ankang\",\"source_name\":\"安康发布\","
    "\"source_kind\":\"weibo_user\",\"department\":\"安康市委网信办\",\"event\":\"close\","
    "\"reason\":\"walled\",\"started_at\":\"2026-12-05T01:00:00Z\","
    "\"ended_at\":\"2026-12-05T03:00:00Z\",\"at\":\"2026-12-05T03:00:05Z\","
    "\"detail\":\"HTTP 432\",\"renew\":\"更新 cookie_file\"}";

struct source_event_arg {
    struct yq_source_event ev;
    char *json; /* the encoding of ev (encode case) */
    size_t len;
    char err[256];
};

static int source_event_decode_run(void *p)
{
    struct source_event_arg *a = p;

    a->err[0] = '\0';
    memset(&a->ev, 0xA5, sizeof(a->ev)); /* the callee must zero it */
    return yq_source_event_decode(source_event_json, strlen(source_event_json), &a->ev, a->err,
                                  sizeof(a->err));
}

static void source_event_decode_check(void *p, int rc, bool injected)
{
    static const struct yq_source_event zero;
    struct source_event_arg *a = p;

    assert_ok_or_nomem("yq_source_event_decode", rc, injected, a->err);
    if (rc != 0) {
        assert_memory_equal(&a->ev, &zero, sizeof(zero)); /* nothing to free, no 0xA5 left */
        return;
    }
    if (!lib_may_have_dropped_bytes()) {
        assert_string_equal(a->ev.source_id, "weibo-ankang");
        assert_string_equal(a->ev.department, "安康市委网信办");
        assert_string_equal(a->ev.renew, "更新 cookie_file");
    }
    assert_false(a->ev.open);
    assert_int_equal(a->ev.reason, YQ_BLIND_WALLED);
    assert_int_equal(a->ev.ended_at, 1796439600);
    yq_source_event_release(&a->ev);
}

static void test_source_event_decode(void **state)
{
    struct source_event_arg a;
    struct alloc_fail_case c = {"yq_source_event_decode", source_event_decode_run,
                                source_event_decode_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 6);
}

static int source_event_encode_run(void *p)
{
    struct source_event_arg *a = p;

    a->json = (char *)a; /* not NULL: the callee must set it on every path */
    a->len = 0;
    return yq_source_event_encode(&a->ev, &a->json, &a->len);
}

static void source_event_encode_check(void *p, int rc, bool injected)
{
    struct source_event_arg *a = p;

    assert_ok_or_nomem("yq_source_event_encode", rc, injected, "");
    if (rc != 0) {
        assert_null(a->json);
        return;
    }
    assert_int_equal(a->len, strlen(source_event_json));
    assert_string_equal(a->json, source_event_json); /* same fields, same order */
    free(a->json);
}

static void test_source_event_encode(void **state)
{
    struct source_event_arg a;
    struct alloc_fail_case c = {"yq_source_event_encode", source_event_encode_run,
                                source_event_encode_check, &a, 0};

    (void)state;
    assert_int_equal(yq_source_event_decode(source_event_json, strlen(source_event_json), &a.ev,
                                            a.err, sizeof(a.err)),
                     0);
    assert_true(alloc_fail_run(&c) > 10);
    yq_source_event_release(&a.ev);
}

/* ---- yq_json_dumps: every encoder's last step ---- */

struct dumps_arg {
    json_t *v;
    size_t flags;
    char *want; /* the clean run's text */
    char *text;
};

static int dumps_run(void *p)
{
    struct dumps_arg *a = p;

    a->text = yq_json_dumps(a->v, a->flags);
    return a->text ? 0 : ERR_NOMEM;
}

/* jansson's json_dumps() cut a key after a failed write ({"schema":1,":"x"...}): never again */
static void dumps_check(void *p, int rc, bool injected)
{
    struct dumps_arg *a = p;

    assert_ok_or_nomem("yq_json_dumps", rc, injected, "");
    if (rc != 0) {
        return;
    }
    if (!a->want) {
        a->want = a->text; /* the clean run */
        return;
    }
    assert_string_equal(a->text, a->want);
    free(a->text);
}

static void test_json_dumps_never_cuts_a_key(void **state)
{
    static const size_t flags[] = {JSON_COMPACT | JSON_PRESERVE_ORDER,
                                   JSON_COMPACT | JSON_SORT_KEYS, JSON_INDENT(2)};
    json_error_t jerr;
    json_t *v = json_loads(alert_json, 0, &jerr);

    (void)state;
    assert_non_null(v);
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        struct dumps_arg a = {.v = v, .flags = flags[i]};
        struct alloc_fail_case c = {"yq_json_dumps", dumps_run, dumps_check, &a, 0};

        assert_true(alloc_fail_run(&c) > 2);
        assert_non_null(strstr(a.want, "\"event_key\""));
        free(a.want);
    }
    json_decref(v);
}

/* ---- cfg_doc_load + cfg_fill ---- */

struct inner {
    char *host;
    int64_t port;
    char *password_file;
};

struct outer {
    char *name;
    int64_t max_body_bytes;
    int64_t interval_ms;
    bool enabled;
    char *user_agent;
    struct inner net;
};

static const struct cfg_key inner_keys[] = {
    {"host", CFG_STRING, "127.0.0.1", 0, 0, offsetof(struct inner, host), "host", NULL},
    {"port", CFG_INT, "6379", 1, 65535, offsetof(struct inner, port), "port", NULL},
    {"password_file", CFG_STRING, NULL, 0, 0, offsetof(struct inner, password_file), "secret",
     NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct cfg_key outer_keys[] = {
    {"name", CFG_STRING, NULL, 0, 0, offsetof(struct outer, name), "name", NULL},
    {"max_body_bytes", CFG_SIZE, "8M", 1024, 67108864, offsetof(struct outer, max_body_bytes),
     "cap", NULL},
    {"interval", CFG_MS, "5m", 1000, 86400000, offsetof(struct outer, interval_ms), "poll", NULL},
    {"enabled", CFG_BOOL, "true", 0, 0, offsetof(struct outer, enabled), "on", NULL},
    {"user_agent", CFG_STRING, "yuqing/0.1", 0, 0, offsetof(struct outer, user_agent), "ua", NULL},
    {"net", CFG_SECTION, NULL, 0, 0, offsetof(struct outer, net), "network", inner_keys},
    {"sources", CFG_EXTERNAL, NULL, 0, 0, 0, "list", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const char cfg_yaml[] = "name: 安康舆情\n"
                               "max_body_bytes: 2M\n"
                               "interval: 30s\n"
                               "enabled: no\n"
                               "net:\n"
                               "  host: redis.local\n"
                               "  port: 6380\n"
                               "  password_file: /etc/yuqing/redis.pw\n"
                               "sources:\n"
                               "  - {id: a, url: 'https://a.example.cn/rss'}\n";

struct cfg_arg {
    struct outer o;
    char err[256];
};

static int cfg_run(void *p)
{
    struct cfg_arg *a = p;
    struct cfg_doc doc;
    int rc;

    a->err[0] = '\0';
    memset(&a->o, 0, sizeof(a->o));
    rc = cfg_doc_load(&doc, "test.yaml", cfg_yaml, strlen(cfg_yaml), a->err, sizeof(a->err));
    if (rc == 0) {
        rc = cfg_fill(outer_keys, &a->o, &doc, cfg_doc_root(&doc), a->err, sizeof(a->err));
    }
    cfg_doc_release(&doc);
    return rc;
}

static void cfg_check(void *p, int rc, bool injected)
{
    struct cfg_arg *a = p;

    assert_ok_or_nomem("cfg_doc_load/cfg_fill", rc, injected, a->err);
    if (rc == 0) {
        assert_string_equal(a->o.name, "安康舆情");
        assert_string_equal(a->o.user_agent, "yuqing/0.1");
        assert_string_equal(a->o.net.host, "redis.local");
        assert_string_equal(a->o.net.password_file, "/etc/yuqing/redis.pw");
        assert_int_equal(a->o.interval_ms, 30000);
        assert_false(a->o.enabled);
    }
    cfg_release(outer_keys, &a->o);
}

static void test_cfg_load_fill(void **state)
{
    struct cfg_arg a;
    struct alloc_fail_case c = {"cfg_doc_load+cfg_fill", cfg_run, cfg_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 3);
}

/* cfg_list_each() + cfg_name_list_take(): the file's list, then the row's default text. */
static const struct cfg_key list_keys[] = {
    {"names", CFG_EXTERNAL, "[alpha, beta]", 0, 0, 0, "a list", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

struct list_arg {
    char **v[2];
    size_t n[2];
    bool listed; /* cfg_list_each() ran (the file loaded) */
    char err[256];
};

static int list_run(void *p)
{
    static const char yaml[] = "names: [x, 安康, z]\n";
    struct list_arg *a = p;
    struct cfg_doc doc;
    int rc;

    memset(a, 0, sizeof(*a));
    rc = cfg_doc_load(&doc, "test.yaml", yaml, strlen(yaml), a->err, sizeof(a->err));
    for (int i = 0; rc == 0 && i < 2; i++) {
        struct cfg_name_list l = {.v = &a->v[i],
                                  .n = &a->n[i],
                                  .max_n = 8,
                                  .max_bytes = 16,
                                  .key = "names",
                                  .what = "name",
                                  .plural = "names"};
        a->listed = true;
        rc = cfg_list_each(list_keys, "names", i == 0 ? &doc : NULL, cfg_doc_root(&doc), "t", "[a]",
                           cfg_name_list_take, &l, a->err, sizeof(a->err));
    }
    cfg_doc_release(&doc);
    return rc;
}

static void list_check(void *p, int rc, bool injected)
{
    struct list_arg *a = p;

    assert_ok_or_nomem("cfg_list_each", rc, injected, a->err);
    if (rc == 0) {
        assert_int_equal(a->n[0], 3);
        assert_string_equal(a->v[0][1], "安康");
        assert_int_equal(a->n[1], 2);
        assert_string_equal(a->v[1][1], "beta");
    }
    if (rc == ERR_NOMEM && a->listed) {
        assert_string_equal(a->err, "out of memory"); /* cfg_list_each() says it */
    }
    for (int i = 0; i < 2; i++) {
        for (size_t j = 0; j < a->n[i]; j++) {
            free(a->v[i][j]);
        }
        free(a->v[i]);
    }
}

static void test_cfg_list_each(void **state)
{
    struct list_arg a;
    struct alloc_fail_case c = {"cfg_list_each+cfg_name_list_take", list_run, list_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_item_decode),
        cmocka_unit_test(test_alert_decode),
        cmocka_unit_test(test_source_event_decode),
        cmocka_unit_test(test_source_event_encode),
        cmocka_unit_test(test_json_dumps_never_cuts_a_key),
        cmocka_unit_test(test_cfg_load_fill),
        cmocka_unit_test(test_cfg_list_each),
    };

    alloc_fail_install_jansson();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
