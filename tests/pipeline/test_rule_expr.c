/* Rule expression parser and evaluator: valid expressions, exact error columns, truth tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rule_expr.h"
#include "yq_err.h"
#include "yq_banned.h"

struct valid_case {
    const char *text;
    const char *terms[8]; /* expected term table, NULL-terminated */
    const char *positive; /* per term: '1' positive, '0' only negated */
    const char *truth;    /* value for assignment k = 0 .. 2^n-1, term i = bit i of k */
};

static const struct valid_case valid_cases[] = {
    {"a", {"a"}, "1", "01"},
    {"a & b", {"a", "b"}, "11", "0001"},
    {"a&b", {"a", "b"}, "11", "0001"},
    {"a | b", {"a", "b"}, "11", "0111"},
    /* '&' binds tighter than '|': a | (b & c) */
    {"a | b & c", {"a", "b", "c"}, "111", "01010111"},
    {"(a | b) & c", {"a", "b", "c"}, "111", "00000111"},
    {"a & !b", {"a", "b"}, "10", "0100"},
    {"!!a", {"a"}, "1", "01"},
    {"a & (a | b)", {"a", "b"}, "11", "0101"},
    {"\"安康 市\" & 征地", {"安康 市", "征地"}, "11", "0001"},
    {"\"a&b|c\" | d", {"a&b|c", "d"}, "11", "0111"},
    {"安康\u3000&\u3000征地", {"安康", "征地"}, "11", "0001"},
    {"COVID-19 & 安康", {"COVID-19", "安康"}, "11", "0001"},
    {"a & !(b & !c)", {"a", "b", "c"}, "101", "01000101"},
    {"(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)",
     {"安康", "汉滨", "征地", "拆迁", "招聘", "广告"},
     "111100",
     NULL},
};

static void test_valid_expressions(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(valid_cases) / sizeof(valid_cases[0]); c++) {
        const struct valid_case *vc = &valid_cases[c];
        struct rule_expr *e = NULL;
        char err[256] = "";
        size_t n = 0;

        while (n < 8 && vc->terms[n]) {
            n++;
        }
        int rc = rule_expr_compile(vc->text, &e, err, sizeof(err));
        if (rc != 0) {
            fail_msg("'%s': %s", vc->text, err);
        }
        assert_string_equal(rule_expr_text(e), vc->text);
        assert_int_equal(rule_expr_n_terms(e), n);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(rule_expr_term(e, i), vc->terms[i]);
            assert_int_equal(rule_expr_term_positive(e, i), vc->positive[i] == '1');
        }
        if (vc->truth) {
            assert_int_equal(strlen(vc->truth), (size_t)1 << n);
            for (size_t k = 0; k < ((size_t)1 << n); k++) {
                bool occ[8];
                for (size_t i = 0; i < n; i++) {
                    occ[i] = (k >> i) & 1u;
                }
                if (rule_expr_eval(e, occ) != (vc->truth[k] == '1')) {
                    fail_msg("'%s': assignment %zu gave %d", vc->text, k, !rule_expr_eval(e, occ) ? 0 : 1);
                }
            }
        }
        rule_expr_free(e);
    }
}

/* The design §4 example: fires on place + topic, never with an exclusion term. */
static void test_design_example_truth(void **state)
{
    struct rule_expr *e = NULL;
    char err[256];
    /* 安康 汉滨 征地 拆迁 招聘 广告 */
    bool place_topic[6] = {true, false, false, true, false, false};
    bool place_only[6] = {false, true, false, false, false, false};
    bool with_ad[6] = {true, false, true, false, false, true};
    bool both_places[6] = {true, true, true, true, false, false};

    (void)state;
    assert_int_equal(rule_expr_compile("(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)", &e, err,
                                       sizeof(err)),
                     0);
    assert_true(rule_expr_eval(e, place_topic));
    assert_false(rule_expr_eval(e, place_only));
    assert_false(rule_expr_eval(e, with_ad));
    assert_true(rule_expr_eval(e, both_places));
    rule_expr_free(e);
}

struct error_case {
    const char *text;
    int err;
    const char *message;
};

static const struct error_case error_cases[] = {
    {"", ERR_PARSE, "column 1: empty expression"},
    {"   ", ERR_PARSE, "column 1: empty expression"},
    {"a &", ERR_PARSE, "column 4: unexpected end of expression, expected a term"},
    {"& a", ERR_PARSE, "column 1: unexpected '&', expected a term"},
    {"a | | b", ERR_PARSE, "column 5: unexpected '|', expected a term"},
    {"(a | b", ERR_PARSE, "column 7: expected ')' to close '(' at column 1"},
    {"a & (b | (c)", ERR_PARSE, "column 13: expected ')' to close '(' at column 5"},
    {"a b", ERR_PARSE, "column 3: expected '&' or '|' before this"},
    {"a)", ERR_PARSE, "column 2: unmatched ')'"},
    {"()", ERR_PARSE, "column 2: unexpected ')', expected a term"},
    /* columns count characters, not bytes */
    {"安康 & (征地 | ", ERR_PARSE, "column 12: unexpected end of expression, expected a term"},
    {"安康 & \"征地", ERR_PARSE, "column 6: unterminated quoted phrase"},
    {"安康 征地", ERR_PARSE, "column 4: expected '&' or '|' before this"},
    {"a & \"\"", ERR_PARSE, "column 5: empty quoted phrase"},
    {"安康 & \xff", ERR_PARSE, "column 6: invalid UTF-8"},
    {"a & !", ERR_PARSE, "column 6: unexpected end of expression, expected a term"},
    /* never matches by itself */
    {"!a", ERR_INVALID, "column 1: expression is true when no term occurs; it needs a positive term"},
    {"!(a | b)", ERR_INVALID,
     "column 1: expression is true when no term occurs; it needs a positive term"},
    {"a | !b", ERR_INVALID,
     "column 1: expression is true when no term occurs; it needs a positive term"},
    {"!招聘 & !广告", ERR_INVALID,
     "column 1: expression is true when no term occurs; it needs a positive term"},
    {"a & !a", ERR_INVALID, "column 1: expression can never be true"},
    {"(a & b) & !(a | c)", ERR_INVALID, "column 1: expression can never be true"},
    /* NEAR/n(a, b) */
    {"NEAR/(a, b)", ERR_PARSE, "column 1: NEAR/ needs a distance, e.g. NEAR/5(a, b)"},
    {"NEAR/", ERR_PARSE, "column 1: NEAR/ needs a distance, e.g. NEAR/5(a, b)"},
    {"NEAR/x(a, b)", ERR_PARSE, "column 1: NEAR/ needs a distance in characters, e.g. NEAR/5(a, b)"},
    {"NEAR/5 a", ERR_PARSE, "column 8: expected '(' after NEAR/5"},
    {"NEAR/5(a b)", ERR_PARSE, "column 10: expected ',' between the two terms of NEAR"},
    {"NEAR/5(a, b", ERR_PARSE, "column 12: expected ')' to close NEAR at column 1"},
    {"NEAR/5(a, (b))", ERR_PARSE, "column 11: NEAR takes two terms: expected a term"},
    {"NEAR/5(, b)", ERR_PARSE, "column 8: NEAR takes two terms: expected a term"},
    {"NEAR/99999(a, b)", ERR_TOO_BIG, "column 1: NEAR distance above 10000"},
    {"安康 & NEAR/2(a b)", ERR_PARSE, "column 15: expected ',' between the two terms of NEAR"},
    {"a, b", ERR_PARSE, "column 4: expected '&' or '|' before this"},
    {"!NEAR/3(a, b)", ERR_INVALID,
     "column 1: expression is true when no term occurs; it needs a positive term"},
    {"NEAR/3(a, b) & !a", ERR_INVALID, "column 1: expression can never be true"},
};

static void test_errors_with_exact_column(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(error_cases) / sizeof(error_cases[0]); c++) {
        struct rule_expr *e = (struct rule_expr *)1;
        char err[256] = "";
        int rc = rule_expr_compile(error_cases[c].text, &e, err, sizeof(err));
        if (rc != error_cases[c].err || strcmp(err, error_cases[c].message) != 0) {
            fail_msg("'%s': rc=%d err='%s', want rc=%d '%s'", error_cases[c].text, rc, err,
                     error_cases[c].err, error_cases[c].message);
        }
        assert_null(e);
    }
}

static void test_limits(void **state)
{
    char text[RULE_EXPR_MAX_BYTES + 16], err[256];
    struct rule_expr *e = NULL;
    size_t n = 0;

    (void)state;
    /* nesting beyond the limit */
    for (int i = 0; i < RULE_EXPR_MAX_DEPTH + 2; i++) {
        text[n++] = '(';
    }
    text[n++] = 'a';
    for (int i = 0; i < RULE_EXPR_MAX_DEPTH + 2; i++) {
        text[n++] = ')';
    }
    text[n] = '\0';
    assert_int_equal(rule_expr_compile(text, &e, err, sizeof(err)), ERR_TOO_BIG);
    assert_null(e);

    /* nesting within the limit evaluates */
    n = 0;
    for (int i = 0; i < 40; i++) {
        text[n++] = '(';
        text[n++] = 'x';
        text[n++] = '&';
    }
    text[n++] = 'a';
    for (int i = 0; i < 40; i++) {
        text[n++] = ')';
    }
    text[n] = '\0';
    assert_int_equal(rule_expr_compile(text, &e, err, sizeof(err)), 0);
    bool occ[2] = {true, true};
    assert_true(rule_expr_eval(e, occ));
    occ[1] = false;
    assert_false(rule_expr_eval(e, occ));
    rule_expr_free(e);

    /* too long */
    memset(text, 'a', RULE_EXPR_MAX_BYTES + 1);
    text[RULE_EXPR_MAX_BYTES + 1] = '\0';
    assert_int_equal(rule_expr_compile(text, &e, err, sizeof(err)), ERR_TOO_BIG);

    /* more distinct terms than allowed */
    n = 0;
    for (int i = 0; i <= RULE_EXPR_MAX_TERMS && n + 8 < sizeof(text); i++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%st%d", i ? "|" : "", i);
    }
    assert_int_equal(rule_expr_compile(text, &e, err, sizeof(err)), ERR_TOO_BIG);
    assert_non_null(strstr(err, "distinct terms"));
}

/* More terms than the exhaustive satisfiability check covers (the land rule of config/rules
 * has 20): compiling must not read past the check's term array, and evaluation still works. */
static void test_many_terms_compile_and_evaluate(void **state)
{
    static const char *const places[] = {"安康", "汉滨", "汉阴", "石泉", "宁陕", "紫阳", "岚皋",
                                         "平利", "镇坪", "旬阳", "白河", "高新区", "恒口", "瀛湖"};
    char text[1024] = "(";
    char err[256] = "";
    struct rule_expr *e = NULL;
    bool occ[RULE_EXPR_MAX_TERMS] = {false};

    (void)state;
    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof(text) - n, "%s%s", i ? " | " : "", places[i]);
    }
    size_t n = strlen(text);
    snprintf(text + n, sizeof(text) - n, ") & (征地 | 征收 | 拆迁) & (补偿 | 安置 | 强拆)");
    assert_int_equal(rule_expr_compile(text, &e, err, sizeof(err)), 0);
    assert_int_equal(rule_expr_n_terms(e), 20);
    assert_false(rule_expr_eval(e, occ));
    occ[13] = true; /* 瀛湖 */
    occ[16] = true; /* 拆迁 */
    assert_false(rule_expr_eval(e, occ));
    occ[19] = true; /* 强拆 */
    assert_true(rule_expr_eval(e, occ));
    rule_expr_free(e);
}

/* NEAR atoms: terms, distances, positivity, evaluation through the extra flags. */
static void test_near_atoms(void **state)
{
    static const struct {
        const char *text;
        const char *terms[4];
        size_t n_near;
        size_t a, b, dist; /* of atom 0 */
        const char *positive;
    } cases[] = {
        {"NEAR/5(燃气, 爆炸)", {"燃气", "爆炸"}, 1, 0, 1, 5, "11"},
        {"NEAR/0(\"燃气 泄漏\"，爆炸)", {"燃气 泄漏", "爆炸"}, 1, 0, 1, 0, "11"},
        {"安康 & NEAR/10(征地,补偿)", {"安康", "征地", "补偿"}, 1, 1, 2, 10, "111"},
        {"爆炸 & !NEAR/2(演练, 爆炸)", {"爆炸", "演练"}, 1, 1, 0, 2, "10"},
        {"NEAR/3(a, a)", {"a"}, 1, 0, 0, 3, "1"},
        {"\"NEAR/3\" & x", {"NEAR/3", "x"}, 0, 0, 0, 0, "11"},
        {"NEAR/1(a,b) | NEAR/2(c,d)", {"a", "b", "c", "d"}, 2, 0, 1, 1, "1111"},
    };

    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct rule_expr *e = NULL;
        char err[256] = "";
        size_t n = 0, a, b, d;

        if (rule_expr_compile(cases[c].text, &e, err, sizeof(err)) != 0) {
            fail_msg("'%s': %s", cases[c].text, err);
        }
        while (n < 4 && cases[c].terms[n]) {
            assert_string_equal(rule_expr_term(e, n), cases[c].terms[n]);
            assert_int_equal(rule_expr_term_positive(e, n), cases[c].positive[n] == '1');
            n++;
        }
        assert_int_equal(rule_expr_n_terms(e), n);
        assert_int_equal(rule_expr_n_near(e), cases[c].n_near);
        if (cases[c].n_near) {
            rule_expr_near(e, 0, &a, &b, &d);
            assert_int_equal(a, cases[c].a);
            assert_int_equal(b, cases[c].b);
            assert_int_equal(d, cases[c].dist);
        }
        rule_expr_free(e);
    }
}

static void test_near_evaluation(void **state)
{
    struct rule_expr *e = NULL;
    char err[256] = "";
    /* terms 安康, 征地, 补偿, then NEAR atom 0 */
    bool occ[4] = {true, true, true, false};

    (void)state;
    assert_int_equal(rule_expr_compile("安康 & NEAR/10(征地, 补偿)", &e, err, sizeof(err)), 0);
    assert_false(rule_expr_eval(e, occ)); /* both terms present but not near */
    occ[3] = true;
    assert_true(rule_expr_eval(e, occ));
    occ[0] = false;
    assert_false(rule_expr_eval(e, occ));
    rule_expr_free(e);
}

/* ------------------------------------------------------------ narrowing formula */

/* Render n with the expression's terms: "a", "(a & b)", "(a | b)", "TRUE". */
static void narrow_str(const struct rule_expr *e, const struct rule_narrow *n, char *out,
                       size_t len)
{
    size_t used = strlen(out);
    switch (n->kind) {
    case RULE_NARROW_TRUE:
        snprintf(out + used, len - used, "TRUE");
        return;
    case RULE_NARROW_TERM:
        snprintf(out + used, len - used, "%s", rule_expr_term(e, n->term));
        return;
    case RULE_NARROW_AND:
    case RULE_NARROW_OR:
        snprintf(out + used, len - used, "(");
        for (size_t i = 0; i < n->n_kids; i++) {
            assert_true(n->kids[i]->kind != RULE_NARROW_TRUE);
            assert_true(n->kids[i]->kind != n->kind); /* flattened */
            if (i) {
                used = strlen(out);
                snprintf(out + used, len - used, n->kind == RULE_NARROW_AND ? " & " : " | ");
            }
            narrow_str(e, n->kids[i], out, len);
        }
        used = strlen(out);
        snprintf(out + used, len - used, ")");
        assert_true(n->n_kids >= 2);
        return;
    }
}

static bool narrow_eval(const struct rule_narrow *n, const bool *occ)
{
    bool any = false, all = true;
    switch (n->kind) {
    case RULE_NARROW_TRUE:
        return true;
    case RULE_NARROW_TERM:
        return occ[n->term];
    default:
        for (size_t i = 0; i < n->n_kids; i++) {
            bool v = narrow_eval(n->kids[i], occ);
            any = any || v;
            all = all && v;
        }
        return n->kind == RULE_NARROW_AND ? all : any;
    }
}

static void test_narrow_shapes(void **state)
{
    static const struct {
        const char *expr, *want;
    } cases[] = {
        {"a", "a"},
        {"征地 & 补偿", "(征地 & 补偿)"},
        {"a & b & c", "(a & b & c)"},
        {"a & (b & c)", "(a & b & c)"},
        {"a | b & c", "(a | (b & c))"},
        {"(a | b) & c", "((a | b) & c)"},
        {"a & !b", "a"},
        {"!!a", "a"},
        {"a & !(b | !c)", "(a & c)"}, /* !(b | !c) = !b & c */
        {"!(!a | !b)", "(a & b)"},    /* De Morgan */
        {"a | !b & c", "(a | c)"},
        {"a & (b | !c)", "a"}, /* b | TRUE = TRUE */
        {"NEAR/5(征地, 补偿)", "(征地 & 补偿)"},
        {"安康 & NEAR/10(征地, 补偿)", "(安康 & 征地 & 补偿)"},
        {"a & !NEAR/3(b, c)", "a"},
        {"NEAR/2(a, b) | c", "((a & b) | c)"},
        {"(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)", "((安康 | 汉滨) & (征地 | 拆迁))"},
        /* issue #12: one node's kids grow past the first capacity (16) */
        {"a | b | c | d | e | f | g | h | i | j | k | l | m | n | o | p | q | r | s | t",
         "(a | b | c | d | e | f | g | h | i | j | k | l | m | n | o | p | q | r | s | t)"},
    };
    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct rule_expr *e = NULL;
        struct rule_narrow *n = NULL;
        char err[256] = "", got[512] = "";

        if (rule_expr_compile(cases[c].expr, &e, err, sizeof(err)) != 0) {
            fail_msg("'%s': %s", cases[c].expr, err);
        }
        assert_int_equal(rule_expr_narrow(e, &n), 0);
        narrow_str(e, n, got, sizeof(got));
        if (strcmp(got, cases[c].want) != 0) {
            fail_msg("'%s': narrowed to '%s', want '%s'", cases[c].expr, got, cases[c].want);
        }
        rule_narrow_free(n);
        rule_expr_free(e);
    }
}

/* Whenever the expression holds, the narrowing holds (it is a necessary condition). */
static void test_narrow_is_necessary(void **state)
{
    static const char *exprs[] = {
        "a & !(b & !c)",
        "a | b & !c",
        "!(a & !b) & c",
        "NEAR/1(a, b) & !c | d & !(a | !c)",
        "(a | !b) & (c | d) & !(!a & d)",
        "!(!(a | b) & !(c & !d))",
    };
    (void)state;
    for (size_t c = 0; c < sizeof(exprs) / sizeof(exprs[0]); c++) {
        struct rule_expr *e = NULL;
        struct rule_narrow *n = NULL;
        char err[256] = "";
        size_t nt, nn;

        assert_int_equal(rule_expr_compile(exprs[c], &e, err, sizeof(err)), 0);
        assert_int_equal(rule_expr_narrow(e, &n), 0);
        nt = rule_expr_n_terms(e);
        nn = rule_expr_n_near(e);
        for (uint32_t bits = 0; bits < (1u << (nt + nn)); bits++) {
            bool occ[16] = {false};
            bool possible = true;
            for (size_t i = 0; i < nt + nn; i++) {
                occ[i] = (bits >> i) & 1u;
            }
            for (size_t k = 0; k < nn; k++) {
                size_t a, b, d;
                rule_expr_near(e, k, &a, &b, &d);
                possible = possible && (!occ[nt + k] || (occ[a] && occ[b]));
            }
            if (possible && rule_expr_eval(e, occ) && !narrow_eval(n, occ)) {
                fail_msg("'%s': true for assignment %u but the narrowing is false", exprs[c], bits);
            }
        }
        rule_narrow_free(n);
        rule_expr_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_expressions),
        cmocka_unit_test(test_design_example_truth),
        cmocka_unit_test(test_errors_with_exact_column),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_many_terms_compile_and_evaluate),
        cmocka_unit_test(test_near_atoms),
        cmocka_unit_test(test_near_evaluation),
        cmocka_unit_test(test_narrow_shapes),
        cmocka_unit_test(test_narrow_is_necessary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
