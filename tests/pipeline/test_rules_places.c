/*
 * Issue #11: place names of the rule set's `places` list are found as substrings, so "安康"
 * also occurs in "上海市安康路" (a street in Shanghai). An occurrence that is part of a longer
 * name (a road, building or site suffix after it, another province-level region before it)
 * does not make a local rule fire; the full form (安康市, 汉滨区) always does (place.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "norm.h"
#include "place.h"
#include "rules.h"
#include "yq_err.h"
#include "yq_banned.h"

static struct rule_set *shipped;
static struct match_scratch *ms;

static int setup(void **state)
{
    char err[512] = "";

    (void)state;
    if (rule_set_load_dir(YQ_SOURCE_DIR "/config/rules", &shipped, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    ms = match_scratch_new();
    return ms ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rule_set_free(shipped);
    match_scratch_free(ms);
    return 0;
}

/* The ids of the rules that fire on an item with this title (rss, not a local source),
 * joined by ',' into out; "" when none. */
static const char *fired(const char *title, bool local, char *out, size_t outlen)
{
    struct yq_item it;
    struct match_result mr;
    size_t off = 0;

    memset(&it, 0, sizeof(it));
    it.id = (char *)"rss:t";
    it.source = (char *)"rss";
    it.source_id = (char *)"news";
    it.title = (char *)title;
    it.text = (char *)"";
    it.precision = "second";
    it.local = local;
    assert_int_equal(match_item(shipped, ms, &it, &mr), 0);
    out[0] = '\0';
    for (size_t i = 0; i < mr.n_rules; i++) {
        off += (size_t)snprintf(out + off, outlen - off, "%s%s", i ? "," : "",
                                shipped->rules[mr.rules[i].rule].id);
    }
    match_result_release(&mr);
    return out;
}

/* The examples of the issue, each also in traditional characters and with width or
 * invisible-character variants: normalisation must not change the verdict. */
static void test_shipped_gas_rule_and_places(void **state)
{
    static const struct {
        const char *title;
        const char *fires; /* rule ids, "" for none */
    } cases[] = {
        /* a street named after the place, in another city */
        {"上海市安康路一小区燃气爆炸", ""},
        {"上海市安康路一小區燃氣爆炸", ""},       /* traditional */
        {"上海市安康\u200b路一小区燃气爆炸", ""}, /* zero-width space inside */
        {"安康路小区燃气爆炸", ""},
        {"旬阳路一小区燃气爆炸", ""},
        {"旬陽路一小區燃氣爆炸", ""},
        {"杭州安康医院附近燃气爆炸", ""},
        {"北京安康燃气爆炸", ""}, /* another region before it */
        {"广东省安康燃气爆炸", ""},
        /* the place name inside an ordinary word or greeting (reviewed after issue #12) */
        {"燃气爆炸伤者已平安康复", ""},
        {"祝大家新年安康，昨日燃气爆炸", ""},
        {"端午安康！某地燃气爆炸", ""},
        {"资源公平利用，燃气爆炸", ""},
        {"上海市安康市场燃气爆炸", ""}, /* 市场: a market, not 安康市 */
        /* names that start with the place: Anhui's health code, the national safety contest */
        {"安康码崩了，燃气爆炸现场排队", ""},
        {"“安康杯”竞赛：燃气泄漏应急处置", ""},
        {"安康魚價格大漲，燃气爆炸", ""},             /* 安康鱼 in traditional */
        {"安康码之外，安康市燃气爆炸", "safety-gas"}, /* one counting occurrence is enough */
        /* 安康码头 (Ankang wharf on the Han river) is the place, not the health code */
        {"安康码头附近发生燃气泄漏", "safety-gas"},
        {"安康碼頭附近發生燃氣洩漏", "safety-gas"},
        {"安康杯赛现场燃气泄漏", ""}, /* 杯赛: still the contest */
        /* the deployment's place */
        {"安康市汉滨区燃气泄漏", "safety-gas"},
        {"安康市漢濱區燃氣洩漏", "safety-gas"},
        {"安康燃气爆炸", "safety-gas"},
        {"安康燃氣爆炸", "safety-gas"},
        {"ａｎ安康燃气爆炸", "safety-gas"}, /* full-width letters before it */
        {"陕西安康燃气爆炸", "safety-gas"}, /* its own province */
        {"陕西省安康市燃气爆炸", "safety-gas"},
        {"上海市安康路小区燃气爆炸，汉滨区也有燃气泄漏", "safety-gas"}, /* one counting */
        {"汉滨区老城街道燃气泄漏", "safety-gas"}, /* 街道 is a sub-district, not a street */
        {"旬阳市某小区燃气泄漏", "safety-gas"},
        {"安康市中心医院附近燃气泄漏", "safety-gas"},
        {"安康复工复产中一企业燃气泄漏",
         "safety-gas"}, /* 安康 resumes work: 康复 is no word here */
        {"安康市市场监管局通报燃气爆炸", "safety-gas"},
        {"安康市场监管局通报燃气爆炸", "safety-gas"},
        {"平利县燃气泄漏", "safety-gas"},
    };
    char got[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fired(cases[i].title, false, got, sizeof(got));
        if (strcmp(got, cases[i].fires) != 0) {
            fail_msg("'%s': fired '%s', want '%s'", cases[i].title, got, cases[i].fires);
        }
    }
    /* a local source needs no place, whatever the text names */
    assert_string_equal(fired("上海市安康路一小区燃气爆炸", true, got, sizeof(got)), "safety-gas");
}

/* The rule itself, on hand-made normalised text with byte offsets. */
static void test_place_occurrence_counts(void **state)
{
    static const struct {
        const char *text;
        const char *before; /* the text before the place */
        bool counts;
    } cases[] = {
        {"安康", "", true},
        {"安康市", "", true},
        {"安康路", "", false},
        {"安康大道", "", false},
        {"安康街道办", "", true},
        {"安康街头", "", true},
        {"安康街", "", false},
        {"上海安康", "上海", false},
        {"上海市安康", "上海市", false},
        {"内蒙古自治区安康", "内蒙古自治区", false},
        {"香港特别行政区安康", "香港特别行政区", false},
        {"上海市安康市", "上海市", true}, /* the full form counts always */
        {"陕西省安康", "陕西省", true},
        {"西安康", "西", true},
        {"平安康复", "平", false},
        {"端午安康", "端午", false},
        {"安康市场", "", true}, /* no other region before it: may be 安康's own market */
        {"上海市安康市场", "上海市", false},
        {"上海市安康市场监管", "上海市", true},
        {"安康码", "", false},
        {"安康码头", "", true},
        {"上海市安康码头", "上海市", false}, /* still another region's */
        {"安康鱼", "", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t start = strlen(cases[i].before), len = strlen(cases[i].text);
        bool got = place_occurrence_counts(cases[i].text, len, start, start + strlen("安康"));
        if (got != cases[i].counts) {
            fail_msg("'%s': counts %d, want %d", cases[i].text, got, cases[i].counts);
        }
    }
}

/* The table entries are compared with normalised text byte for byte, so each must be its
 * own normalised form. */
static void test_tables_are_normalised(void **state)
{
    const char *const *tables[] = {place_admin_suffixes, place_name_suffixes, place_other_regions,
                                   place_common_words};
    const struct norm *nm = NULL;
    char err[256] = "";

    (void)state;
    assert_int_equal(norm_global(&nm, err, sizeof(err)), 0);
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        assert_non_null(tables[t][0]);
        for (size_t i = 0; tables[t][i]; i++) {
            char *n = NULL;
            assert_int_equal(norm_string(nm, tables[t][i], &n), 0);
            assert_string_equal(n, tables[t][i]);
            free(n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_gas_rule_and_places),
        cmocka_unit_test(test_place_occurrence_counts),
        cmocka_unit_test(test_tables_are_normalised),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
