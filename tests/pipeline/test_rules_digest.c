/*
 * The digest of a rule set (rules_digest.h, issue #14): what it covers and what it ignores.
 * Decision tested here: the digest is of what the set matches, so the same rules split across
 * files in another order (same groups) or read back from Redis's JSON give the same digest;
 * any change of a rule, the exclude list or the places gives another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_fixture.h"
#include "rules.h"
#include "rules_digest.h"

static const char rule_a[] =
    "group: 征地拆迁\n"
    "exclude: [招聘]\n"
    "rules:\n"
    "  - {id: land-01, name: 征地补偿, department: 市自然资源局, level: III,\n"
    "     expr: \"(安康 | 汉滨) & (征地 | 拆迁)\"}\n";
static const char rule_b[] =
    "group: 征地拆迁\n"
    "exclude: [广告]\n"
    "rules:\n"
    "  - {id: land-02, name: 强拆, department: 汉滨区人民政府, expr: 强拆}\n";

static char dir[64];

static void digest_of(const char *sub, char out[RULES_DIGEST_HEX_LEN + 1])
{
    char path[160], err[256] = "";
    struct rule_set *rs = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    if (rule_set_load_dir(path, &rs, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(rule_set_digest(rs, out), 0);
    rule_set_free(rs);
}

static void test_digest_covers_meaning_not_layout(void **state)
{
    char d1[RULES_DIGEST_HEX_LEN + 1], d2[RULES_DIGEST_HEX_LEN + 1], d3[RULES_DIGEST_HEX_LEN + 1];
    char d4[RULES_DIGEST_HEX_LEN + 1], path[160], err[256] = "", *json = NULL;
    struct rule_set *rs = NULL, *back = NULL;
    (void)state;

    snprintf(dir, sizeof(dir), "/tmp/yq-digest-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (int i = 1; i <= 4; i++) {
        snprintf(path, sizeof(path), "%s/d%d", dir, i);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    file_fixture_write(dir, "d1/1.yaml", rule_a);
    file_fixture_write(dir, "d1/2.yaml", rule_b);
    file_fixture_write(dir, "d2/1.yaml", rule_b); /* the same content, files in the other order */
    file_fixture_write(dir, "d2/2.yaml", rule_a);
    file_fixture_write(dir, "d3/1.yaml", rule_a);
    file_fixture_write(
        dir, "d3/2.yaml",
        "group: 征地拆迁\nexclude: [广告]\nrules:\n"
        "  - {id: land-02, name: 强拆, department: 汉滨区人民政府, expr: 强拆 | 违建}\n");
    file_fixture_write(dir, "d4/1.yaml", rule_a);
    file_fixture_write(dir, "d4/2.yaml",
                       "group: 征地拆迁\nexclude: [广告, 转让]\nrules:\n"
                       "  - {id: land-02, name: 强拆, department: 汉滨区人民政府, expr: 强拆}\n");
    digest_of("d1", d1);
    digest_of("d2", d2);
    digest_of("d3", d3);
    digest_of("d4", d4);
    assert_int_equal(strlen(d1), RULES_DIGEST_HEX_LEN);
    assert_int_equal(strspn(d1, "0123456789abcdef"), RULES_DIGEST_HEX_LEN);
    assert_string_equal(d1, d2);
    assert_string_not_equal(d1, d3); /* an expression changed */
    assert_string_not_equal(d1, d4); /* an exclude term added */
    assert_string_not_equal(d3, d4);

    /* as stored in Redis and read back (version, pushed_at, pushed_by, source set) */
    snprintf(path, sizeof(path), "%s/d1", dir);
    assert_int_equal(rule_set_load_dir(path, &rs, err, sizeof(err)), 0);
    rs->version = 7;
    rs->pushed_at = 1700000000;
    rs->pushed_by = strdup("zhang");
    assert_int_equal(rule_set_encode(rs, &json, NULL), 0);
    assert_int_equal(rule_set_decode(json, strlen(json), &back, err, sizeof(err)), 0);
    assert_int_equal(rule_set_digest(back, d2), 0);
    assert_string_equal(d1, d2);
    free(json);
    rule_set_free(back);
    rule_set_free(rs);
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_covers_meaning_not_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
