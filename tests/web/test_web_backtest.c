/*
 * POST /api/rules/backtest (issue #14): a pasted rule file tried on the web's archive next to
 * the live set in a real redis-server: the JSON report (the file's changed rule gains and loses
 * exact items), the record under the draft's digest, 400 for bad YAML and bad days, 403 for a
 * liaison (the rules page's permission).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "file_fixture.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "rules.h"
#include "rules_digest.h"
#include "rules_store.h"
#include "web.h"
#include "web_auth.h"
#include "web_fixture.h"
#include "yq_json.h"
#include "yq_redis.h"
#include "yq_time.h"

struct fx {
    struct redis_fixture redis;
    struct web_fixture fx;
    char arch[64];
    struct yq_redis_cfg rcfg;
};

static const char live_yaml[] =
    "group: 征地拆迁\n"
    "places: [汉滨, 旬阳]\n"
    "rules:\n"
    "  - {id: land-01, name: 征地补偿, department: 市自然资源局, expr: \"征地 & 补偿\"}\n"
    "  - {id: noise-01, name: 施工噪音, department: 市生态环境局, expr: \"噪音 & 施工\"}\n";

/* The pasted file: land-01 changed, water-01 new; noise-01 stays as it is live. */
static const char file_yaml[] =
    "group: 征地拆迁\n"
    "rules:\n"
    "  - {id: land-01, name: 征地补偿, department: 市自然资源局,\n"
    "     expr: \"(征地 | 拆迁) & !信访\"}\n"
    "  - {id: water-01, name: 停水, department: 市水务局, expr: 停水}\n";

static void fill(const char *arch)
{
    static const char *const rows[][3] = {
        {"w1", "征地补偿标准公布", "汉滨区公布征地补偿标准"},
        {"w2", "拆迁户反映安置问题", "旬阳拆迁户反映安置房迟迟未交付"},
        {"w3", "征地补偿信访", "村民就征地补偿问题到市信访局反映"},
        {"w4", "城区明日停水", "因管网维修，城区明日停水八小时"},
        {"w5", "夜间施工噪音扰民", "居民反映工地夜间施工噪音扰民"},
    };
    struct yq_item it[5];
    const struct yq_item *p[5];
    struct archive *a = NULL;
    char err[256] = "";
    int64_t now = yq_time_now();

    assert_int_equal(archive_init(arch, err, sizeof(err)), 0);
    assert_int_equal(archive_open(arch, NULL, &a, err, sizeof(err)), 0);
    memset(it, 0, sizeof(it));
    for (size_t i = 0; i < 5; i++) {
        it[i].id = (char *)rows[i][0];
        it[i].source = "rss";
        it[i].source_id = "rss-1";
        it[i].url = "https://example.invalid/<b>";
        it[i].title = (char *)rows[i][1];
        it[i].text = (char *)rows[i][2];
        it[i].has_published = true;
        it[i].published_at = now - 3600 * (int64_t)(i + 1);
        it[i].fetched_at = it[i].published_at;
        it[i].precision = "second";
        p[i] = &it[i];
    }
    if (archive_put(a, p, 5, NULL, 0, NULL, err, sizeof(err)) != 0) {
        fail_msg("put: %s", err);
    }
    archive_close(a);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct web_cfg cfg;

    assert_non_null(f);
    *state = f;
    if (redis_fixture_start(&f->redis) != 0) {
        return 0; /* the tests skip */
    }
    snprintf(f->arch, sizeof(f->arch), "/tmp/yq-web-bt-XXXXXX");
    assert_non_null(mkdtemp(f->arch));
    strncat(f->arch, "/a", sizeof(f->arch) - strlen(f->arch) - 1);
    fill(f->arch);
    web_fixture_cfg(&cfg);
    cfg.rules_enabled = true;
    web_fixture_redis_cfg(&cfg.redis, f->redis.port);
    cfg.archive_dir = f->arch;
    web_fixture_open(&f->fx, &cfg, "yq-web-bt-");
    web_fixture_user(&f->fx, "duty1", "duty_officer", NULL, "duty-password-1");
    assert_int_equal(web_department_add(web_get_auth(f->fx.w), "市自然资源局", NULL, 0), 0);
    web_fixture_user(&f->fx, "liaison-a", "liaison", "市自然资源局", "liaison-password-a");
    web_fixture_serve(&f->fx, 0);
    web_fixture_redis_cfg(&f->rcfg, f->redis.port);
    web_fixture_push_rules(f->redis.port, "land.yaml", live_yaml);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (f->redis.pid > 0) {
        web_fixture_close(&f->fx);
        *strrchr(f->arch, '/') = '\0';
        assert_int_equal(file_fixture_remove_dir(f->arch), 0);
    }
    redis_fixture_stop(&f->redis);
    free(f);
    return 0;
}

/* POST body as user; the answer in r (resp_release()). */
static void post(const struct fx *f, const char *user, const char *pass, const char *body,
                 struct resp *r)
{
    struct client cl;
    http_login(f->fx.port, user, pass, &cl);
    http_request(f->fx.port, &cl, "POST", "/api/rules/backtest", body, NULL, r);
}

static char *body_of(const char *yaml, json_int_t days)
{
    json_t *b = json_pack("{s:s, s:I, s:s}", "yaml", yaml, "since_days", days, "file",
                          "land.yaml");
    char *s = yq_json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return s;
}

static const json_t *rule_of(const json_t *doc, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "rules"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "rule_id")), id) == 0) {
            return r;
        }
    }
    fail_msg("no rule %s", id);
    return NULL;
}

static json_int_t num(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* POST the rule file yaml with since_days days as the duty officer: the 200 answer's JSON (new). */
static json_t *backtest_as_duty(struct fx *f, const char *yaml, json_int_t days)
{
    struct resp r;
    char *body = body_of(yaml, days);
    json_t *doc;

    post(f, "duty1", "duty-password-1", body, &r);
    free(body);
    if (r.status != 200) {
        fail_msg("backtest gave %ld: %s", r.status, r.body ? r.body : "");
    }
    doc = json_loads(r.body, 0, NULL);
    resp_release(&r);
    assert_non_null(doc);
    return doc;
}

static void test_report_and_record(void **state)
{
    struct fx *f = *state;
    json_t *doc;
    const json_t *land, *water, *noise, *lost;
    struct yq_redis *rd;
    char *rec = NULL;

    REDIS_FIXTURE_NEED(&f->redis);
    doc = backtest_as_duty(f, file_yaml, 2);
    assert_int_equal(num(doc, "items_scanned"), 5);
    assert_int_equal(num(doc, "live_version"), 1);
    assert_int_equal(num(doc, "since_days"), 2);
    assert_true(json_is_true(json_object_get(doc, "recorded")));
    assert_int_equal(json_array_size(json_object_get(doc, "file_rules")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "file_rules"), 1)),
                        "water-01");
    land = rule_of(doc, "land-01");
    assert_int_equal(num(land, "draft_hits"), 2); /* w1 w2 */
    assert_int_equal(num(land, "live_hits"), 2);  /* w1 w3 */
    assert_int_equal(num(land, "gained"), 1);
    assert_int_equal(num(land, "lost"), 1);
    lost = json_array_get(json_object_get(json_object_get(land, "samples"), "lost"), 0);
    assert_string_equal(json_string_value(json_object_get(lost, "item_id")), "w3");
    assert_string_equal(json_string_value(json_object_get(lost, "url")),
                        "https://example.invalid/<b>"); /* escaped by the page, not here */
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(land, "samples"), "gained"), 0),
            "item_id")),
        "w2");
    water = rule_of(doc, "water-01");
    assert_int_equal(num(water, "gained"), 1);
    assert_false(json_is_true(json_object_get(water, "in_live")));
    /* a live rule the file does not name stays in the draft unchanged */
    noise = rule_of(doc, "noise-01");
    assert_true(json_is_true(json_object_get(noise, "in_draft")));
    assert_int_equal(num(noise, "draft_hits"), 1);
    assert_int_equal(num(noise, "live_hits"), 1);
    assert_int_equal(num(noise, "gained") + num(noise, "lost"), 0);

    /* recorded under the draft's digest, as the CLI records it */
    rd = yq_redis_new(&f->rcfg);
    assert_int_equal(rules_backtest_record_get(
                         rd, json_string_value(json_object_get(doc, "draft_digest")), &rec),
                     0);
    assert_non_null(strstr(rec, "\"draft_hits\":2"));
    free(rec);
    yq_redis_free(rd);
    json_decref(doc);
}

/*
 * A pasted file whose rule is local: true without listing places (as every shipped rule file):
 * the live set's places apply (review of #14: the file was compiled alone and refused).
 */
static void test_local_rule_uses_live_places(void **state)
{
    static const char local_yaml[] =
        "group: 征地拆迁\n"
        "rules:\n"
        "  - {id: land-02, name: 本地征地拆迁, department: 市自然资源局, local: true,\n"
        "     expr: \"征地 | 拆迁\"}\n";
    struct fx *f = *state;
    json_t *doc;
    const json_t *rule;

    REDIS_FIXTURE_NEED(&f->redis);
    doc = backtest_as_duty(f, local_yaml, 2);
    rule = rule_of(doc, "land-02");
    /* w1 names 汉滨, w2 旬阳; w3 (征地 at 市信访局) names no place */
    assert_int_equal(num(rule, "draft_hits"), 2);
    assert_int_equal(num(rule, "gained"), 2);
    assert_int_equal(num(rule, "lost"), 0);
    json_decref(doc);
}

static void test_bad_input_and_roles(void **state)
{
    struct fx *f = *state;
    struct resp r;
    char *body;

    REDIS_FIXTURE_NEED(&f->redis);
    body = body_of("rules:\n  - {id: x, name: n, department: d, expr: \"a &\"}\n", 7);
    post(f, "duty1", "duty-password-1", body, &r);
    free(body);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "规则文件有误"));
    assert_non_null(strstr(r.body, "expr column"));
    resp_release(&r);

    body = body_of(file_yaml, 31);
    post(f, "duty1", "duty-password-1", body, &r);
    free(body);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "回测天数须为 1 至 30"));
    resp_release(&r);

    post(f, "duty1", "duty-password-1", "{\"since_days\":3}", &r);
    assert_int_equal(r.status, 400);
    resp_release(&r);

    body = body_of(file_yaml, 7);
    post(f, "liaison-a", "liaison-password-a", body, &r);
    free(body);
    assert_int_equal(r.status, 403);
    resp_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_and_record),
        cmocka_unit_test(test_local_rule_uses_live_places),
        cmocka_unit_test(test_bad_input_and_roles),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
