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
#include "yq_alert.h"
#include "pipeline_fixture.h"
#include "rules.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_json.h"
#include "yq_banned.h"

static const char rules_yaml[] =
    PIPELINE_LAND_RULE_HEAD
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
    struct rule_set *rs = pipeline_rules_compile("m.yaml", rules_yaml);

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

/* Match it against rs; fail, naming it, unless exactly n rules fire. */
static void expect_rule_count(const struct rule_set *rs, const struct yq_item *it, size_t n)
{
    struct match_result mr;

    assert_int_equal(match_item(rs, scratch(), it, &mr), 0);
    if (mr.n_rules != n) {
        fail_msg("title '%s' text '%s': %zu rules fired, want %zu", it->title, it->text, mr.n_rules,
                 n);
    }
    match_result_release(&mr);
}

/* A hit a rule must have: its term as written, its field and code-point offsets. */
struct hit_want {
    const char *term;
    enum match_field field;
    size_t start, end;
};

/* Fail, naming the first hit that differs, unless m's hits are the n of want, in order. */
static void expect_hits(const struct rule_set *rs, const struct match_rule *m,
                        const struct hit_want *want, size_t n)
{
    assert_int_equal(m->n_hits, n);
    for (size_t i = 0; i < n; i++) {
        const struct match_hit *h = &m->hits[i];

        if (strcmp(rs->terms[h->term], want[i].term) != 0 || h->field != want[i].field ||
            h->start != want[i].start || h->end != want[i].end) {
            fail_msg("hit %zu: '%s' field %d [%zu,%zu), want '%s' field %d [%zu,%zu)", i,
                     rs->terms[h->term], (int)h->field, h->start, h->end, want[i].term,
                     (int)want[i].field, want[i].start, want[i].end);
        }
    }
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
    static const struct hit_want want[] = {
        {"安康", MATCH_FIELD_TITLE, 0, 2}, {"征地", MATCH_FIELD_TITLE, 4, 6},
        {"汉滨", MATCH_FIELD_TEXT, 0, 2},  {"拆迁", MATCH_FIELD_TEXT, 2, 4},
        {"拆迁", MATCH_FIELD_TEXT, 6, 8},
    };
    expect_hits(rs, m, want, 5);
    match_result_release(&mr);

    /* a negated term present stops the rule */
    it = make_item("rss", "安康征地广告", "");
    expect_rule_count(rs, &it, 0);
    rule_set_free(rs);
}

/*
 * Above U+FFFF (issue #16): a traditional Extension B character in the text meets its
 * simplified term (U+21ED5 -> 岁), a traditional term meets simplified text (U+2005E ->
 * U+2003E), an unmapped one (U+20BB6) is kept; offsets stay in original code points.
 */
static void test_astral_terms(void **state)
{
    static const char yaml[] = "group: 年末\n"
                               "rules:\n"
                               "  - id: year-end\n"
                               "    name: 岁末欠薪\n"
                               "    department: 市人社局\n"
                               "    expr: 岁末 & \U0002005E\U00020BB6\n";
    struct rule_set *rs = pipeline_rules_compile("astral.yaml", yaml);
    struct match_result mr;
    /* text code points: 0 U+20BB6 1 U+20BB6 2 U+21ED5 3 末 4 欠 5 薪 6 U+2003E 7 U+20BB6 */
    struct yq_item it = make_item("rss", "", "\U00020BB6\U00020BB6\U00021ED5末欠薪"
                                             "\U0002003E\U00020BB6");
    /* terms are kept as written */
    static const struct hit_want want[] = {
        {"岁末", MATCH_FIELD_TEXT, 2, 4},
        {"\U0002005E\U00020BB6", MATCH_FIELD_TEXT, 6, 8},
    };

    (void)state;
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 1);
    expect_hits(rs, &mr.rules[0], want, 2);
    match_result_release(&mr);
    /* a different Extension B character is not the term */
    it = make_item("rss", "", "\U00021ED5末\U0002003E\U00020000");
    expect_rule_count(rs, &it, 0);
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
    expect_rule_count(rs, &it, 0);

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
    expect_rule_count(rs, &it, 0);
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
    for (size_t i = 0; i < alert.n_matches; i++) {
        /* the rule file's group travels with every match (statistics per 规则组) */
        assert_string_equal(alert.matches[i].group, "征地拆迁");
    }
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
    assert_string_equal(back.matches[1].rule_id, "title-01");
    assert_string_equal(back.matches[1].group, "征地拆迁");
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

/* matcher.source_weights: by source_id, then source, then the built-in weight, then 1.0. */
static void test_score_custom_weights(void **state)
{
    struct match_weights mw = {0};
    struct yq_item rss = make_item("rss", "", "");
    struct yq_item weibo = make_item("weibo", "", "");
    struct yq_item wechat = make_item("wechat", "", "");
    struct yq_item other = make_item("forum", "", "");
    struct rule_set *rs = load_rules();
    struct match_result mr;
    struct yq_alert alert;
    struct yq_item it = make_item("weibo", "安康征地强拆", "上访");

    (void)state;
    weibo.source_id = (char *)"wb-ankang";
    assert_int_equal(match_weights_set(&mw, "rss", 2.0), 0);
    assert_int_equal(match_weights_set(&mw, "wechat", 1.0), 0);
    assert_int_equal(match_weights_set(&mw, "rss", 1.5), 0); /* replaces */
    assert_int_equal(mw.n, 2);
    assert_true(match_score_weighted(YQ_LEVEL_IV, 1, &rss, &mw) == 15.0);    /* 10 * 1.5 */
    assert_true(match_score_weighted(YQ_LEVEL_II, 1, &wechat, &mw) == 70.0); /* 70 * 1.0 */
    assert_true(match_score_weighted(YQ_LEVEL_I, 1, &weibo, &mw) == 120.0);  /* built-in 1.2 */
    assert_true(match_score_weighted(YQ_LEVEL_I, 1, &other, &mw) == 100.0);  /* 1.0 */
    /* a source_id entry beats its source's */
    assert_int_equal(match_weights_set(&mw, "weibo", 0.5), 0);
    assert_true(match_score_weighted(YQ_LEVEL_I, 1, &weibo, &mw) == 50.0);
    assert_int_equal(match_weights_set(&mw, "wb-ankang", 10.0), 0);
    assert_true(match_score_weighted(YQ_LEVEL_I, 1, &weibo, &mw) == 1000.0);
    assert_true(match_score_weighted(YQ_LEVEL_IV, 1, NULL, &mw) == 10.0);
    /* no table: the built-in weights, as match_score() */
    assert_true(match_score_weighted(YQ_LEVEL_II, 1, &wechat, NULL) ==
                match_score(YQ_LEVEL_II, 1, &wechat));
    /* the alert carries the weighted score */
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(match_build_alert_weighted(rs, &mr, &it, &mw, 0, &alert), 0);
    assert_true(alert.score == 55.0); /* (100 + 2 * 5) * 0.5 (weibo) */
    yq_alert_release(&alert);
    match_result_release(&mr);
    rule_set_free(rs);
    match_weights_release(&mw);
    assert_int_equal(mw.n, 0);
    match_weights_release(NULL);
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


/*
 * A rule set with one rule per {"id","keyword"} of a shared case file: the keyword as a
 * quoted phrase, exactly as typed (normalised at compile time like the text).
 */
static struct rule_set *case_rules(const json_t *rules)
{
    json_t *set = json_pack("{s:i,s:[]}", "version", 1, "rules");
    struct rule_set *rs = NULL;
    char *json, err[512] = "";

    assert_non_null(set);
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        char expr[256];
        snprintf(expr, sizeof(expr), "\"%s\"", json_string_value(json_object_get(r, "keyword")));
        assert_int_equal(json_array_append_new(json_object_get(set, "rules"),
                                               json_pack("{s:s,s:s,s:s,s:s}", "id",
                                                         json_string_value(json_object_get(r, "id")),
                                                         "name", "n", "department", "d", "expr",
                                                         expr)),
                         0);
    }
    json = yq_json_dumps(set, JSON_COMPACT);
    assert_non_null(json);
    if (rule_set_decode(json, strlen(json), &rs, err, sizeof(err)) != 0) {
        fail_msg("case rules: %s", err);
    }
    free(json);
    json_decref(set);
    return rs;
}

/* Read a shared case input; NULL (the caller skips) when ../shared is absent. */
static json_t *load_case(const char *name)
{
    char path[512], *buf = NULL;
    size_t len = 0;
    json_t *doc;

    snprintf(path, sizeof(path), "%s/cases/inputs/%s", YQ_SHARED_DIR, name);
    if (yq_fs_read_file(path, 1 << 20, &buf, &len) != 0) {
        return NULL;
    }
    doc = json_loadb(buf, len, 0, NULL);
    free(buf);
    assert_non_null(doc);
    return doc;
}

/*
 * Every rule that fires on text as "ID [start,end) excerpt;" (the first hit of each rule),
 * offsets and excerpts from the original text.
 */
static void fired(const struct rule_set *rs, const char *text, char *out, size_t outlen)
{
    struct yq_item it = make_item("rss", "", text);
    struct match_result mr;
    size_t off = 0;

    out[0] = '\0';
    struct yq_alert alert;

    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    if (mr.n_rules > 0) {
        /* quote through the alert, as the notifier receives it */
        assert_int_equal(match_build_alert(rs, &mr, &it, 0, &alert), 0);
        for (size_t i = 0; i < alert.n_matches; i++) {
            const struct yq_alert_term *t = &alert.matches[i].terms[0];
            assert_non_null(t->excerpt);
            off += (size_t)snprintf(out + off, outlen - off, "%s [%lld,%lld) %s;",
                                    alert.matches[i].rule_id, (long long)t->start,
                                    (long long)t->end, t->excerpt);
        }
        yq_alert_release(&alert);
    }
    match_result_release(&mr);
}

/*
 * A shared case's texts (cases/inputs/<file>, n of them) through fired(): each must give
 * want[t]. Skips when the shared cases are absent.
 */
static void check_case_texts(const char *file, const char *const *want, size_t n)
{
    json_t *doc = load_case(file);
    json_t *texts;
    struct rule_set *rs;
    char got[512];

    if (!doc) {
        skip();
    }
    rs = case_rules(json_object_get(doc, "rules"));
    texts = json_object_get(doc, "texts");
    assert_int_equal(json_array_size(texts), n);
    for (size_t t = 0; t < n; t++) {
        const char *text = json_string_value(json_object_get(json_array_get(texts, t), "text"));
        fired(rs, text, got, sizeof(got));
        if (strcmp(got, want[t]) != 0) {
            fail_msg("%s t%zu: got '%s', want '%s'", file, t + 1, got, want[t]);
        }
    }
    rule_set_free(rs);
    json_decref(doc);
}

/*
 * FC-026: U+200B/200C/200D/2060/FEFF and the soft hyphen between characters must not defeat
 * 燃气泄漏; spans cover the invisible characters inside the match, not those around it.
 */
static void test_fc_026_invisible_characters(void **state)
{
    static const char *const want[] = {
        "r1 [2,9) 燃\u200b气\u200b泄\u200b漏;", /* t1 */
        "r1 [0,6) 燃\u200d气泄\u200c漏;",       /* t2 */
        "r1 [0,5) 燃气\u2060泄漏;",             /* t3 */
        "r1 [1,6) 燃气泄\u00ad漏;",             /* t4: the BOM before it is not quoted */
        "",                                     /* t5: 燃气管道维修 */
    };

    (void)state;
    check_case_texts("FC-026.json", want, 5);
}

/*
 * FC-028: rules typed full-width or upper-case match text in any width/case, and the
 * excerpt quotes the original (full-width) text, not the folded form.
 */
static void test_fc_028_width_and_case_both_sides(void **state)
{
    static const char *const want[] = {
        "r1 [2,8) wifi故障;",
        "r2 [2,7) app闪退;",
        "r3 [4,8) 5G基站;",
        "r4 [2,8) ＷＩＦＩ断网;",
    };

    (void)state;
    check_case_texts("FC-028.json", want, 4);
}

/* FC-024 through the shared-case loader too: every overlapping/nested/suffix keyword. */
static void test_fc_024_suffix_keywords_all_reported(void **state)
{
    static const char *const want[] = {
        "r1 [3,8) 化工厂爆炸;r2 [6,8) 爆炸;r3 [4,6) 工厂;",
        "r3 [1,3) 工厂;",
    };

    (void)state;
    check_case_texts("FC-024.json", want, 2);
}

/* Matching semantics, table-driven: one rule per case, over title "" and the given text. */
struct sem_case {
    const char *name;
    const char *expr;
    const char *text;
    const char *want; /* fired() output */
};

static const struct sem_case sem_cases[] = {
    {"plain", "安康", "陕西安康", "r [2,4) 安康;"},
    {"traditional_text_simplified_rule", "燃气泄漏", "昨晚燃氣洩漏", "r [2,6) 燃氣洩漏;"},
    {"traditional_rule_simplified_text", "\"燃氣洩漏\"", "昨晚燃气泄漏", "r [2,6) 燃气泄漏;"},
    {"fullwidth_digits", "110", "拨打１１０", "r [2,5) １１０;"},
    {"case_folded_rule", "COVID", "covid-19 疫情", "r [0,5) covid;"},
    {"ideographic_space_in_text_phrase", "\"安康 市\"", "安康\u3000市", "r [0,4) 安康\u3000市;"},
    /* a term spaced out in the text (FC-026's neighbour: visible blanks, not Cf) */
    {"spaced_out_term", "燃气泄漏", "小区燃 气\u3000泄\u00a0漏了",
     "r [2,9) 燃 气\u3000泄\u00a0漏;"},
    {"spaced_term_in_rule", "\"燃 气\"", "燃气泄漏", "r [0,2) 燃气;"},
    {"space_before_term_not_quoted", "燃气", "小区 燃气", "r [3,5) 燃气;"},
    {"compat_ideograph", "\u8ECA", "\uF902", "r [0,1) \uF902;"},
    /* decomposed (NFD) text and a precomposed rule, or the reverse: the span covers the mark */
    {"nfd_text_nfc_rule", "caf\u00e9", "Cafe\u0301 open", "r [0,5) Cafe\u0301;"},
    {"nfc_text_nfd_rule", "\"Cafe\u0301\"", "caf\u00e9 open", "r [0,4) caf\u00e9;"},
    {"nfd_not_base_letter", "cafe", "cafe\u0301", ""},
    /* word edges of alphabetic terms: not inside a longer Latin word or number */
    {"latin_not_inside_word", "AI", "AIDS防治宣传", ""},
    {"latin_not_at_word_end", "AI", "邮件MAIL", ""},
    {"latin_next_to_cjk", "AI", "警惕AI换脸诈骗", "r [2,4) AI;"},
    {"latin_between_punct", "AI", "（AI）", "r [1,3) AI;"},
    {"fullwidth_latin_not_inside_word", "ＡＩ", "ＡＩＤＳ", ""},
    {"digits_not_inside_number", "5G", "送15G流量", ""},
    {"year_not_inside_number", "2026", "编号120261", ""},
    {"letter_next_to_digit", "covid", "COVID19疫情", "r [0,5) COVID;"},
    /* Ⅱ级 is ii级 once normalised, Ⅲ级 iii级: a level-II response is not a level-III one */
    {"roman_level_not_inside", "Ⅱ级响应", "启动Ⅲ级响应", ""},
    {"roman_level", "Ⅱ级响应", "启动II级响应", "r [2,7) II级响应;"},
    {"digit_next_to_letter", "5G", "5G基站", "r [0,2) 5G;"},
    {"cjk_term_inside_cjk", "工厂", "化工厂", "r [1,3) 工厂;"},
    {"term_ending_in_cjk", "wifi断网", "宿舍WiFi断网", "r [2,8) WiFi断网;"},
    /* two spellings of one term: still a rule that can fire (only '&' with '!' is refused) */
    {"same_once_normalised_or", "wifi | ＷＩＦＩ", "WiFi断了", "r [0,4) WiFi;"},
    {"same_once_normalised_and", "wifi & ＷＩＦＩ", "WiFi断了", "r [0,4) WiFi;"},
    {"nfd_pinyin", "\u0101nk\u0101ng", "A\u0304nka\u0304ng\u5e02", "r [0,8) A\u0304nka\u0304ng;"},
    {"and_not_excluded", "爆炸 & !演练", "消防演练模拟爆炸", ""},
    {"or", "滑坡 | 泥石流", "突发泥石流", "r [2,5) 泥石流;"},
    {"near_within", "NEAR/3(燃气, 爆炸)", "燃气管道爆炸", "r [0,2) 燃气;"},
    {"near_exact_distance", "NEAR/2(燃气, 爆炸)", "燃气管道爆炸", "r [0,2) 燃气;"},
    {"near_too_far", "NEAR/1(燃气, 爆炸)", "燃气管道爆炸", ""},
    {"near_reversed_order", "NEAR/0(爆炸, 燃气)", "燃气爆炸", "r [0,2) 燃气;"},
    {"near_invisible_not_counted", "NEAR/0(燃气, 爆炸)", "燃气\u200b\u200b爆炸", "r [0,2) 燃气;"},
    {"near_same_term_needs_two", "NEAR/5(投诉, 投诉)", "我要投诉", ""},
    {"near_same_term_two", "NEAR/5(投诉, 投诉)", "投诉再投诉", "r [0,2) 投诉;"},
    /* terms of a NEAR that does not hold are still reported as found */
    {"near_in_or", "NEAR/1(燃气, 爆炸) | 起火", "燃气管道爆炸后起火", "r [0,2) 燃气;"},
    {"near_in_or_only_other", "NEAR/1(燃气, 爆炸) | 起火", "燃气后起火", "r [0,2) 燃气;"},
    {"negated_near", "爆炸 & !NEAR/2(演练, 爆炸)", "演练中爆炸", ""},
    {"negated_near_far", "爆炸 & !NEAR/2(演练, 爆炸)", "演练结束后三天仓库爆炸", "r [9,11) 爆炸;"},
};

static void test_semantics_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(sem_cases) / sizeof(sem_cases[0]); c++) {
        const struct sem_case *sc = &sem_cases[c];
        json_t *set = json_pack("{s:i,s:[{s:s,s:s,s:s,s:s}]}", "version", 1, "rules", "id", "r",
                                "name", "n", "department", "d", "expr", sc->expr);
        char *json = yq_json_dumps(set, JSON_COMPACT), err[512] = "", got[512];
        struct rule_set *rs = NULL;

        if (rule_set_decode(json, strlen(json), &rs, err, sizeof(err)) != 0) {
            fail_msg("%s: %s", sc->name, err);
        }
        fired(rs, sc->text, got, sizeof(got));
        if (strcmp(got, sc->want) != 0) {
            fail_msg("%s: got '%s', want '%s'", sc->name, got, sc->want);
        }
        rule_set_free(rs);
        free(json);
        json_decref(set);
    }
}

/* Scope applies to NEAR too: title and text are separate fields, never joined. */
static void test_near_does_not_cross_fields(void **state)
{
    static const char yaml[] = "rules:\n  - {id: n1, name: n, department: d, expr: "
                               "\"NEAR/5(燃气, 爆炸)\"}\n";
    struct rule_set *rs;
    struct match_result mr;
    struct yq_item it = make_item("rss", "燃气", "爆炸");

    (void)state;
    rs = pipeline_rules_compile("n.yaml", yaml);
    expect_rule_count(rs, &it, 0);
    it = make_item("rss", "燃气站爆炸", "");
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 1);
    assert_int_equal(mr.rules[0].n_hits, 2);
    match_result_release(&mr);
    rule_set_free(rs);
}

/* A global exclude term written in another width/script still excludes. */
static void test_exclude_normalised(void **state)
{
    static const char yaml[] = "exclude: [廣告]\nrules:\n  - {id: a, name: n, department: d, "
                               "expr: 安康}\n";
    struct rule_set *rs;
    struct match_result mr;
    struct yq_item it = make_item("rss", "安康", "本条为广告");

    (void)state;
    rs = pipeline_rules_compile("x.yaml", yaml);
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_string_equal(mr.excluded_by, "廣告");
    match_result_release(&mr);
    rule_set_free(rs);
}

/*
 * A term's spaces next to a Chinese character: the text drops spaces between two Chinese
 * characters, so "燃气 " and " 泄漏" (quoted, as typed) must be 燃气 and 泄漏 to be found in
 * 小区燃气 泄漏了; they were kept and never matched. A Latin term's edge spaces are a word's
 * edges and stay (" ai " is not in "mail").
 */
static void test_term_edge_spaces_next_to_han(void **state)
{
    static const char yaml[] = "rules:\n"
                               "  - {id: tail, name: n, department: d, expr: '\"燃气 \"'}\n"
                               "  - {id: head, name: n, department: d, expr: '\"\u3000泄漏\"'}\n"
                               "  - {id: latin, name: n, department: d, expr: '\" ai \"'}\n";
    struct rule_set *rs = pipeline_rules_compile("x.yaml", yaml);
    char got[512];

    (void)state;
    fired(rs, "小区燃气 泄漏了", got, sizeof(got));
    assert_string_equal(got, "tail [2,4) 燃气;head [5,7) 泄漏;");
    fired(rs, "换脸 ai 软件与 mail 无关", got, sizeof(got));
    assert_string_equal(got, "latin [2,6)  ai ;");
    fired(rs, "换脸ai软件", got, sizeof(got));
    assert_string_equal(got, "");
    rule_set_free(rs);
}

/* A big random-ish text: no crash, offsets inside the text, same result twice (scratch reuse). */
static void test_scratch_reuse_across_sets(void **state)
{
    struct rule_set *a = load_rules(), *b;
    static const char yaml[] = "rules:\n  - {id: z, name: n, department: d, expr: 上访}\n";
    struct match_result mr;
    struct yq_item it = make_item("weibo", "", "多人上访，安康征地");

    (void)state;
    b = pipeline_rules_compile("b.yaml", yaml);
    for (int round = 0; round < 3; round++) {
        expect_rule_count(a, &it, 2); /* land-01 and weibo-01 */
        assert_int_equal(match_item(b, scratch(), &it, &mr), 0);
        assert_int_equal(mr.n_rules, 1);
        assert_int_equal(mr.rules[0].hits[0].start, 2);
        match_result_release(&mr);
    }
    rule_set_free(a);
    rule_set_free(b);
}

/*
 * Issue #11: the shipped safety-gas rule fired on 爆炸 anywhere in the world. A rule marked
 * local needs a place of the set's places list in the title or text, or a local source; the
 * places list and the mark survive the JSON round trip (Redis), and a local rule without any
 * places list is rejected when the set is compiled (rules validate).
 */
static void test_issue_11_local_rule_needs_place_or_local_source(void **state)
{
    static const char places_yaml[] = "places: [安康, 汉滨, 旬阳]\nrules: []\n";
    static const char yaml[] =
        "rules:\n"
        "  - {id: safety-gas, name: 燃气泄漏与爆炸, department: 市应急管理局, level: II,\n"
        "     local: true, expr: (燃气泄漏 | 天然气泄漏 | 爆炸 | 疏散) & !演练}\n"
        "  - {id: world, name: n, department: d, expr: 爆炸}\n";
    struct rule_set *rs = rule_set_new(), *back = NULL;
    struct match_result mr;
    struct yq_item far = make_item("rss", "宇宙大爆炸理论", "一篇科普博客");
    struct yq_item here = make_item("rss", "旬阳一处民房发生爆炸", "");
    struct yq_item local_src = make_item("rss", "民房发生爆炸", "");
    char err[256] = "", *json = NULL;
    size_t len = 0;

    (void)state;
    local_src.local = true;
    assert_int_equal(rule_set_add_yaml(rs, "00-places.yaml", places_yaml, strlen(places_yaml),
                                       err, sizeof(err)), 0);
    assert_int_equal(rule_set_add_yaml(rs, "safety.yaml", yaml, strlen(yaml), err, sizeof(err)),
                     0);
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);
    assert_int_equal(rs->n_places, 3);
    assert_true(rs->rules[0].local);
    assert_false(rs->rules[1].local);
    assert_int_equal(rule_set_encode(rs, &json, &len), 0);
    assert_non_null(strstr(json, "\"places\":[\"安康\",\"汉滨\",\"旬阳\"]"));
    assert_int_equal(rule_set_decode(json, len, &back, err, sizeof(err)), 0);
    free(json);
    for (int round = 0; round < 2; round++) {
        const struct rule_set *set = round == 0 ? rs : back;
        /* not local text, not a local source: only the non-local rule */
        assert_int_equal(match_item(set, scratch(), &far, &mr), 0);
        assert_int_equal(mr.n_rules, 1);
        assert_null(find_match(set, &mr, "safety-gas"));
        assert_non_null(find_match(set, &mr, "world"));
        match_result_release(&mr);
        /* 旬阳 in the title */
        assert_int_equal(match_item(set, scratch(), &here, &mr), 0);
        assert_int_equal(mr.n_rules, 2);
        assert_non_null(find_match(set, &mr, "safety-gas"));
        match_result_release(&mr);
        /* a local source, no place named */
        assert_int_equal(match_item(set, scratch(), &local_src, &mr), 0);
        assert_int_equal(mr.n_rules, 2);
        assert_non_null(find_match(set, &mr, "safety-gas"));
        match_result_release(&mr);
    }
    rule_set_free(back);
    rule_set_free(rs);

    /* a local rule in a set that lists no places is an error naming the rule */
    rs = rule_set_new();
    assert_int_equal(rule_set_add_yaml(rs, "safety.yaml", yaml, strlen(yaml), err, sizeof(err)),
                     0);
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), ERR_INVALID);
    assert_string_equal(err, "safety.yaml:2: rule 'safety-gas' is local but no rule file lists "
                             "'places'");
    rule_set_free(rs);
}

/*
 * Issue #11 on the shipped rules (config/rules): the two real posts that opened II tickets
 * ("核爆炸" in a technology weekly, "宇宙大爆炸理论" on a blog) match nothing; the demo's 旬阳
 * gas leak still matches safety-gas, and a local forum's post without a place name does too.
 */
static void test_issue_11_shipped_rules_are_local(void **state)
{
    struct rule_set *rs = NULL;
    struct match_result mr;
    struct yq_item weekly = make_item("rss", "科技爱好者周刊：核爆炸的模拟", "");
    struct yq_item blog = make_item("rss", "宇宙大爆炸理论", "宇宙起源于一次大爆炸");
    struct yq_item xunyang = make_item("rss", "旬阳市某小区地下车库燃气泄漏，消防已到场", "");
    struct yq_item forum = make_item("rss", "小区车库燃气泄漏，消防已到场", "");
    char err[512] = "";

    (void)state;
    if (rule_set_load_dir(YQ_SOURCE_DIR "/config/rules", &rs, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    assert_true(rs->n_places >= 10);
    for (size_t i = 0; i < rs->n_rules; i++) {
        assert_true(rs->rules[i].local); /* every shipped rule stands for local 舆情 */
    }
    weekly.source_id = "tech-weekly";
    blog.source_id = "blog";
    expect_rule_count(rs, &weekly, 0);
    expect_rule_count(rs, &blog, 0);
    assert_int_equal(match_item(rs, scratch(), &xunyang, &mr), 0);
    assert_int_equal(mr.n_rules, 1);
    assert_string_equal(rs->rules[mr.rules[0].rule].id, "safety-gas");
    match_result_release(&mr);
    expect_rule_count(rs, &forum, 0); /* no place, source not local */
    forum.local = true;
    expect_rule_count(rs, &forum, 1);
    rule_set_free(rs);
}

/* issue #12: 20 matched rules and 20 source weights, each array past its first capacity (16) */
static void test_issue_12_many_rules_and_weights(void **state)
{
    char yaml[4096] = "group: 多\nrules:\n";
    struct match_weights mw = {0};
    struct match_result mr;
    struct rule_set *rs;
    struct yq_item it = make_item("rss", "安康征地", "");

    (void)state;
    for (int i = 0; i < 20; i++) {
        size_t n = strlen(yaml);
        snprintf(yaml + n, sizeof(yaml) - n,
                 "  - id: r%02d\n    name: n\n    department: d\n    expr: %s\n", i,
                 i % 2 ? "安康" : "征地");
    }
    rs = pipeline_rules_compile("many.yaml", yaml);
    assert_int_equal(match_item(rs, scratch(), &it, &mr), 0);
    assert_int_equal(mr.n_rules, 20);
    for (size_t i = 0; i < 20; i++) {
        assert_int_equal(mr.rules[i].rule, i); /* rule-set order */
        assert_int_equal(mr.rules[i].n_hits, 1);
    }
    match_result_release(&mr);
    rule_set_free(rs);

    for (int i = 0; i < 20; i++) {
        char name[8];

        snprintf(name, sizeof(name), "s%d", i);
        assert_int_equal(match_weights_set(&mw, name, 0.5 * (i + 1)), 0);
    }
    assert_int_equal(match_weights_set(&mw, "s3", 9.0), 0); /* replaces */
    assert_int_equal(mw.n, 20);
    for (int i = 0; i < 20; i++) {
        char name[8];

        snprintf(name, sizeof(name), "s%d", i);
        it.source_id = name;
        assert_true(match_source_weight(&mw, &it) == (i == 3 ? 9.0 : 0.5 * (i + 1)));
    }
    match_weights_release(&mw);
    assert_null(mw.w);
    assert_int_equal(mw.cap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_fires_with_positive_terms_only),
        cmocka_unit_test(test_scope_and_sources),
        cmocka_unit_test(test_astral_terms),
        cmocka_unit_test(test_exclude_term_blocks_every_rule),
        cmocka_unit_test(test_alert_built_from_most_severe_rule),
        cmocka_unit_test(test_score_formula),
        cmocka_unit_test(test_score_custom_weights),
        cmocka_unit_test(test_fc_024_nested_keywords),
        cmocka_unit_test(test_fc_024_suffix_keywords_all_reported),
        cmocka_unit_test(test_fc_026_invisible_characters),
        cmocka_unit_test(test_fc_028_width_and_case_both_sides),
        cmocka_unit_test(test_semantics_table),
        cmocka_unit_test(test_near_does_not_cross_fields),
        cmocka_unit_test(test_exclude_normalised),
        cmocka_unit_test(test_term_edge_spaces_next_to_han),
        cmocka_unit_test(test_scratch_reuse_across_sets),
        cmocka_unit_test(test_issue_11_local_rule_needs_place_or_local_source),
        cmocka_unit_test(test_issue_11_shipped_rules_are_local),
        cmocka_unit_test(test_issue_12_many_rules_and_weights),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    match_scratch_free(the_scratch);
    return rc;
}
