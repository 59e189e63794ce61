/*
 * Watched hot-search terms (issue #15, pipeline/hot_watch.h): a weibo_hot item whose
 * hot.watched lists terms raises an alert without any rule (one "hot-watch" match, level IV,
 * offsets of each watched term in the original title), keeps its rule matches when it has
 * some (the hot-watch match added last), and other items are untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hot_watch.h"
#include "match.h"
#include "pipeline_fixture.h"
#include "rules.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_banned.h"

static const char rules_yaml[] = "group: 防汛\n"
                                 "rules:\n"
                                 "  - id: flood-01\n"
                                 "    name: 汛情水位\n"
                                 "    department: 市水利局\n"
                                 "    level: II\n"
                                 "    expr: 水位\n";

#define NOW 1796398200

static struct yq_item hot_item(const char *title, const char *hot_json)
{
    struct yq_item it;
    memset(&it, 0, sizeof(it));
    it.id = (char *)"wbhot:96a6b15d805cc5696a79301767ab3d2894bb6898:1796398000:entered";
    it.source = (char *)"weibo_hot";
    it.source_id = (char *)"hot1";
    it.title = (char *)title;
    it.text = (char *)title;
    it.precision = "second";
    it.hot = hot_json ? json_loads(hot_json, 0, NULL) : NULL;
    assert_true(!hot_json || it.hot);
    return it;
}

static void match(const struct rule_set *rs, const struct yq_item *it, struct match_result *mr)
{
    struct match_scratch *ms = match_scratch_new();
    assert_non_null(ms);
    assert_int_equal(match_item(rs, ms, it, mr), 0);
    match_scratch_free(ms);
}

/*
 * Match it against rs, expecting n_rules rules to fire, and build its alert into a (release it
 * and mr): the rules' matches, then the hot-watch match.
 */
static void watch_alert(const struct rule_set *rs, const struct yq_item *it, size_t n_rules,
                        struct match_result *mr, struct yq_alert *a)
{
    match(rs, it, mr);
    assert_int_equal(mr->n_rules, n_rules);
    assert_true(hot_watch_applies(it));
    assert_int_equal(hot_watch_build_alert(rs, mr, it, NULL, NOW, a), 0);
    assert_int_equal(a->n_matches, n_rules + 1);
    assert_string_equal(a->matches[n_rules].rule_id, "hot-watch");
}

static void test_watched_entry_alerts_without_a_rule(void **state)
{
    struct rule_set *rs = pipeline_rules_compile("h.yaml", rules_yaml);
    /* full-width "ＡＮＫＡＮＧ": the watch term "ankang" is found after normalisation */
    struct yq_item it =
        hot_item("旬阳ＡＮＫＡＮＧ马拉松开跑", "{\"rank\":6,\"trigger\":\"entered\","
                                               "\"watched\":[\"旬阳\",\"ankang\",\"紫阳\"]}");
    struct match_result mr;
    struct yq_alert a;
    const struct yq_alert_match *m;

    (void)state;
    rs->version = 7;
    watch_alert(rs, &it, 0, &mr, &a);
    m = &a.matches[0];
    assert_string_equal(m->name, "热搜关注词");
    assert_string_equal(m->group, "热搜");
    assert_string_equal(m->department, "");
    assert_int_equal(m->level, YQ_LEVEL_IV);
    assert_int_equal(m->n_terms, 3);
    assert_string_equal(m->terms[0].term, "旬阳");
    assert_string_equal(m->terms[0].field, "title");
    assert_int_equal(m->terms[0].start, 0);
    assert_int_equal(m->terms[0].end, 2);
    assert_string_equal(m->terms[0].excerpt, "旬阳");
    assert_int_equal(m->terms[1].start, 2);
    assert_int_equal(m->terms[1].end, 8);
    assert_string_equal(m->terms[1].excerpt, "ＡＮＫＡＮＧ");
    /* listed by the collector but not in the title: kept, without a span */
    assert_string_equal(m->terms[2].term, "紫阳");
    assert_int_equal(m->terms[2].end, 0);
    assert_null(m->terms[2].excerpt);
    assert_string_equal(a.event_key, "ev:wbhot:96a6b15d805cc5696a79301767ab3d2894bb6898:"
                                     "1796398000:entered");
    assert_int_equal(a.level, YQ_LEVEL_IV);
    assert_string_equal(a.department, "");
    assert_int_equal(a.rules_version, 7);
    assert_int_equal(a.matched_at, NOW);
    assert_true(a.score > 9.9 && a.score < 10.1); /* level IV, one match, weight 1.0 */
    assert_string_equal(a.item.title, it.title);
    assert_non_null(a.item.hot);
    yq_alert_release(&a);
    match_result_release(&mr);
    json_decref(it.hot);
    rule_set_free(rs);
}

/* Review #15 item 7: with the term's reply_to, the alert's own event is the term's. */
static void test_watched_entry_event_is_the_terms(void **state)
{
    struct rule_set *rs = pipeline_rules_compile("h.yaml", rules_yaml);
    struct yq_item it = hot_item("旬阳马拉松开跑", "{\"rank\":6,\"watched\":[\"旬阳\"]}");
    struct match_result mr;
    struct yq_alert a;

    (void)state;
    it.reply_to = (char *)"wbhot:96a6b15d805cc5696a79301767ab3d2894bb6898";
    match(rs, &it, &mr);
    assert_int_equal(hot_watch_build_alert(rs, &mr, &it, NULL, NOW, &a), 0);
    assert_string_equal(a.event_key, "ev:wbhot:96a6b15d805cc5696a79301767ab3d2894bb6898");
    yq_alert_release(&a);
    match_result_release(&mr);
    json_decref(it.hot);
    rule_set_free(rs);
}

static void test_rules_and_watch_together(void **state)
{
    struct rule_set *rs = pipeline_rules_compile("h.yaml", rules_yaml);
    struct yq_item it = hot_item("汉江安康段水位回落", "{\"rank\":8,\"trigger\":\"rose\","
                                                       "\"watched\":[\"安康\",\"汉江\"]}");
    struct match_result mr;
    struct yq_alert a;

    (void)state;
    it.department = (char *)"市应急管理局";
    watch_alert(rs, &it, 1, &mr, &a);
    assert_string_equal(a.matches[0].rule_id, "flood-01");
    assert_string_equal(a.matches[1].department, "市应急管理局");
    assert_int_equal(a.matches[1].terms[0].start, 2);
    assert_int_equal(a.matches[1].terms[1].start, 0);
    /* the rule decides the alert's level and department */
    assert_int_equal(a.level, YQ_LEVEL_II);
    assert_string_equal(a.department, "市水利局");
    yq_alert_release(&a);
    match_result_release(&mr);
    json_decref(it.hot);
    rule_set_free(rs);
}

static void test_no_watch_no_alert(void **state)
{
    struct rule_set *rs = pipeline_rules_compile("h.yaml", rules_yaml);
    static const char *const hots[] = {NULL, "{\"rank\":3}", "{\"watched\":[]}",
                                       "{\"watched\":\"安康\"}", "{\"watched\":[1,\"\"]}"};
    struct match_result mr;
    struct yq_alert a;

    (void)state;
    for (size_t i = 0; i < sizeof(hots) / sizeof(hots[0]); i++) {
        struct yq_item it = hot_item("安康马拉松开跑", hots[i]);
        match(rs, &it, &mr);
        assert_false(hot_watch_applies(&it));
        assert_int_equal(hot_watch_build_alert(rs, &mr, &it, NULL, NOW, &a), ERR_INVALID);
        assert_int_equal(a.n_matches, 0);
        match_result_release(&mr);
        json_decref(it.hot);
    }
    rule_set_free(rs);
}

/* issue #12: the hot-watch match appended after 16 rule matches (past the first capacity) */
static void test_issue_12_watch_after_16_rules(void **state)
{
    char yaml[2048] = "group: 防汛\nrules:\n";
    struct rule_set *rs;
    struct yq_item it = hot_item("汉江安康段水位回落", "{\"rank\":8,\"watched\":[\"汉江\"]}");
    struct match_result mr;
    struct yq_alert a;

    (void)state;
    for (int i = 0; i < 16; i++) {
        size_t n = strlen(yaml);
        snprintf(yaml + n, sizeof(yaml) - n,
                 "  - id: flood-%02d\n    name: 汛情\n    department: 市水利局\n    expr: 水位\n",
                 i);
    }
    rs = pipeline_rules_compile("h16.yaml", yaml);
    watch_alert(rs, &it, 16, &mr, &a);
    assert_string_equal(a.matches[15].rule_id, "flood-15");
    assert_int_equal(a.matches[16].n_terms, 1);
    assert_string_equal(a.matches[16].terms[0].term, "汉江");
    yq_alert_release(&a);
    match_result_release(&mr);
    json_decref(it.hot);
    rule_set_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watched_entry_alerts_without_a_rule),
        cmocka_unit_test(test_watched_entry_event_is_the_terms),
        cmocka_unit_test(test_rules_and_watch_together),
        cmocka_unit_test(test_no_watch_no_alert),
        cmocka_unit_test(test_issue_12_watch_after_16_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
