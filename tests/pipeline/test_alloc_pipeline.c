/*
 * Allocation failures in the rule parsers (c-style.md §8): rule_expr_compile(), YAML rule
 * files (rule_set_add_yaml() + rule_set_compile()) and the Redis JSON form
 * (rule_set_decode()). Every allocation of ours and of jansson in turn fails (once, and from
 * then on); each call must return 0 or ERR_NOMEM (ERR_PARSE when jansson failed), leave its
 * output NULL on failure, and never crash or leak. Hyperscan's database, scratch and misc
 * allocations fail through hs_set_allocator(); its compiler's C++ allocations, utf8proc's
 * and OpenCC's happen inside their shared libraries without a hook, so those never fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "rule_expr.h"
#include "pipeline_fixture.h"
#include "rules.h"
#include "yq_err.h"
#include "yq_banned.h"

static const char file_a[] = "group: 征地拆迁\n"
                             "exclude: [招聘, 广告]\n"
                             "rules:\n"
                             "  - id: land-01\n"
                             "    name: 征地拆迁补偿纠纷\n"
                             "    department: 市自然资源局\n"
                             "    level: III\n"
                             "    scope: all\n"
                             "    sources: [rss, weibo-ankang]\n"
                             "    expr: \"(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)\"\n"
                             "  - id: land-02\n"
                             "    name: 强拆\n"
                             "    department: 市自然资源局\n"
                             "    expr: 'NEAR/5(强拆, \"村民\") | 强制拆除'\n";

static const char *const exprs[] = {
    "(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)",
    "NEAR/3(a, b) | c & !d",
    "\"quoted phrase & more\" & (x | !(y & z))",
    "NEAR/10(\"全角，逗号\"，乙) & 甲",
};

/* ---- rule_expr_compile ---- */

struct expr_arg {
    const char *text;
    struct rule_expr *e;
    size_t n_terms, n_near; /* of the clean run */
    bool have_want;
    char err[256];
};

static int expr_run(void *p)
{
    struct expr_arg *a = p;

    a->err[0] = '\0';
    a->e = NULL;
    return rule_expr_compile(a->text, &a->e, a->err, sizeof(a->err));
}

static void expr_check(void *p, int rc, bool injected)
{
    struct expr_arg *a = p;

    alloc_fail_assert_rc("rule_expr_compile", rc, injected, true, a->err);
    if (rc != 0) {
        assert_null(a->e);
        return;
    }
    assert_non_null(a->e);
    if (!a->have_want) {
        a->n_terms = rule_expr_n_terms(a->e);
        a->n_near = rule_expr_n_near(a->e);
        a->have_want = true;
    }
    assert_int_equal(rule_expr_n_terms(a->e), a->n_terms);
    assert_int_equal(rule_expr_n_near(a->e), a->n_near);
    assert_string_equal(rule_expr_text(a->e), a->text);
    rule_expr_free(a->e);
    a->e = NULL;
}

static void test_rule_expr_compile(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
        struct expr_arg a = {.text = exprs[i]};
        struct alloc_fail_case c = {"rule_expr_compile", expr_run, expr_check, &a, 0};
        alloc_fail_run(&c);
    }
}

/* ---- rule_set_new + rule_set_add_yaml + rule_set_compile ---- */

struct yaml_arg {
    struct rule_set *rs;
    char err[256];
};

static int yaml_run(void *p)
{
    struct yaml_arg *a = p;
    int rc;

    a->err[0] = '\0';
    a->rs = rule_set_new();
    if (!a->rs) {
        return ERR_NOMEM;
    }
    rc = rule_set_add_yaml(a->rs, "a.yaml", file_a, strlen(file_a), a->err, sizeof(a->err));
    if (rc == 0) {
        rc = rule_set_add_yaml(a->rs, "b.yaml", pipeline_env_rules_yaml,
                               strlen(pipeline_env_rules_yaml), a->err, sizeof(a->err));
    }
    if (rc == 0) {
        rc = rule_set_compile(a->rs, a->err, sizeof(a->err));
    }
    return rc;
}

static void yaml_check(void *p, int rc, bool injected)
{
    struct yaml_arg *a = p;

    alloc_fail_assert_rc("rule_set_add_yaml/compile", rc, injected, true, a->err);
    if (rc == 0) {
        assert_true(a->rs->compiled);
        assert_int_equal(a->rs->n_rules, 3);
        assert_int_equal(a->rs->n_groups, 2);
        assert_int_equal(a->rs->n_exclude, 3);
        assert_string_equal(a->rs->rules[1].group, "征地拆迁");
        assert_string_equal(a->rs->rules[2].group, "b");
        assert_int_equal(a->rs->rules[0].n_sources, 2);
        assert_non_null(a->rs->db);
    }
    rule_set_free(a->rs); /* accepts a half-built set */
    a->rs = NULL;
}

static void test_rule_set_yaml(void **state)
{
    struct yaml_arg a;
    struct alloc_fail_case c = {"rule_set_add_yaml", yaml_run, yaml_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 10);
}

/* ---- rule_set_decode ---- */

struct decode_arg {
    char *json;
    size_t len;
    struct rule_set *rs;
    char err[256];
};

static int decode_run(void *p)
{
    struct decode_arg *a = p;

    a->err[0] = '\0';
    a->rs = NULL;
    return rule_set_decode(a->json, a->len, &a->rs, a->err, sizeof(a->err));
}

static void decode_check(void *p, int rc, bool injected)
{
    struct decode_arg *a = p;

    alloc_fail_assert_rc("rule_set_decode", rc, injected, true, a->err);
    if (rc != 0) {
        assert_null(a->rs);
        return;
    }
    assert_non_null(a->rs);
    assert_true(a->rs->compiled);
    assert_int_equal(a->rs->version, 42);
    assert_string_equal(a->rs->pushed_by, "admin");
    assert_int_equal(a->rs->n_rules, 3);
    assert_int_equal(a->rs->n_exclude, 3);
    assert_string_equal(a->rs->rules[0].sources[1], "weibo-ankang");
    rule_set_free(a->rs);
    a->rs = NULL;
}

static void test_rule_set_decode(void **state)
{
    struct yaml_arg y;
    struct decode_arg a = {0};
    struct alloc_fail_case c = {"rule_set_decode", decode_run, decode_check, &a, 0};

    (void)state;
    assert_int_equal(yaml_run(&y), 0);
    y.rs->version = 42;
    y.rs->pushed_at = 1795939200;
    y.rs->pushed_by = strdup("admin");
    assert_non_null(y.rs->pushed_by);
    assert_int_equal(rule_set_encode(y.rs, &a.json, &a.len), 0);
    rule_set_free(y.rs);
    assert_true(alloc_fail_run(&c) > 10);
    free(a.json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_expr_compile),
        cmocka_unit_test(test_rule_set_yaml),
        cmocka_unit_test(test_rule_set_decode),
    };

    alloc_fail_install_jansson();
    /* Hyperscan's database, scratch and misc allocations (its compiler's C++ ones are not) */
    assert_int_equal(hs_set_allocator(alloc_fail_malloc, alloc_fail_free), HS_SUCCESS);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
