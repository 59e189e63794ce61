/*
 * GET /api/search and the saved searches over HTTP (issue #14): a web over a real ticket store
 * (migration 10) and the search fixture's archive (tests/archive/search_fixture.h, filled with
 * archive_put()). Unmatched items are found, NEAR, negation, traditional -> simplified,
 * filters, sorting and paging, the liaison's restriction, CSV quoting, saved-search CRUD and
 * ownership, the draft rule, a bad query (400) and no archive (503).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_db.h"

#include "db_fixture.h"
#include "http_client.h"
#include "rules.h"
#include "search_fixture.h"
#include "sqlite_fixture.h"
#include "test_expect_json.h"
#include "test_server.h"
#include "ticket_fixture.h"
#include "ticket_store.h"
#include "web.h"
#include "web_fixture.h"
#include "web_search.h"
#include "yq_err.h"
#include "yq_time.h"

/* The fixture's recent items, in Beijing dates (until: the end of that day). */
#define RANGE "since=2026-10-21&until=2026-11-20"

struct env {
    struct archive_fixture sf;
    char dbpath[256]; /* the SQLite file, or a PostgreSQL schema's URL (db_fixture.h) */
    struct web *w;
    struct test_server *srv;
    unsigned port;
    struct client duty, liaison, other;
};

static void add_user(struct web *w, const char *name, enum web_role role, const char *dept,
                     const char *pass)
{
    char err[256] = "";
    if (web_user_add(web_get_auth(w), name, NULL, role, dept, pass, false, yq_time_now(), NULL, err,
                     sizeof(err)) != 0) {
        fail_msg("web_user_add %s: %s", name, err);
    }
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    struct ticket_store_cfg tcfg;
    struct web_cfg cfg;
    char err[256] = "";
    int fd;

    assert_non_null(e);
    search_fixture_open(&e->sf);
    snprintf(e->dbpath, sizeof(e->dbpath), "/tmp/yq-web-search-XXXXXX");
    fd = mkstemp(e->dbpath);
    assert_true(fd >= 0);
    close(fd);
    unlink(e->dbpath); /* ticket_store_init() creates it */
    if (db_fixture_pg()) {
        snprintf(err, sizeof(err), "%s", e->dbpath);
        db_fixture_new(e->dbpath, sizeof(e->dbpath), err);
    }
    memset(&tcfg, 0, sizeof(tcfg)); /* store.url unset: the location is dbpath */
    tcfg.path = e->dbpath;
    tcfg.busy_timeout_ms = 5000;
    if (ticket_store_init(&tcfg, NULL, err, sizeof(err)) != 0) {
        fail_msg("ticket_store_init: %s", err);
    }
    {
        /* the desk knows event ev:E1 (the search links it); ev:E7 is unknown to it */
        sqlite_fixture_exec_at(e->dbpath,
                               "INSERT INTO events (id, event_key, state, title, level, "
                               "detected_at, last_item_at, judge_deadline, created_at, "
                               "updated_at) VALUES (41, 'ev:E1', 'pending', '征地补偿款', "
                               "'III', 0, 0, 0, 0, 0)");
    }
    web_fixture_cfg(&cfg);
    cfg.archive_dir = e->sf.loc;
    e->w = web_new(&cfg, e->dbpath, NULL, NULL, err, sizeof(err));
    if (!e->w) {
        fail_msg("web_new: %s", err);
    }
    assert_int_equal(web_department_add(web_get_auth(e->w), "市自然资源局", NULL, 0), 0);
    assert_int_equal(web_department_add(web_get_auth(e->w), "市住建局", NULL, 0), 0);
    add_user(e->w, "duty1", WEB_ROLE_DUTY, NULL, "duty-password-1");
    add_user(e->w, "liaison-land", WEB_ROLE_LIAISON, "市自然资源局", "liaison-password-1");
    add_user(e->w, "head-build", WEB_ROLE_HEAD, "市住建局", "head-password-1");
    e->srv = test_server_start_limited(e->w, 0, NULL, NULL, 0);
    assert_non_null(e->srv);
    e->port = test_server_port(e->srv);
    http_login(e->port, "duty1", "duty-password-1", &e->duty);
    http_login(e->port, "liaison-land", "liaison-password-1", &e->liaison);
    http_login(e->port, "head-build", "head-password-1", &e->other);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    test_server_stop(e->srv);
    web_free(e->w);
    ticket_fixture_remove_db(e->dbpath);
    archive_fixture_close(&e->sf);
    free(e);
    return 0;
}

/* "/api/search?q=<q escaped>&<rest>" */
static void search_path(const char *q, const char *rest, char *out, size_t len)
{
    char *esc = curl_easy_escape(NULL, q, 0);
    assert_non_null(esc);
    snprintf(out, len, "/api/search?q=%s&%s", esc, rest);
    curl_free(esc);
}

/* GET the search as cl: 200 with ids (space-separated) and total; the JSON (new reference). */
static json_t *get_search(struct env *e, const struct client *cl, const char *q, const char *rest,
                          const char *want_ids, long want_total)
{
    char path[1024], ids[1024] = "";
    json_t *v, *hit;
    size_t i;

    search_path(q, rest, path, sizeof(path));
    v = http_get_json(e->port, cl, path);
    json_array_foreach(json_object_get(v, "hits"), i, hit)
    {
        size_t used = strlen(ids);
        snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? " " : "",
                 json_string_value(json_object_get(hit, "id")));
    }
    if (strcmp(ids, want_ids) != 0) {
        fail_msg("'%s' %s: got '%s', want '%s'", q, rest, ids, want_ids);
    }
    assert_int_equal(json_integer_value(json_object_get(v, "total")), want_total);
    return v;
}

static void expect_search(struct env *e, const struct client *cl, const char *q, const char *rest,
                          const char *want_ids, long want_total)
{
    json_decref(get_search(e, cl, q, rest, want_ids, want_total));
}

static void test_search_language(void **state)
{
    struct env *e = *state;
    json_t *v, *hit;

    v = get_search(e, &e->duty, "征地 & 补偿", RANGE,
                   "weibo:1001 rss:a2 wx:b:1:1 rss:a4 weibo:1005 rss:a6", 6);
    assert_true(json_is_true(json_object_get(v, "total_exact")));
    assert_false(json_is_true(json_object_get(v, "restricted")));
    /* the fixture's short range: walked whole in time order, every hit decided by the matcher */
    assert_string_equal(json_string_value(json_object_get(v, "plan")), "walk");
    assert_string_equal(json_string_value(json_object_get(v, "query")), "征地 & 补偿");
    assert_true(json_is_integer(json_object_get(v, "took_ms")));
    hit = json_array_get(json_object_get(v, "hits"), 0);
    assert_string_equal(json_string_value(json_object_get(hit, "time")), "2026-11-19T23:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(hit, "heat")), 290);
    assert_string_equal(json_string_value(test_json_at(hit, "matches.0.event_key")), "ev:E1");
    assert_int_equal(json_integer_value(test_json_at(hit, "matches.0.event_id")), 41);
    /* highlights: code points into the original text */
    assert_int_equal(json_integer_value(test_json_at(hit, "highlights.text.0.0")), 6);
    /* the traditional-script post: its title highlighted at 徵地補償 */
    hit = json_array_get(json_object_get(v, "hits"), 2);
    assert_int_equal(json_integer_value(test_json_at(hit, "highlights.title.0.1")), 7);
    assert_true(json_is_array(json_object_get(hit, "matches")));
    assert_int_equal(json_array_size(json_object_get(hit, "matches")), 0);
    json_decref(v);

    expect_search(e, &e->duty, "NEAR/5(征地, 补偿)", RANGE,
                  "weibo:1001 rss:a2 wx:b:1:1 weibo:1005 rss:a6", 5);
    expect_search(e, &e->duty, "征地 & 补偿 & !招聘", RANGE,
                  "weibo:1001 rss:a2 wx:b:1:1 rss:a4 rss:a6", 5);
    expect_search(e, &e->duty, "徵地補償", RANGE, "weibo:1001 rss:a2 wx:b:1:1 weibo:1005 rss:a6",
                  5);
    v = get_search(e, &e->duty, "ＷＩＦＩ", RANGE, "weibo:1007", 1);
    hit = json_object_get(json_array_get(json_object_get(v, "hits"), 0), "matches");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hit, 0), "event_key")),
                        "ev:E7");
    assert_null(json_object_get(json_array_get(hit, 0), "event_id"));
    json_decref(v);
    /* no range: the 40-day-old post too */
    expect_search(e, &e->duty, "纠纷", "sort=time", "rss:a8", 1);
}

static void test_filters_sort_paging(void **state)
{
    static const struct {
        const char *rest, *code;
    } bad[] = {
        {RANGE "&limit=201", "limit_invalid"},
        {RANGE "&limit=0", "limit_invalid"},
        {RANGE "&offset=-1", "offset_invalid"},
        {"sort=relevance", "sort_invalid"},
        {"since=yesterday", "since_invalid"},
        {"until=2026-13-45", "until_invalid"},
        {"since=2026-11-30&until=2026-11-01", "range_invalid"},
        {"matched=maybe", "matched_invalid"},
        {"sentiment=angry", "sentiment_invalid"},
        {"source=bogus", "source_invalid"},
    };
    struct env *e = *state;
    char path[512];

    expect_search(e, &e->duty, "征地", RANGE "&source=rss", "rss:a2 rss:a4 rss:a6", 3);
    expect_search(e, &e->duty, "征地 & 补偿", RANGE "&matched=no",
                  "rss:a2 wx:b:1:1 rss:a4 weibo:1005 rss:a6", 5);
    expect_search(e, &e->duty, "", RANGE "&matched=yes", "weibo:1001 weibo:1007", 2);
    expect_search(e, &e->duty, "", RANGE "&channel=%E6%B1%89%E6%BB%A8%E5%8C%BA%E7%BD%91%E5%8F%8B",
                  "weibo:1001 weibo:1007", 2);
    expect_search(e, &e->duty, "", RANGE "&source_id=wx-xunyang", "wx:b:1:1", 1);
    expect_search(e, &e->duty, "征地 & 补偿", RANGE "&sort=heat&limit=3",
                  "weibo:1001 wx:b:1:1 weibo:1005", 6);
    expect_search(e, &e->duty, "征地 & 补偿", RANGE "&offset=4&limit=2", "weibo:1005 rss:a6", 6);
    /* a head (department head of 市住建局) searches like a liaison: their department's matched
       items only (weibo:1007, matched by 市住建局's rule; not the 市自然资源局 item weibo:1001) */
    expect_search(e, &e->other, "", RANGE, "weibo:1007", 1);

    /* bad parameters: 400 by their code; an unknown source kind is not an empty page of hits */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        search_path("征地", bad[i].rest, path, sizeof(path));
        http_expect_invalid(e->port, &e->duty, path, bad[i].code);
    }
    expect_search(e, &e->duty, "征地", RANGE "&source=weibo", "weibo:1001 weibo:1005", 2);
}

static void test_liaison_restricted(void **state)
{
    struct env *e = *state;
    json_t *v;

    /* only items matched by a rule of the liaison's department, whatever is asked */
    v = get_search(e, &e->liaison, "", RANGE, "weibo:1001", 1);
    assert_true(json_is_true(json_object_get(v, "restricted")));
    json_decref(v);
    expect_search(e, &e->liaison, "征地 & 补偿", RANGE "&matched=no", "weibo:1001", 1);
    expect_search(e, &e->liaison, "wifi", RANGE, "", 0);
}

static void test_bad_query_and_csv(void **state)
{
    struct env *e = *state;
    struct resp r;
    char path[512];
    json_t *v;

    search_path("征地 &", RANGE, path, sizeof(path));
    http_request(e->port, &e->duty, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    v = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "code")), "bad_query");
    assert_non_null(strstr(json_string_value(json_object_get(v, "message")),
                           "column 5: unexpected end of expression"));
    json_decref(v);
    resp_release(&r);

    /* text that is FTS5 or SQL syntax is searched as text (200) or refused by the rule
       language's parser (400 bad_query): never an index or SQL error */
    {
        static const struct {
            const char *q;
            long status;
        } odd[] = {
            {"title:征地", 200},  {"征*", 200},       {"^征地", 200}, {"AND", 200},
            {"\"OR\"", 200},      {"NEAR", 200},      {"'", 200},     {"\\", 200},
            {"' OR 1=1 --", 400}, {"(征地", 400},     {"征地)", 400}, {"\"", 400},
            {"征地 补偿", 400},   {"NEAR(征地", 400}, {"\"\"", 400},  {"征地 AND 补偿", 400},
        };
        for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
            search_path(odd[i].q, RANGE, path, sizeof(path));
            http_request(e->port, &e->duty, "GET", path, NULL, NULL, &r);
            if (r.status != odd[i].status) {
                fail_msg("'%s': status %ld, want %ld", odd[i].q, r.status, odd[i].status);
            }
            v = json_loads(r.body, 0, NULL);
            assert_non_null(v);
            if (odd[i].status == 400) {
                assert_string_equal(json_string_value(json_object_get(v, "code")), "bad_query");
            } else {
                assert_int_equal(json_integer_value(json_object_get(v, "total")), 0);
            }
            json_decref(v);
            resp_release(&r);
        }
    }

    search_path("hyperlink | 招聘", RANGE "&format=csv", path, sizeof(path));
    http_request(e->port, &e->duty, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/csv"));
    assert_non_null(strstr(r.content_disposition, "attachment"));
    assert_int_equal(
        memcmp(r.body, "\xEF\xBB\xBF时间,来源类型,", strlen("\xEF\xBB\xBF时间,来源类型,")), 0);
    assert_non_null(
        strstr(r.body, ",\"'=HYPERLINK(\"\"http://evil\"\")\",\"含逗号,和\"\"引号\"\""));
    assert_non_null(strstr(r.body, ",招聘：征地补偿政策咨询专员，月薪面议,"));
    resp_release(&r);
}

static long post_saved(struct env *e, const struct client *cl, const char *body, int64_t *id)
{
    struct resp r;
    long status;

    http_request(e->port, cl, "POST", "/api/search/saved", body, NULL, &r);
    status = r.status;
    if (id && status == 201) {
        json_t *v = json_loads(r.body, 0, NULL);
        *id = json_integer_value(json_object_get(v, "id"));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(v, "filters"), "sort")), "heat");
        json_decref(v);
    }
    resp_release(&r);
    return status;
}

static void test_saved_searches(void **state)
{
    struct env *e = *state;
    struct client nocsrf;
    struct resp r;
    char path[128], err[512] = "";
    int64_t id = 0, id2 = 0;
    json_t *v;
    struct rule_set *rs;

    assert_int_equal(post_saved(e, &e->duty,
                                "{\"name\":\"征地补偿\",\"query\":\"征地 & 补偿 & !招聘\","
                                "\"filters\":{\"sort\":\"heat\",\"matched\":\"no\"}}",
                                &id),
                     201);
    assert_true(id > 0);
    /* same name again: 409; a bad query: 400; an empty one: 400; an unknown filter: 400 */
    assert_int_equal(
        post_saved(e, &e->duty, "{\"name\":\"征地补偿\",\"query\":\"征地\",\"filters\":{}}", NULL),
        409);
    assert_int_equal(post_saved(e, &e->duty, "{\"name\":\"x\",\"query\":\"征地 &\"}", NULL), 400);
    assert_int_equal(post_saved(e, &e->duty, "{\"name\":\"x\",\"query\":\"  \"}", NULL), 400);
    assert_int_equal(post_saved(e, &e->duty,
                                "{\"name\":\"x\",\"query\":\"征地\",\"filters\":{\"evil\":\"1\"}}",
                                NULL),
                     400);
    /* filters are checked as GET /api/search checks its parameters; names without controls */
    {
        static const struct {
            const char *body, *reason;
        } bad[] = {
            {"{\"name\":\"x\",\"query\":\"征地\",\"filters\":{\"since\":\"garbage\"}}",
             "since 应为日期或时间"},
            {"{\"name\":\"x\",\"query\":\"征地\",\"filters\":{\"limit\":\"99999\"}}",
             "limit 应为 1 到 200 的整数"},
            {"{\"name\":\"x\",\"query\":\"征地\",\"filters\":{\"since\":\"2026-11-30\","
             "\"until\":\"2026-11-01\"}}",
             "until 应晚于 since"},
            {"{\"name\":\"x\",\"query\":\"征地\",\"filters\":{\"sort\":\"random\"}}",
             "sort 只能是 time 或 heat"},
            {"{\"name\":\"a\\nb\",\"query\":\"征地\"}", "检索名称不能含控制字符"},
            {"{\"name\":\"a\\u001b[2Jb\",\"query\":\"征地\"}", "检索名称不能含控制字符"},
            {"{\"name\":\"a\\u0085b\",\"query\":\"征地\"}", "检索名称不能含控制字符"},
            {"{\"name\":\"a\\u2028b\",\"query\":\"征地\"}", "检索名称不能含控制字符"},
            {"{\"name\":\"a\\u007fb\",\"query\":\"征地\"}", "检索名称不能含控制字符"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            http_request(e->port, &e->duty, "POST", "/api/search/saved", bad[i].body, NULL, &r);
            if (r.status != 400 || !r.body || !strstr(r.body, bad[i].reason)) {
                fail_msg("%s: %ld %s", bad[i].body, r.status, r.body ? r.body : "");
            }
            resp_release(&r);
        }
    }
    /* without the CSRF token a session cannot save */
    nocsrf = e->duty;
    nocsrf.csrf[0] = '\0';
    assert_int_equal(post_saved(e, &nocsrf, "{\"name\":\"y\",\"query\":\"征地\"}", NULL), 403);
    /* the liaison saves one of their own */
    assert_int_equal(
        post_saved(e, &e->liaison,
                   "{\"name\":\"我的\",\"query\":\"补偿\",\"filters\":{\"sort\":\"heat\"}}", &id2),
        201);

    v = http_get_json(e->port, &e->duty, "/api/search/saved");
    assert_int_equal(json_array_size(json_object_get(v, "saved")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(v, "saved"), 0), "query")),
        "征地 & 补偿 & !招聘");
    json_decref(v);
    v = http_get_json(e->port, &e->liaison, "/api/search/saved");
    assert_int_equal(json_array_size(json_object_get(v, "saved")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(v, "saved"), 0), "name")),
        "我的");
    json_decref(v);

    /* another user's saved search: not found, neither its rule nor its deletion */
    snprintf(path, sizeof(path), "/api/search/saved/%lld", (long long)id);
    http_request(e->port, &e->liaison, "DELETE", path, NULL, NULL, &r);
    assert_int_equal(r.status, 404);
    resp_release(&r);
    snprintf(path, sizeof(path), "/api/search/saved/%lld/rule", (long long)id);
    http_request(e->port, &e->liaison, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 404);
    resp_release(&r);

    /* the draft rule: a rule file the rule loader accepts, the query as its expression */
    v = http_get_json(e->port, &e->duty, path);
    assert_non_null(
        strstr(json_string_value(json_object_get(v, "yaml")), "expr: \"征地 & 补偿 & !招聘\"\n"));
    rs = rule_set_new();
    assert_non_null(rs);
    if (rule_set_add_yaml(rs, "draft.yaml", json_string_value(json_object_get(v, "yaml")),
                          strlen(json_string_value(json_object_get(v, "yaml"))), err,
                          sizeof(err)) != 0 ||
        rule_set_compile(rs, err, sizeof(err)) != 0) {
        fail_msg("draft rule: %s", err);
    }
    assert_int_equal(rs->n_rules, 1);
    assert_string_equal(rs->rules[0].name, "征地补偿");
    assert_string_equal(rs->rules[0].department, "待指定");
    rule_set_free(rs);
    json_decref(v);

    snprintf(path, sizeof(path), "/api/search/saved/%lld", (long long)id);
    http_request(e->port, &e->duty, "DELETE", path, NULL, NULL, &r);
    assert_int_equal(r.status, 204);
    resp_release(&r);
    http_request(e->port, &e->duty, "DELETE", path, NULL, NULL, &r);
    assert_int_equal(r.status, 404);
    resp_release(&r);
    v = http_get_json(e->port, &e->duty, "/api/search/saved");
    assert_int_equal(json_array_size(json_object_get(v, "saved")), 0);
    json_decref(v);
}

/* The draft rule quotes what YAML would otherwise read as syntax. */
static void test_draft_rule_quoting(void **state)
{
    char *yaml = NULL, err[512] = "";
    struct rule_set *rs = rule_set_new();

    (void)state;
    assert_int_equal(web_search_draft_rule(7, "名称: \"引号\" # 非注释", "\"a: b\" | c\\d",
                                           "市住建局", &yaml, err, sizeof(err)),
                     0);
    assert_int_equal(rule_set_add_yaml(rs, "d.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);
    assert_string_equal(rs->rules[0].id, "search-7");
    assert_string_equal(rs->rules[0].name, "名称: \"引号\" # 非注释");
    assert_string_equal(rule_expr_text(rs->rules[0].expr), "\"a: b\" | c\\d");
    assert_string_equal(rs->rules[0].department, "市住建局");
    rule_set_free(rs);
    free(yaml);

    /* U+0085, U+2028, U+2029 (YAML line breaks) and a tab round-trip byte for byte */
    yaml = NULL;
    rs = rule_set_new();
    assert_int_equal(web_search_draft_rule(8, "名称\xe2\x80\xa8二",
                                           "\"征地\xc2\x85补偿\" | \"拆迁\xe2\x80\xa8安置\" | "
                                           "\"a\xe2\x80\xa9\tb\"",
                                           "市住建局", &yaml, err, sizeof(err)),
                     0);
    assert_non_null(strstr(yaml, "\"\\\"征地\\N补偿\\\" | \\\"拆迁\\L安置\\\" | "
                                 "\\\"a\\P\\x09b\\\"\""));
    assert_null(strstr(yaml, "\xe2\x80\xa8"));
    assert_null(strstr(yaml, "\xc2\x85"));
    assert_int_equal(rule_set_add_yaml(rs, "d.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);
    assert_string_equal(rule_expr_text(rs->rules[0].expr),
                        "\"征地\xc2\x85补偿\" | \"拆迁\xe2\x80\xa8安置\" | \"a\xe2\x80\xa9\tb\"");
    assert_string_equal(rs->rules[0].name, "名称\xe2\x80\xa8二");
    rule_set_free(rs);
    free(yaml);
}

static void test_no_archive(void **state)
{
    struct env *e = *state;
    struct web_cfg cfg;
    struct web *w;
    struct test_server *srv;
    struct client cl;
    struct resp r;
    char err[256] = "", missing[96], path[256];
    json_t *v;

    (void)e;
    web_fixture_cfg(&cfg);
    snprintf(missing, sizeof(missing), "%s-missing", e->sf.dir);
    cfg.archive_dir = missing;
    w = web_new(&cfg, e->dbpath, NULL, NULL, err, sizeof(err));
    assert_non_null(w);
    srv = test_server_start_limited(w, 0, NULL, NULL, 0);
    assert_non_null(srv);
    http_login(test_server_port(srv), "duty1", "duty-password-1", &cl);
    search_path("征地", RANGE, path, sizeof(path));
    http_request(test_server_port(srv), &cl, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 503);
    v = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "code")), "no_archive");
    /* the reason (here the missing folder; on PostgreSQL a host, user, database) stays in
       the log: any signed-in user may search */
    assert_null(strstr(r.body, missing));
    assert_non_null(strstr(json_string_value(json_object_get(v, "message")), "舆情档案库不可用"));
    json_decref(v);
    resp_release(&r);
    test_server_stop(srv);
    web_free(w);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_search_language),    FX(test_filters_sort_paging),
        FX(test_liaison_restricted), FX(test_bad_query_and_csv),
        FX(test_saved_searches),     cmocka_unit_test(test_draft_rule_quoting),
        FX(test_no_archive),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
