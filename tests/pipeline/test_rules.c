/* Rule files: loading a directory, error messages with file/rule/line, JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "file_fixture.h"
#include "pipeline_fixture.h"
#include "rules.h"
#include "yq_err.h"
#include "yq_banned.h"

static const char file_a[] =
    "group: 征地拆迁\n"                                   /* 1 */
    "exclude: [招聘, 广告]\n"                             /* 2 */
    "rules:\n"                                            /* 3 */
    "  - id: land-01\n"                                   /* 4 */
    "    name: 征地拆迁补偿纠纷\n"                        /* 5 */
    "    department: 市自然资源局\n"                      /* 6 */
    "    level: III\n"                                    /* 7 */
    "    scope: all\n"                                    /* 8 */
    "    sources: [rss, weibo-ankang]\n"                  /* 9 */
    "    expr: \"(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)\"\n" /* 10 */
    "  - id: land-02\n"                                   /* 11 */
    "    name: 强拆\n"                                    /* 12 */
    "    department: 汉滨区人民政府\n"                    /* 13 */
    "    expr: 强拆\n";                                   /* 14 */

struct tmpdir {
    char path[64];
};

static void make_dir(char *path, size_t len)
{
    snprintf(path, len, "/tmp/yq-test-rules-XXXXXX");
    assert_non_null(mkdtemp(path));
}

static void remove_dir(const char *dir)
{
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

/* Load one file's text as a set; returns the error code, message in err. */
static int load_text(const char *name, const char *text, struct rule_set **out, char *err,
                     size_t errlen)
{
    struct rule_set *rs = rule_set_new();
    int rc;

    assert_non_null(rs);
    rc = rule_set_add_yaml(rs, name, text, strlen(text), err, errlen);
    if (rc == 0) {
        rc = rule_set_compile(rs, err, errlen);
    }
    if (rc) {
        rule_set_free(rs);
        rs = NULL;
    }
    *out = rs;
    return rc;
}

static void test_load_dir_sorted_and_merged(void **state)
{
    char dir[64], err[512] = "";
    struct rule_set *rs = NULL;

    (void)state;
    make_dir(dir, sizeof(dir));
    /* b sorts after a whatever the creation order; other files are ignored */
    pipeline_write_file(dir, "b-env.yaml", pipeline_env_rules_yaml);
    pipeline_write_file(dir, "a-land.yaml", file_a);
    pipeline_write_file(dir, "notes.txt", "not: [a rule file\n");
    pipeline_write_file(dir, ".hidden.yaml", "garbage: [\n");
    int rc = rule_set_load_dir(dir, &rs, err, sizeof(err));
    if (rc) {
        fail_msg("%s", err);
    }
    assert_int_equal(rs->n_rules, 3);
    assert_string_equal(rs->rules[0].id, "land-01");
    assert_string_equal(rs->rules[1].id, "land-02");
    assert_string_equal(rs->rules[2].id, "env-01");

    const struct rule *r = &rs->rules[0];
    assert_string_equal(r->name, "征地拆迁补偿纠纷");
    assert_string_equal(r->group, "征地拆迁");
    assert_string_equal(r->department, "市自然资源局");
    assert_int_equal(r->level, YQ_LEVEL_III);
    assert_int_equal(r->scope, RULE_SCOPE_ALL);
    assert_int_equal(r->n_sources, 2);
    assert_string_equal(r->sources[0], "rss");
    assert_string_equal(r->sources[1], "weibo-ankang");
    assert_string_equal(rule_expr_text(r->expr), "(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)");
    assert_non_null(strstr(r->origin, "a-land.yaml:4"));

    /* defaults: level IV, scope all, every source; group from the file name */
    assert_int_equal(rs->rules[1].level, YQ_LEVEL_IV);
    assert_int_equal(rs->rules[1].scope, RULE_SCOPE_ALL);
    assert_int_equal(rs->rules[1].n_sources, 0);
    assert_string_equal(rs->rules[2].group, "b-env");
    assert_int_equal(rs->rules[2].scope, RULE_SCOPE_TITLE);
    assert_int_equal(rs->rules[2].level, YQ_LEVEL_II);

    assert_int_equal(rs->n_groups, 2);
    assert_string_equal(rs->groups[0], "征地拆迁");
    assert_string_equal(rs->groups[1], "b-env");
    /* exclude terms merged across files without duplicates */
    assert_int_equal(rs->n_exclude, 3);
    assert_string_equal(rs->exclude[0], "招聘");
    assert_string_equal(rs->exclude[1], "广告");
    assert_string_equal(rs->exclude[2], "彩票");
    assert_string_equal(rs->source, dir);
    assert_true(rs->compiled);
    /* 6 + 1 + 3 rule terms (招聘/广告 shared with the exclude list) + 彩票 */
    assert_int_equal(rs->n_terms, 11);
    assert_true(rule_applies_to_source(r, "rss", "x"));
    assert_true(rule_applies_to_source(r, "weibo", "weibo-ankang"));
    assert_false(rule_applies_to_source(r, "weibo", "weibo-other"));
    rule_set_free(rs);
    remove_dir(dir);
}

struct error_case {
    const char *name;
    const char *text;
    int err;
    const char *want[4]; /* substrings the message must contain */
};

static const struct error_case error_cases[] = {
    {"unknown_rule_key",
     "rules:\n"
     "  - id: land-01\n"
     "    name: n\n"
     "    department: d\n"
     "    colour: red\n"
     "    expr: a\n",
     ERR_INVALID,
     {"bad.yaml:5:", "unknown key 'colour'", "rule 'land-01'"}},
    {"unknown_top_key",
     "group: g\nrule:\n  - id: x\n",
     ERR_INVALID,
     {"bad.yaml:2:", "unknown key 'rule'"}},
    {"bad_level",
     "rules:\n"
     "  - {id: r1, name: n, department: d, expr: a}\n"
     "  - id: land-09\n"
     "    name: n\n"
     "    department: d\n"
     "    level: V\n"
     "    expr: a\n",
     ERR_INVALID,
     {"bad.yaml:3:", "rule 'land-09'", "bad level 'V'"}},
    {"bad_scope",
     "rules:\n  - id: s1\n    name: n\n    department: d\n    scope: body\n    expr: a\n",
     ERR_INVALID,
     {"bad.yaml:2:", "rule 's1'", "bad scope 'body'"}},
    {"missing_department",
     "rules:\n  - id: m1\n    name: n\n    expr: a\n",
     ERR_INVALID,
     {"bad.yaml:2:", "rule 'm1'", "missing required key 'department'"}},
    {"missing_id",
     "rules:\n  - name: n\n    department: d\n    expr: a\n",
     ERR_INVALID,
     {"bad.yaml:2:", "rule without 'id'"}},
    {"expr_syntax",
     "rules:\n"
     "  - id: e1\n"
     "    name: n\n"
     "    department: d\n"
     "    expr: \"安康 & (征地 | \"\n",
     ERR_PARSE,
     {"bad.yaml:5:23: rule 'e1': expr column 12: unexpected end of expression, expected a term"}},
    {"expr_never_matches",
     "rules:\n  - id: e2\n    name: n\n    department: d\n    expr: \"!招聘\"\n",
     ERR_INVALID,
     {"bad.yaml:5:12: rule 'e2': expr column 1:", "positive term"}},
    {"sources_not_list",
     "rules:\n  - id: s2\n    name: n\n    department: d\n    sources: {a: b}\n    expr: a\n",
     ERR_INVALID,
     {"bad.yaml:5:", "rule 's2'", "'sources' must be a list"}},
    {"duplicate_in_file",
     "rules:\n"
     "  - {id: d1, name: n, department: d, expr: a}\n"
     "  - {id: d1, name: n, department: d, expr: b}\n",
     ERR_INVALID,
     {"bad.yaml:3:", "rule 'd1'", "duplicate id", "bad.yaml:2"}},
    {"yaml_syntax", "rules: [\n", ERR_PARSE, {"bad.yaml:"}},
    {"rules_not_list", "rules: {id: x}\n", ERR_INVALID, {"bad.yaml:1:", "'rules' must be a list"}},
    {"exclude_empty_term", "exclude: [\"\"]\n", ERR_INVALID, {"bad.yaml:1:", "empty exclude"}},
    /* a term of white space only would match between any two words of every item */
    {"whitespace_phrase",
     "rules:\n  - id: w1\n    name: n\n    department: d\n    expr: '燃气 & \" \"'\n",
     ERR_INVALID,
     {"bad.yaml:5: rule 'w1': term 2 of the expression is only white space once normalised"}},
    {"ideographic_space_phrase",
     "rules:\n  - id: w2\n    name: n\n    department: d\n    expr: '\"\u3000\t\" | 燃气'\n",
     ERR_INVALID,
     {"bad.yaml:5: rule 'w2': term 1 of the expression is only white space once normalised"}},
    /* terms written differently but one once normalised are one term to the matcher */
    {"never_true_once_normalised",
     "rules:\n  - id: n1\n    name: n\n    department: d\n    expr: 'wifi & 断网 & !ＷＩＦＩ'\n",
     ERR_INVALID,
     {"bad.yaml:5: rule 'n1': expr can never be true: terms 1 'wifi' and 3 'ＷＩＦＩ' are the same "
      "once normalised"}},
    {"never_true_traditional",
     "rules:\n  - id: n2\n    name: n\n    department: d\n    expr: 'NEAR/3(征收, 补偿) & !徵收'\n",
     ERR_INVALID,
     {"bad.yaml:5: rule 'n2': expr can never be true: terms 1 '征收' and 3 '徵收'"}},
    /* an exclude term of spaces would drop every item with a space: not silently */
    {"exclude_whitespace_term",
     "exclude: [\" \"]\n",
     ERR_INVALID,
     {"bad.yaml:1:", "exclude term ' ' is only white space once normalised"}},
    {"place_whitespace_term",
     "places: [安康, \"\u3000\"]\n",
     ERR_INVALID,
     {"bad.yaml:1:", "place '\u3000' is only white space once normalised"}},
};

static void test_file_errors(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(error_cases) / sizeof(error_cases[0]); c++) {
        const struct error_case *ec = &error_cases[c];
        struct rule_set *rs = NULL;
        char err[512] = "";
        int rc = load_text("rules/bad.yaml", ec->text, &rs, err, sizeof(err));

        if (rc != ec->err) {
            fail_msg("%s: rc=%d (%s), want %d", ec->name, rc, err, ec->err);
        }
        assert_null(rs);
        for (int i = 0; i < 4 && ec->want[i]; i++) {
            if (!strstr(err, ec->want[i])) {
                fail_msg("%s: message '%s' lacks '%s'", ec->name, err, ec->want[i]);
            }
        }
    }
}

/*
 * A term Vectorscan cannot take (longer than TERM_FIND_MAX_TERM_BYTES once normalised) is
 * refused where it is written, naming the rule or the list, not later as a compile failure of
 * the whole set that names only a term number. A rule's expression is at most 4096 bytes, but
 * NFKC lengthens U+FDFA (3 bytes) to 33, so 1000 of them (3000 bytes) normalise to 33,000.
 */
static void test_term_over_vectorscan_limit_names_its_rule(void **state)
{
    static const char fdfa[] = "\uFDFA";
    const size_t n_fdfa = 1000, n_zheng = TERM_FIND_MAX_TERM_BYTES / 3 + 1;
    char *text = malloc(n_zheng * 3 + 256), err[512] = "";
    struct rule_set *rs = NULL;
    size_t o;

    (void)state;
    assert_non_null(text);
    o = (size_t)snprintf(text, 256,
                         "rules:\n  - id: long-1\n    name: n\n    department: d\n"
                         "    expr: 燃气 | ");
    for (size_t i = 0; i < n_fdfa; i++) {
        memcpy(text + o, fdfa, 3);
        o += 3;
    }
    text[o++] = '\n';
    text[o] = '\0';
    assert_true(o - 60 < RULE_EXPR_MAX_BYTES);
    assert_int_equal(load_text("rules/long.yaml", text, &rs, err, sizeof(err)), ERR_INVALID);
    assert_null(rs);
    assert_string_equal(err, "rules/long.yaml:5: rule 'long-1': term 2 of the expression is "
                             "longer than 16000 bytes once normalised (Vectorscan's limit)");

    /* an exclude term has no expression limit: 5334 × 征 = 16002 bytes */
    o = (size_t)snprintf(text, 256, "exclude: [");
    for (size_t i = 0; i < n_zheng; i++) {
        memcpy(text + o, "征", 3);
        o += 3;
    }
    o += (size_t)snprintf(text + o, 256,
                          "]\nrules:\n  - {id: r1, name: n, department: d, expr: a}\n");
    assert_int_equal(load_text("rules/long.yaml", text, &rs, err, sizeof(err)), ERR_INVALID);
    assert_null(rs);
    assert_non_null(strstr(err, "rules/long.yaml:1:"));
    assert_non_null(strstr(err, "is longer than 16000 bytes once normalised (Vectorscan's limit)"));

    /* one byte under the limit is taken */
    o = (size_t)snprintf(text, 256, "exclude: [");
    for (size_t i = 0; i < TERM_FIND_MAX_TERM_BYTES / 3; i++) {
        memcpy(text + o, "征", 3);
        o += 3;
    }
    o += (size_t)snprintf(text + o, 256,
                          "]\nrules:\n  - {id: r1, name: n, department: d, expr: a}\n");
    if (load_text("rules/long.yaml", text, &rs, err, sizeof(err)) != 0) {
        fail_msg("15999 bytes: %s", err);
    }
    rule_set_free(rs);
    free(text);
}

static void test_duplicate_id_across_files(void **state)
{
    char dir[64], err[512] = "";
    struct rule_set *rs = NULL;

    (void)state;
    make_dir(dir, sizeof(dir));
    pipeline_write_file(dir, "a.yaml", file_a);
    pipeline_write_file(dir, "b.yaml",
                        "rules:\n"
                        "  - id: other\n"
                        "    name: n\n"
                        "    department: d\n"
                        "    expr: x\n"
                        "  - id: land-02\n"
                        "    name: n\n"
                        "    department: d\n"
                        "    expr: y\n");
    assert_int_equal(rule_set_load_dir(dir, &rs, err, sizeof(err)), ERR_INVALID);
    assert_null(rs);
    assert_non_null(strstr(err, "b.yaml:6: rule 'land-02': duplicate id (first defined at "));
    assert_non_null(strstr(err, "a.yaml:11)"));
    remove_dir(dir);
}

static void test_empty_or_missing_dir(void **state)
{
    char dir[64], err[512] = "";
    struct rule_set *rs = NULL;

    (void)state;
    make_dir(dir, sizeof(dir));
    pipeline_write_file(dir, "only-exclude.yaml", "exclude: [广告]\n");
    assert_int_equal(rule_set_load_dir(dir, &rs, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "no rules"));
    remove_dir(dir);
    assert_int_equal(rule_set_load_dir(dir, &rs, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(rs);
}

/*
 * `yuqingctl rules push` of a directory with no file at all: refused with "no rules" like a
 * directory of exclusions only, not ended by sorting a NULL list (UBSan abort, exit 1 without
 * a word).
 */
static void test_ops_empty_dir_says_no_rules(void **state)
{
    char dir[64], err[512] = "";
    struct rule_set *rs = NULL;

    (void)state;
    make_dir(dir, sizeof(dir));
    assert_int_equal(rule_set_load_dir(dir, &rs, err, sizeof(err)), ERR_INVALID);
    assert_null(rs);
    assert_non_null(strstr(err, "no rules in any *.yaml file"));
    remove_dir(dir);
}

/*
 * A rule set of more distinct terms than RULE_SET_MAX_TERMS is refused before the term
 * database is built, naming the count (an operator's 10 MB set of 740,000 terms took 4.3 GB
 * and 133 s to compile in yuqingctl rules push, and the same again in every matcher).
 */
static void test_ops_too_many_terms_refused_before_compile(void **state)
{
    const size_t per_rule = RULE_EXPR_MAX_TERMS, n_rules = RULE_SET_MAX_TERMS / per_rule + 1;
    size_t cap = n_rules * (96 + per_rule * 12) + 64, off = 0;
    char *yaml = malloc(cap), err[512] = "";
    struct rule_set *rs = NULL;

    (void)state;
    assert_non_null(yaml);
    off += (size_t)snprintf(yaml + off, cap - off, "rules:\n");
    for (size_t i = 0; i < n_rules; i++) {
        off += (size_t)snprintf(yaml + off, cap - off,
                                "  - {id: r%zu, name: n, department: d, expr: \"", i);
        for (size_t k = 0; k < per_rule; k++) {
            off +=
                (size_t)snprintf(yaml + off, cap - off, "%sw%zu", k ? " | " : "", i * per_rule + k);
        }
        off += (size_t)snprintf(yaml + off, cap - off, "\"}\n");
        assert_true(off < cap);
    }
    assert_int_equal(load_text("many.yaml", yaml, &rs, err, sizeof(err)), ERR_TOO_BIG);
    assert_null(rs);
    assert_non_null(strstr(err, "distinct terms, more than 200000"));
    free(yaml);
}

static void test_json_round_trip(void **state)
{
    struct rule_set *rs = NULL, *back = NULL;
    char err[512] = "", *json = NULL, *json2 = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(load_text("a.yaml", file_a, &rs, err, sizeof(err)), 0);
    assert_int_equal(rule_set_add_yaml(rs, "b.yaml", pipeline_env_rules_yaml,
                                       strlen(pipeline_env_rules_yaml), err, sizeof(err)),
                     0);
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);
    rs->version = 7;
    rs->pushed_at = 1796000000; /* 2026-11-29T... */
    rs->pushed_by = strdup("zhang");
    assert_int_equal(rule_set_encode(rs, &json, &len), 0);
    assert_int_equal(strlen(json), len);
    assert_int_equal(strncmp(json, "{\"version\":7,\"pushed_at\":\"2026-", 31), 0);
    assert_non_null(strstr(json, "\"pushed_by\":\"zhang\""));
    assert_non_null(strstr(json, "\"exclude\":[\"招聘\",\"广告\",\"彩票\"]"));
    assert_non_null(strstr(json, "{\"id\":\"land-01\",\"name\":\"征地拆迁补偿纠纷\",\"group\":"
                                 "\"征地拆迁\",\"department\":\"市自然资源局\",\"level\":\"III\","
                                 "\"scope\":\"all\",\"sources\":[\"rss\",\"weibo-ankang\"],"
                                 "\"expr\":\"(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)\"}"));

    int rc = rule_set_decode(json, len, &back, err, sizeof(err));
    if (rc) {
        fail_msg("%s", err);
    }
    assert_int_equal(back->version, 7);
    assert_int_equal(back->pushed_at, 1796000000);
    assert_string_equal(back->pushed_by, "zhang");
    assert_int_equal(back->n_rules, 3);
    assert_int_equal(back->n_exclude, 3);
    assert_int_equal(back->n_groups, 2);
    assert_true(back->compiled);
    assert_int_equal(back->n_terms, rs->n_terms);
    for (size_t i = 0; i < rs->n_rules; i++) {
        assert_string_equal(back->rules[i].id, rs->rules[i].id);
        assert_string_equal(back->rules[i].group, rs->rules[i].group);
        assert_int_equal(back->rules[i].level, rs->rules[i].level);
        assert_int_equal(back->rules[i].scope, rs->rules[i].scope);
        assert_int_equal(back->rules[i].n_sources, rs->rules[i].n_sources);
        assert_null(back->rules[i].origin);
    }
    assert_int_equal(rule_set_encode(back, &json2, NULL), 0);
    assert_string_equal(json, json2);
    free(json);
    free(json2);
    rule_set_free(rs);
    rule_set_free(back);
}

struct decode_case {
    const char *name;
    const char *json;
    int err;
    const char *want;
};

static const struct decode_case decode_cases[] = {
    {"not_json", "{\"version\":", ERR_PARSE, "rule set is not JSON: "},
    {"array", "[]", ERR_PARSE, "not a JSON object"},
    {"no_version", "{\"rules\":[]}", ERR_PARSE, "'version'"},
    {"rules_missing", "{\"version\":1}", ERR_PARSE, "'rules' must be an array"},
    {"no_rules", "{\"version\":1,\"rules\":[]}", ERR_INVALID, "no rules"},
    {"bad_expr",
     "{\"version\":1,\"rules\":[{\"id\":\"x\",\"name\":\"n\",\"department\":\"d\","
     "\"expr\":\"a &\"}]}",
     ERR_PARSE, "rules[0]: rule 'x': expr column 4"},
    {"bad_level",
     "{\"version\":1,\"rules\":[{\"id\":\"x\",\"name\":\"n\",\"department\":\"d\","
     "\"level\":\"VI\",\"expr\":\"a\"}]}",
     ERR_INVALID, "bad level 'VI'"},
    {"wrong_type",
     "{\"version\":1,\"rules\":[{\"id\":5,\"name\":\"n\",\"department\":\"d\",\"expr\":\"a\"}]}",
     ERR_PARSE, "rules[0]"},
    {"duplicate_key", "{\"version\":1,\"version\":2,\"rules\":[]}", ERR_PARSE,
     "rule set is not JSON: duplicate object key near '\"version\"' at line 1 col 22"},
    {"bad_pushed_at",
     "{\"version\":1,\"pushed_at\":\"yesterday\",\"rules\":[]}", ERR_PARSE, "pushed_at"},
};

static void test_json_decode_errors(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(decode_cases) / sizeof(decode_cases[0]); c++) {
        const struct decode_case *dc = &decode_cases[c];
        struct rule_set *rs = NULL;
        char err[512] = "";
        int rc = rule_set_decode(dc->json, strlen(dc->json), &rs, err, sizeof(err));
        if (rc != dc->err || !strstr(err, dc->want)) {
            fail_msg("%s: rc=%d '%s', want %d '%s'", dc->name, rc, err, dc->err, dc->want);
        }
        assert_null(rs);
    }
}

/*
 * A set pushed before today's term checks (white space only, never true once equal terms
 * merge) still decodes, as the matcher reads it from Redis and its cache: the offending rules,
 * exclude terms and places are left out, each named in skipped, and the rest is compiled. It
 * was refused whole, so the matcher had no set and stopped consuming. Where rules are written
 * (rule_set_decode_written(), and the YAML of error_cases) the same entries are refused.
 */
static void test_set_pushed_before_term_checks_still_decodes(void **state)
{
    static const char *const skipped[] = {
        "rule set JSON exclude: exclude term ' ' is only white space once normalised",
        "rule set JSON places: place '\u3000' is only white space once normalised",
        "rule set JSON rules[1]: rule 'w1': term 2 of the expression is only white space once "
        "normalised",
        "rule set JSON rules[2]: rule 'n1': expr can never be true: terms 1 'wifi' and 3 "
        "'ＷＩＦＩ' are the same once normalised",
    };
    const char *json = pipeline_rules_pushed_before_checks_json;
    struct rule_set *rs = NULL, *back = NULL;
    char err[512] = "", *again = NULL, dir[64];
    size_t len = 0;

    (void)state;
    if (rule_set_decode(json, strlen(json), &rs, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    assert_true(rs->compiled);
    assert_int_equal(rs->version, 3);
    assert_int_equal(rs->n_rules, 1);
    assert_string_equal(rs->rules[0].id, "gas-01");
    assert_int_equal(rs->n_exclude, 1);
    assert_string_equal(rs->exclude[0], "招聘");
    assert_int_equal(rs->n_places, 1);
    assert_string_equal(rs->places[0], "安康");
    assert_int_equal(rs->n_skipped, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(rs->skipped[i], skipped[i]);
    }

    /* written back (the matcher's cache), it is the clean set */
    assert_int_equal(rule_set_encode(rs, &again, &len), 0);
    assert_int_equal(rule_set_decode(again, len, &back, err, sizeof(err)), 0);
    assert_int_equal(back->n_rules, 1);
    assert_int_equal(back->n_skipped, 0);

    /* a set being written is refused at its first such entry */
    rule_set_free(back);
    back = NULL;
    assert_int_equal(rule_set_decode_written(json, strlen(json), &back, err, sizeof(err)),
                     ERR_INVALID);
    assert_null(back);
    assert_string_equal(err, skipped[0]);

    /* and so is a rules dir (rules validate, rules push, rules test load it) */
    make_dir(dir, sizeof(dir));
    pipeline_write_file(dir, "w.yaml",
                        "rules:\n  - {id: gas-01, name: n, department: d, expr: 燃气}\n"
                        "  - {id: n1, name: n, department: d, expr: 'wifi & 断网 & !ＷＩＦＩ'}\n");
    assert_int_equal(rule_set_load_dir(dir, &back, err, sizeof(err)), ERR_INVALID);
    assert_null(back);
    assert_non_null(strstr(err, "w.yaml:3: rule 'n1': expr can never be true"));
    remove_dir(dir);
    free(again);
    rule_set_free(rs);
}

static void test_json_too_big(void **state)
{
    struct rule_set *rs = NULL;
    char err[256] = "";

    (void)state;
    assert_int_equal(rule_set_decode("{}", (size_t)RULE_SET_MAX_JSON_BYTES + 1, &rs, err,
                                     sizeof(err)),
                     ERR_TOO_BIG);
    assert_null(rs);
}

/*
 * issue #12: 20 files' groups, exclude terms and places (each list past the first capacity of
 * 16, repeats merged), in order, from YAML and back from JSON.
 */
static void test_issue_12_lists_past_16(void **state)
{
    struct rule_set *rs = rule_set_new(), *back = NULL;
    char err[512] = "", *json = NULL, want[32];
    size_t len = 0;

    (void)state;
    assert_non_null(rs);
    for (int i = 0; i < 20; i++) {
        char name[32], text[256];

        snprintf(name, sizeof(name), "f%02d.yaml", i);
        snprintf(text, sizeof(text),
                 "group: g%d\nexclude: [x%d, x0]\nplaces: [p%d, p0]\nrules:\n  - id: r%d\n"
                 "    name: n\n    department: d\n    expr: t%d\n",
                 i, i, i, i, i);
        if (rule_set_add_yaml(rs, name, text, strlen(text), err, sizeof(err)) != 0) {
            fail_msg("%s: %s", name, err);
        }
    }
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);
    assert_int_equal(rule_set_encode(rs, &json, &len), 0);
    assert_int_equal(rule_set_decode(json, len, &back, err, sizeof(err)), 0);
    for (const struct rule_set *s = rs; s; s = s == rs ? back : NULL) {
        assert_int_equal(s->n_rules, 20);
        assert_int_equal(s->n_groups, 20);
        assert_int_equal(s->n_exclude, 20);
        assert_int_equal(s->n_places, 20);
        for (int i = 0; i < 20; i++) {
            snprintf(want, sizeof(want), "g%d", i);
            assert_string_equal(s->groups[i], want);
            snprintf(want, sizeof(want), "x%d", i);
            assert_string_equal(s->exclude[i], want);
            snprintf(want, sizeof(want), "p%d", i);
            assert_string_equal(s->places[i], want);
        }
    }
    free(json);
    rule_set_free(rs);
    rule_set_free(back);
}

/*
 * Groups, exclude terms and rule ids are indexed (not scanned) while a set loads: 1000 rules in
 * 300 groups written out of order keep the groups in order of first appearance, repeats
 * merged; a repeated exclude term is merged; a rule id repeated as the 1001st rule is refused.
 */
static void test_many_groups_and_ids_indexed(void **state)
{
    const int n_rules = 1000, n_groups = 300;
    size_t cap = 128 * (size_t)n_rules, off = 0;
    char *json = malloc(cap), err[512] = "", want[32];
    struct rule_set *rs = NULL;

    (void)state;
    assert_non_null(json);
    for (int dup = 0; dup < 2; dup++) {
        off = (size_t)snprintf(json, cap,
                               "{\"version\":1,\"exclude\":[\"x1\",\"x2\",\"x1\"],"
                               "\"rules\":[");
        for (int i = 0; i < n_rules + dup; i++) {
            /* group of rule i: g((i * 7) % 300), so g0, g7, g14, ... first appear in that order */
            off += (size_t)snprintf(json + off, cap - off,
                                    "%s{\"id\":\"r%d\",\"name\":\"n\",\"group\":\"g%d\","
                                    "\"department\":\"d\",\"expr\":\"t%d\"}",
                                    i ? "," : "", i == n_rules ? 500 : i, (i * 7) % n_groups, i);
        }
        off += (size_t)snprintf(json + off, cap - off, "]}");
        assert_true(off < cap);
        if (dup) {
            assert_int_equal(rule_set_decode(json, off, &rs, err, sizeof(err)), ERR_INVALID);
            assert_null(rs);
            assert_non_null(strstr(err, "'r500': duplicate id"));
            break;
        }
        if (rule_set_decode(json, off, &rs, err, sizeof(err)) != 0) {
            fail_msg("%s", err);
        }
        assert_int_equal(rs->n_rules, n_rules);
        assert_int_equal(rs->n_exclude, 2);
        assert_int_equal(rs->n_groups, n_groups);
        for (int i = 0; i < n_groups; i++) {
            snprintf(want, sizeof(want), "g%d", (i * 7) % n_groups);
            assert_string_equal(rs->groups[i], want);
        }
        rule_set_free(rs);
        rs = NULL;
    }
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_dir_sorted_and_merged),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_term_over_vectorscan_limit_names_its_rule),
        cmocka_unit_test(test_duplicate_id_across_files),
        cmocka_unit_test(test_empty_or_missing_dir),
        cmocka_unit_test(test_ops_empty_dir_says_no_rules),
        cmocka_unit_test(test_ops_too_many_terms_refused_before_compile),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_decode_errors),
        cmocka_unit_test(test_set_pushed_before_term_checks_still_decodes),
        cmocka_unit_test(test_json_too_big),
        cmocka_unit_test(test_many_groups_and_ids_indexed),
        cmocka_unit_test(test_issue_12_lists_past_16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
