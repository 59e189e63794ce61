/* Matching items against a rule set: scope, sources, exclusion, reported terms, the alert. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "rules.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_banned.h"

static const char rules_yaml[] =
    "group: 征地拆迁\n"
    "exclude: [招聘]\n"
    "rules:\n"
    "  - id: land-01\n"
    "    name: 征地拆迁补偿纠纷\n"
    "    department: 市自然资源局\n"
    "    level: III\n"
    "    expr: \"(安康 | 汉滨) & (征地 | 拆迁) & !(广告 | 测试)\"\n"
    "  - id: title-01\n"
    "    name: 标题强拆\n"
    "    department: 汉滨区人民政府\n"
    "    level: II\n"
    "    scope: title\n"
    "    expr: 强拆\n"
    "  - id: weibo-01\n"
    "    name: 微博上访\n"
    "    department: 市信访局\n"
    "    level: I\n"
    "    sources: [weibo]\n"
    "    expr: 上访\n"
    "  - id: text-01\n"
    "    name: 正文补偿款\n"
    "    department: 市财政局\n"
    "    scope: text\n"
    "    expr: 补偿款\n";

static struct match_scratch *the_scratch;

/* One scratch for the whole test run (as one thread of the matcher). */
static struct match_scratch *scratch(void)
{
    if (!the_scratch) {
        the_scratch = match_scratch_new();
        assert_non_null(the_scratch);
    }
    return the_scratch;
}

static struct rule_set *load_rules(void)
{
    struct rule_set *rs = rule_set_new();
    char err[512] = "";

    assert_non_null(rs);
    if (rule_set_add_yaml(rs, "m.yaml", rules_yaml, strlen(rules_yaml), err, sizeof(err)) ||
        rule_set_compile(rs, err, sizeof(err))) {
        fail_msg("%s", err);
    }
    rs->version = 3;
    return rs;
}

static struct yq_item make_item(const char *source, const char *title, const char *text)
{
    struct yq_item it;
    memset(&it, 0, sizeof(it));
    it.id = (char *)"rss:abc";
    it.source = (char *)source;
    it.source_id = (char *)"ankang-gov";
    it.title = (char *)title;
    it.text = (char *)text;
    it.precision = "second";
    return it;
}

static const struct match_rule *find_match(const struct rule_set *rs,
                                           const struct match_result *mr, const char *id)
{
    for (size_t i = 0; i < mr->n_rules; i++) {
        if (strcmp(rs->rules[mr->rules[i].rule].id, id) == 0) {
            return &mr->rules[i];
        }
    }
    return NULL;
}

static void test_rule_fires_with_positive_terms_only(void **state)
{
    struct rule_set *rs = load_rules();
    struct match_result mr;
    /* title: 安康(0,2) 征地(4,6); text: 汉滨(0,2) 拆迁(2,4) 拆迁(6,8) */
    struct yq_item it = make_item("rss", "安康某地征地", "汉滨拆迁后又拆迁");

    (void)state;
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_null(mr.excluded_by);
    assert_int_equal(mr.n_rules, 1);
    const struct match_rule *m = find_match(rs, &mr, "land-01");
    assert_non_null(m);
    assert_int_equal(m->n_hits, 5);
    const struct {
        const char *term;
        enum match_field field;
        size_t start, end;
    } want[] = {
        {"安康", MATCH_FIELD_TITLE, 0, 2}, {"征地", MATCH_FIELD_TITLE, 4, 6},
        {"汉滨", MATCH_FIELD_TEXT, 0, 2},  {"拆迁", MATCH_FIELD_TEXT, 2, 4},
        {"拆迁", MATCH_FIELD_TEXT, 6, 8},
    };
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(rs->terms[m->hits[i].term], want[i].term);
        assert_int_equal(m->hits[i].field, want[i].field);
        assert_int_equal(m->hits[i].start, want[i].start);
        assert_int_equal(m->hits[i].end, want[i].end);
    }
    match_result_release(&mr);

    /* a negated term present stops the rule */
    it = make_item("rss", "安康征地广告", "");
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 0);
    match_result_release(&mr);
    rule_set_free(rs);
}

static void test_scope_and_sources(void **state)
{
    struct rule_set *rs = load_rules();
    struct match_result mr;
    struct yq_item it;

    (void)state;
    /* title-scoped term only in the text, text-scoped term only in the title: nothing */
    it = make_item("rss", "补偿款发放", "村民称遭强拆");
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 0);
    match_result_release(&mr);

    it = make_item("rss", "村民称遭强拆", "补偿款未发放");
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 2);
    assert_string_equal(rs->rules[mr.rules[0].rule].id, "title-01");
    assert_string_equal(rs->rules[mr.rules[1].rule].id, "text-01");
    assert_int_equal(mr.rules[0].hits[0].field, MATCH_FIELD_TITLE);
    assert_int_equal(mr.rules[0].hits[0].start, 4);
    assert_int_equal(mr.rules[1].hits[0].field, MATCH_FIELD_TEXT);
    assert_int_equal(mr.rules[1].hits[0].start, 0);
    match_result_release(&mr);

    /* sources: weibo-01 only for weibo items */
    it = make_item("rss", "", "多人上访");
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 0);
    match_result_release(&mr);
    it = make_item("weibo", "", "多人上访");
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 1);
    assert_string_equal(rs->rules[mr.rules[0].rule].id, "weibo-01");
    match_result_release(&mr);
    rule_set_free(rs);
}

static void test_exclude_term_blocks_every_rule(void **state)
{
    struct rule_set *rs = load_rules();
    struct match_result mr;
    struct yq_item it = make_item("weibo", "安康征地 强拆", "上访 招聘");

    (void)state;
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_string_equal(mr.excluded_by, "招聘");
    assert_int_equal(mr.n_rules, 0);
    match_result_release(&mr);
    rule_set_free(rs);
}

static void test_alert_built_from_most_severe_rule(void **state)
{
    struct rule_set *rs = load_rules();
    struct match_result mr;
    struct yq_alert alert, back;
    struct yq_item it = make_item("weibo", "安康征地强拆", "上访");
    char *json = NULL, err[256] = "";
    size_t len = 0;

    (void)state;
    it.fetched_at = 1796000000;
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 3); /* land-01 (III), title-01 (II), weibo-01 (I) */
    assert_int_equal(match_build_alert(rs, &mr, &it, 1796000100, &alert), 0);
    assert_string_equal(alert.event_key, "ev:rss:abc");
    assert_true(alert.event_new);
    assert_int_equal(alert.event_items, 1);
    assert_int_equal(alert.rules_version, 3);
    assert_int_equal(alert.matched_at, 1796000100);
    assert_int_equal(alert.level, YQ_LEVEL_I);
    assert_string_equal(alert.department, "市信访局");
    assert_true(alert.score == 132.0); /* (100 + 2 * 5) * 1.2 (weibo), no metrics */
    assert_int_equal(alert.n_matches, 3);
    assert_string_equal(alert.matches[0].rule_id, "land-01");
    assert_int_equal(alert.matches[0].n_terms, 2);
    assert_string_equal(alert.matches[0].terms[1].term, "征地");
    assert_string_equal(alert.matches[0].terms[1].field, "title");
    assert_int_equal(alert.matches[0].terms[1].start, 2);
    assert_int_equal(alert.matches[0].terms[1].end, 4);
    assert_string_equal(alert.item.id, "rss:abc");

    /* the encoded alert decodes with the same content */
    assert_int_equal(yq_alert_encode(&alert, &json, &len), 0);
    assert_int_equal(yq_alert_decode(json, len, &back, err, sizeof(err)), 0);
    assert_string_equal(back.event_key, "ev:rss:abc");
    assert_int_equal(back.n_matches, 3);
    assert_int_equal(back.level, YQ_LEVEL_I);
    assert_int_equal(back.matches[2].terms[0].start, 0);
    assert_int_equal(back.matches[2].terms[0].end, 2);
    yq_alert_release(&back);
    free(json);
    yq_alert_release(&alert);
    match_result_release(&mr);

    /* no match: no alert */
    memset(&mr, 0, sizeof(mr));
    assert_int_equal(match_build_alert(rs, &mr, &it, 0, &alert), ERR_INVALID);
    rule_set_free(rs);
}

static void test_score_formula(void **state)
{
    (void)state;
    struct yq_item rss = make_item("rss", "", "");
    struct yq_item weibo = make_item("weibo", "", "");
    struct yq_item wechat = make_item("wechat", "", "");
    struct yq_item viral = make_item("rss", "", "");

    weibo.metrics = (struct yq_item_metrics){.known = true, .reposts = 99};
    wechat.metrics = (struct yq_item_metrics){.known = true, .likes = 9};
    viral.metrics = (struct yq_item_metrics){.known = true, .reposts = 1000000000};
    /* (level_base + 5 * min(rules - 1, 4) + engagement) * source_weight, one decimal */
    assert_true(match_score(YQ_LEVEL_IV, 1, &rss) == 10.0);
    assert_true(match_score(YQ_LEVEL_III, 2, &rss) == 45.0);
    assert_true(match_score(YQ_LEVEL_III, 9, &rss) == 60.0);         /* extra rules capped */
    assert_true(match_score(YQ_LEVEL_I, 3, &weibo) == 161.7);        /* 10*log10(298) */
    assert_true(match_score(YQ_LEVEL_II, 1, &wechat) == 88.0);       /* (70 + 10) * 1.1 */
    assert_true(match_score(YQ_LEVEL_IV, 1, &viral) == 70.0);        /* engagement capped */
    assert_true(match_score(YQ_LEVEL_IV, 1, NULL) == 10.0);
}

/* Shared case FC-024 (all-matches mode), read from the shared corpus when present. */
static void test_fc_024_nested_keywords(void **state)
{
    char path[512], *buf = NULL, err[512] = "";
    json_t *doc, *rules, *texts;
    struct rule_set *rs;
    size_t len;

    (void)state;
    snprintf(path, sizeof(path), "%s/cases/inputs/FC-024.json", YQ_SHARED_DIR);
    if (yq_fs_read_file(path, 1 << 20, &buf, &len) != 0) {
        skip();
    }
    doc = json_loadb(buf, len, 0, NULL);
    assert_non_null(doc);
    rules = json_object_get(doc, "rules");
    texts = json_object_get(doc, "texts");
    rs = rule_set_new();
    for (size_t i = 0; i < json_array_size(rules); i++) {
        char yaml[512];
        const json_t *r = json_array_get(rules, i);
        snprintf(yaml, sizeof(yaml), "rules:\n  - {id: %s, name: n, department: d, expr: %s}\n",
                 json_string_value(json_object_get(r, "id")),
                 json_string_value(json_object_get(r, "keyword")));
        assert_int_equal(rule_set_add_yaml(rs, "fc024.yaml", yaml, strlen(yaml), err,
                                           sizeof(err)),
                         0);
    }
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);

    /* t1: r1 化工厂爆炸 [3,8); r3 工厂 [4,6); r2 爆炸 [6,8).  t2: r3 工厂 [1,3) only. */
    const char *want[2] = {"r1 3 8;r2 6 8;r3 4 6;", "r3 1 3;"};
    for (size_t t = 0; t < 2; t++) {
        struct yq_item it = make_item("rss", "", json_string_value(json_object_get(
                                                     json_array_get(texts, t), "text")));
        struct match_result mr;
        char got[256] = "";
        size_t off = 0;
        assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
        for (size_t i = 0; i < mr.n_rules; i++) {
            assert_int_equal(mr.rules[i].n_hits, 1);
            off += (size_t)snprintf(got + off, sizeof(got) - off, "%s %zu %zu;",
                                    rs->rules[mr.rules[i].rule].id, mr.rules[i].hits[0].start,
                                    mr.rules[i].hits[0].end);
        }
        assert_string_equal(got, want[t]);
        match_result_release(&mr);
    }
    rule_set_free(rs);
    json_decref(doc);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_fires_with_positive_terms_only),
        cmocka_unit_test(test_scope_and_sources),
        cmocka_unit_test(test_exclude_term_blocks_every_rule),
        cmocka_unit_test(test_alert_built_from_most_severe_rule),
        cmocka_unit_test(test_score_formula),
        cmocka_unit_test(test_fc_024_nested_keywords),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    match_scratch_free(the_scratch);
    return rc;
}
