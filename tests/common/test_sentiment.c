/*
 * common/yq_sentiment: the lexicon classifier (docs/sentiment.md). Unit tests for each rule
 * (negation, double negation, degree, clause markers, title weight, bounds, hostile input,
 * override lists) and the accuracy on the labelled set tests/common/sentiment_labelled.tsv.
 * YQ_SENTIMENT_VERBOSE=1 prints every misclassified line of the labelled set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_fixture.h"
#include "yq_err.h"
#include "yq_sentiment.h"

/*
 * Accuracy must stay at or above this share of the labelled set: measured 0.921 (293 of 318,
 * docs/sentiment.md); the floor is a few points below, so a lexicon edit that breaks many
 * lines fails while a small trade-off does not.
 */
#define ACCURACY_FLOOR 0.88
/* The same for the held-out set (sentiment_heldout.tsv), which the lexicon was not tuned on:
 * measured 0.733 (66 of 90). */
#define HELDOUT_FLOOR 0.68

static struct yq_sentiment *lex;

static int setup(void **state)
{
    char err[256];
    (void)state;
    int rc = yq_sentiment_open(NULL, &lex, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "yq_sentiment_open: %s (%s)\n", yq_strerror(rc), err);
    }
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    yq_sentiment_free(lex);
    return 0;
}

static struct yq_sentiment_result score(const char *title, const char *text)
{
    struct yq_sentiment_result r;
    assert_int_equal(yq_sentiment_score(lex, title, text, &r), 0);
    return r;
}

static enum yq_sentiment_label label_of(const char *text)
{
    return score(NULL, text).label;
}

static void test_names(void **state)
{
    enum yq_sentiment_label l;
    (void)state;
    assert_string_equal(yq_sentiment_name(YQ_SENTIMENT_NEGATIVE), "negative");
    assert_string_equal(yq_sentiment_name(YQ_SENTIMENT_NEUTRAL), "neutral");
    assert_string_equal(yq_sentiment_name(YQ_SENTIMENT_POSITIVE), "positive");
    assert_string_equal(yq_sentiment_name((enum yq_sentiment_label)7), "neutral");
    assert_string_equal(yq_sentiment_label(YQ_SENTIMENT_NEGATIVE), "负面");
    assert_string_equal(yq_sentiment_label(YQ_SENTIMENT_NEUTRAL), "中性");
    assert_string_equal(yq_sentiment_label(YQ_SENTIMENT_POSITIVE), "正面");
    assert_int_equal(yq_sentiment_parse("positive", &l), 0);
    assert_int_equal(l, YQ_SENTIMENT_POSITIVE);
    assert_int_equal(yq_sentiment_parse("negative", &l), 0);
    assert_int_equal(l, YQ_SENTIMENT_NEGATIVE);
    assert_int_equal(yq_sentiment_parse("neutral", &l), 0);
    assert_int_equal(l, YQ_SENTIMENT_NEUTRAL);
    assert_int_equal(yq_sentiment_parse("负面", &l), ERR_INVALID);
    assert_int_equal(yq_sentiment_parse(NULL, &l), ERR_INVALID);
    assert_true(yq_sentiment_n_terms(lex) > 600);
}

/*
 * A title and text and what the classifier makes of them: label, score (within 1e-9), the
 * words found of each list, and the strongest word (NULL: not checked).
 */
struct rule_case {
    const char *title, *text;
    enum yq_sentiment_label label;
    double score;
    unsigned n_negative, n_positive, n_negation, n_degree;
    const char *strongest;
};

/* Fail the running test unless each of the n cases scores as it says (naming the text). */
static void expect_cases(const struct rule_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct rule_case *c = &cases[i];
        struct yq_sentiment_result r = score(c->title, c->text);

        if (r.label != c->label || !(fabs(r.score - c->score) < 1e-9) ||
            r.n_negative != c->n_negative || r.n_positive != c->n_positive ||
            r.n_negation != c->n_negation || r.n_degree != c->n_degree ||
            (c->strongest && strcmp(r.strongest, c->strongest) != 0)) {
            fail_msg("title '%s' text '%s': label %d score %.17g negative %u positive %u "
                     "negation %u degree %u strongest '%s'; want %d %.17g %u %u %u %u '%s'",
                     c->title ? c->title : "", c->text ? c->text : "", r.label, r.score,
                     r.n_negative, r.n_positive, r.n_negation, r.n_degree, r.strongest, c->label,
                     c->score, c->n_negative, c->n_positive, c->n_negation, c->n_degree,
                     c->strongest ? c->strongest : "(any)");
        }
    }
}

/* Plain polar words: the weight is the score (negative.txt 投诉 1.0, positive.txt 感谢 1.5). */
static void test_plain_words(void **state)
{
    static const struct rule_case cases[] = {
        {NULL, "我要投诉", YQ_SENTIMENT_NEGATIVE, -1.0, 1, 0, 0, 0, "投诉"},
        {NULL, "感谢", YQ_SENTIMENT_POSITIVE, 1.5, 0, 1, 0, 0, NULL},
        /* a weight below the threshold alone stays neutral (问题 0.3) */
        {NULL, "这个问题", YQ_SENTIMENT_NEUTRAL, -0.3, 1, 0, 0, 0, NULL},
    };
    (void)state;
    expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* One negation within the window flips with YQ_SENTIMENT_NEG_FLIP. */
static void test_negation_flips(void **state)
{
    static const struct rule_case cases[] = {
        /* 满意 1.5 -> 不满意 is its own negative word 1.5 (longest match, not 不 + 满意) */
        {NULL, "不满意", YQ_SENTIMENT_NEGATIVE, -1.5, 1, 0, 0, 0, NULL},
        /* 没有 + 污染 (1.2) -> 1.2 * -0.8 */
        {NULL, "河里没有污染", YQ_SENTIMENT_POSITIVE, 0.96, 1, 0, 1, 0, NULL},
        /* 没有任何 + 污染: two characters between, still in the window */
        {NULL, "没有任何污染", YQ_SENTIMENT_POSITIVE, 0.96, 1, 0, 1, 0, NULL},
        /* 不 + 及时 (1.2) */
        {NULL, "处理得不及时", YQ_SENTIMENT_NEGATIVE, -0.96, 0, 1, 1, 0, NULL},
        /* 不 + 5 characters + 满意: outside the window, 满意 counts as it is */
        {NULL, "不知道他们到底满意", YQ_SENTIMENT_POSITIVE, 1.5, 0, 1, 1, 0, NULL},
        /* a clause end stops the negation: 没有，感谢 */
        {NULL, "没有，感谢", YQ_SENTIMENT_POSITIVE, 1.5, 0, 1, 1, 0, NULL},
        /* a negation applies to the next polar word only */
        {NULL, "不及时也敷衍", YQ_SENTIMENT_NEGATIVE, -0.96 - 1.5, 1, 1, 1, 0, NULL},
    };
    (void)state;
    expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Two negations: the polarity stays, with YQ_SENTIMENT_NEG_DOUBLE. */
static void test_double_negation(void **state)
{
    static const struct rule_case cases[] = {
        /* 不是 + 不满意 (-1.5): one negation before a negative word -> positive 1.2 */
        {NULL, "不是不满意", YQ_SENTIMENT_POSITIVE, 1.2, 1, 0, 1, 0, NULL},
        /* 不能 + 不 + 点赞 (1.5): two negations -> 1.5 * 0.8 */
        {NULL, "不能不点赞", YQ_SENTIMENT_POSITIVE, 1.2, 0, 1, 2, 0, NULL},
        /* 没有 + 不 + 及时: double negation of a positive word stays positive */
        {NULL, "没有不及时的", YQ_SENTIMENT_POSITIVE, 0.96, 0, 1, 2, 0, NULL},
    };
    (void)state;
    expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Degree words multiply; after a negation they soften (YQ_SENTIMENT_NEG_DEGREE). */
static void test_degree_weights(void **state)
{
    static const struct rule_case cases[] = {
        {NULL, "非常满意", YQ_SENTIMENT_POSITIVE, 2.7, 0, 1, 0, 1, NULL},  /* 1.8 * 1.5 */
        {NULL, "有点失望", YQ_SENTIMENT_NEGATIVE, -0.9, 1, 0, 0, 1, NULL}, /* 0.6 * -1.5 */
        /* 0.5 * 0.6 * -0.8 */
        {NULL, "稍微有点麻烦", YQ_SENTIMENT_NEUTRAL, -0.24, 1, 0, 0, 2, NULL},
        {NULL, "很不满意", YQ_SENTIMENT_NEGATIVE, -2.25, 1, 0, 0, 1, NULL}, /* 1.5 * -1.5 */
        /* 不是 + 很 (softened to 0.5) + 满意: 1.5 * 0.5 * -0.8 = -0.6 */
        {NULL, "不是很满意", YQ_SENTIMENT_NEGATIVE, -0.6, 0, 1, 1, 1, NULL},
        /* a degree word in another clause does not carry over */
        {NULL, "非常，满意", YQ_SENTIMENT_POSITIVE, 1.5, 0, 1, 0, 1, NULL},
    };
    (void)state;
    expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Clause markers: ! stresses, a question weakens positive words, 难道 reproaches, 但是. */
static void test_clause_rules(void **state)
{
    static const struct rule_case cases[] = {
        {NULL, "太差了!", YQ_SENTIMENT_NEGATIVE, -1.95, 1, 0, 0, 0, NULL}, /* 太差 1.5 * 1.3 */
        /* the full-width ！ is NFKC'd to ! */
        {NULL, "太差了！", YQ_SENTIMENT_NEGATIVE, -1.95, 1, 0, 0, 0, NULL},
        {NULL, "解决了吗？", YQ_SENTIMENT_NEUTRAL, 0.375, 0, 1, 0, 0, NULL}, /* 解决了 1.5 * 0.25 */
        {NULL, "难道就没人管吗", YQ_SENTIMENT_NEGATIVE, -2.0, 1, 0, 0, 0, NULL}, /* -(1.5 + 0.5) */
        /* a rhetorical clause is a reproach even without a polar word */
        {NULL, "凭什么", YQ_SENTIMENT_NEGATIVE, -0.5, 0, 0, 0, 0, NULL},
        /* 点赞 1.5 halved by 但是, then 没有解决 -1.5 */
        {NULL, "点赞，但是没有解决", YQ_SENTIMENT_NEGATIVE, 0.75 - 1.5, 1, 1, 0, 0, NULL},
    };
    (void)state;
    expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The title counts YQ_SENTIMENT_TITLE_WEIGHT times; traditional text is simplified first. */
static void test_title_and_normalisation(void **state)
{
    static const struct rule_case cases[] = {
        {"感谢", "投诉", YQ_SENTIMENT_POSITIVE, 1.5 * 1.5 - 1.0, 1, 1, 0, 0, "感谢"},
        {"投诉", NULL, YQ_SENTIMENT_NEGATIVE, -1.5, 1, 0, 0, 0, NULL},
        {NULL, "漢濱區物業不作為", YQ_SENTIMENT_NEGATIVE, -2.0, 1, 0, 0, 0, NULL}, /* 不作为 2.0 */
        /* zero-width characters inside a word are removed before matching */
        {NULL, "点\xe2\x80\x8b赞", YQ_SENTIMENT_POSITIVE, 1.5, 0, 1, 0, 0, NULL},
        /* words that contain a negation are not read as one: 不断 improves */
        {NULL, "不断改善", YQ_SENTIMENT_POSITIVE, 1.2, 0, 1, 0, 0, NULL},
    };
    (void)state;
    expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Empty, NULL, invalid UTF-8 and hostile input: neutral, no crash. */
static void test_empty_and_hostile(void **state)
{
    struct yq_sentiment_result r;
    static const char bad[] = "\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80";
    char *big;
    (void)state;
    r = score(NULL, NULL);
    assert_int_equal(r.label, YQ_SENTIMENT_NEUTRAL);
    assert_true(r.score == 0.0);
    assert_string_equal(r.strongest, "");
    r = score("", "");
    assert_int_equal(r.label, YQ_SENTIMENT_NEUTRAL);
    r = score(bad, bad);
    assert_int_equal(r.label, YQ_SENTIMENT_NEUTRAL);
    assert_true(r.score == 0.0);
    /* invalid bytes around a word do not hide it */
    r = score(NULL, "\xff投诉\xfe");
    assert_int_equal(r.label, YQ_SENTIMENT_NEGATIVE);
    /* punctuation only, negations only, markers only */
    assert_int_equal(label_of("，。！？!!!???\n\n"), YQ_SENTIMENT_NEUTRAL);
    assert_int_equal(label_of("不不不没没有"), YQ_SENTIMENT_NEUTRAL);
    assert_int_equal(label_of("吗吗吗但是但是"), YQ_SENTIMENT_NEUTRAL);

    /* a huge text is scored on its first YQ_SENTIMENT_MAX_TEXT_BYTES only */
    big = malloc(1024 * 1024 + 16);
    assert_non_null(big);
    memset(big, 'a', 1024 * 1024);
    memcpy(big + 1024 * 1024, "投诉", sizeof("投诉"));
    r = score(NULL, big);
    assert_int_equal(r.label, YQ_SENTIMENT_NEUTRAL);
    assert_int_equal(r.truncated, 1);
    assert_int_equal(r.n_negative, 0);
    /* the cut falls inside a character: it is moved back, and the word before it counts */
    memset(big, 'a', YQ_SENTIMENT_MAX_TEXT_BYTES);
    memcpy(big + YQ_SENTIMENT_MAX_TEXT_BYTES - 7, "投诉", 6);
    memcpy(big + YQ_SENTIMENT_MAX_TEXT_BYTES - 1, "感", 3);
    r = score(NULL, big);
    assert_int_equal(r.truncated, 1);
    assert_int_equal(r.n_negative, 1);
    assert_int_equal(r.label, YQ_SENTIMENT_NEGATIVE);
    free(big);
}

/* Many threads may share one classifier: each call has its own scratch. */
static void *score_many(void *arg)
{
    int *bad = arg;
    for (int i = 0; i < 200; i++) {
        struct yq_sentiment_result r;
        if (yq_sentiment_score(lex, "感谢", i % 2 ? "非常满意" : "投诉", &r) != 0 ||
            r.label != YQ_SENTIMENT_POSITIVE) {
            (*bad)++;
        }
    }
    return NULL;
}

static void test_threads_share(void **state)
{
    pthread_t t[4];
    int bad[4] = {0};
    (void)state;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, score_many, &bad[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(bad[i], 0);
    }
}

/* An override folder replaces the lists it has; the others stay embedded. Bad lists fail. */
static void test_override_dir(void **state)
{
    char dir[] = "/tmp/test_sentiment_XXXXXX";
    char err[256];
    struct yq_sentiment *s;
    struct yq_sentiment_result r;
    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(yq_sentiment_open("/nonexistent/sentiment", &s, err, sizeof(err)),
                     ERR_NOT_FOUND);
    assert_non_null(strstr(err, "/nonexistent/sentiment"));

    file_fixture_write(dir, "positive.txt", "# only one word\n开心\t2\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), 0);
    assert_int_equal(yq_sentiment_score(s, NULL, "感谢，很开心", &r), 0);
    assert_true(fabs(r.score - 1.5 * 2) < 1e-9); /* 感谢 is gone, 很 stays embedded */
    assert_int_equal(yq_sentiment_score(s, NULL, "投诉", &r), 0);
    assert_true(fabs(r.score - -1.0) < 1e-9);
    yq_sentiment_free(s);

    file_fixture_write(dir, "positive.txt", "开心\tvery\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    assert_null(s);
    assert_non_null(strstr(err, "positive.txt line 1"));
    file_fixture_write(dir, "positive.txt", "开心\t0\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    file_fixture_write(dir, "positive.txt", "开心\t11\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    file_fixture_write(dir, "positive.txt", "开 心\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    file_fixture_write(dir, "positive.txt", "开心\n\xff\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    /* a term in two lists is refused, naming both places */
    file_fixture_write(dir, "positive.txt", "开心\n投诉\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "投诉"));
    assert_non_null(strstr(err, "negative.txt"));
    /* only invisible characters: can never match */
    file_fixture_write(dir, "positive.txt", "\xe2\x80\x8b\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_INVALID);
    file_fixture_write(dir, "degree.txt", "很\n");
    file_fixture_write(dir, "positive.txt", "开心\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, "degree.txt line 1"));
    file_fixture_write(dir, "degree.txt", "很\t1.5\n");
    file_fixture_write(dir, "negation.txt", "不\t2\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    file_fixture_write(dir, "negation.txt", "不\n");
    file_fixture_write(dir, "structure.txt", "吗\tmaybe\n");
    assert_int_equal(yq_sentiment_open(dir, &s, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, "structure.txt line 1"));

    for (const char *const *n = (const char *const[]){"positive.txt", "degree.txt",
                                                        "negation.txt", "structure.txt", NULL};
         *n; n++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, *n);
        unlink(path);
    }
    rmdir(dir);
}

/*
 * Score every line of a labelled file (tests/common/NAME), print accuracy, per-label
 * precision / recall and the confusion matrix, and return the accuracy. min_lines: the file
 * must hold at least that many lines.
 */
static double evaluate(const char *name, unsigned min_lines)
{
    char path[1024], line[8192];
    FILE *f;
    /* confusion[labelled][predicted], index = label + 1 */
    unsigned confusion[3][3] = {{0}};
    unsigned n = 0, right = 0;
    int verbose = getenv("YQ_SENTIMENT_VERBOSE") != NULL;

    snprintf(path, sizeof(path), "%s/tests/common/%s", YQ_SOURCE_DIR, name);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char *fields[4], *p = line;
        enum yq_sentiment_label want;
        struct yq_sentiment_result r;

        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        for (int i = 0; i < 4; i++) {
            fields[i] = p;
            p = strchr(p, '\t');
            if (i < 3) {
                assert_non_null(p);
                *p++ = '\0';
            }
        }
        assert_int_equal(yq_sentiment_parse(fields[0], &want), 0);
        assert_int_equal(yq_sentiment_score(lex, fields[2], fields[3], &r), 0);
        confusion[want + 1][r.label + 1]++;
        n++;
        if (r.label == want) {
            right++;
        } else if (verbose) {
            printf("MISS want %-8s got %-8s %+.2f [%s] %s | %s %s\n", fields[0],
                   yq_sentiment_name(r.label), r.score, fields[1], r.strongest, fields[2],
                   fields[3]);
        }
    }
    fclose(f);
    assert_true(n >= min_lines);
    printf("%s: %u lines, accuracy %.3f (%u right)\n", name, n, (double)right / n, right);
    for (int l = 0; l < 3; l++) {
        unsigned tp = confusion[l][l], got = 0, want = 0;
        for (int k = 0; k < 3; k++) {
            got += confusion[k][l];
            want += confusion[l][k];
        }
        printf("  %-8s precision %.3f recall %.3f (%u labelled, %u predicted)\n",
               yq_sentiment_name((enum yq_sentiment_label)(l - 1)), got ? (double)tp / got : 0.0,
               want ? (double)tp / want : 0.0, want, got);
    }
    printf("  confusion (rows labelled, columns predicted: negative neutral positive)\n");
    for (int l = 0; l < 3; l++) {
        printf("  %-8s %4u %4u %4u\n", yq_sentiment_name((enum yq_sentiment_label)(l - 1)),
               confusion[l][0], confusion[l][1], confusion[l][2]);
    }
    return (double)right / n;
}

/* The labelled set the lexicon was curated on: at least 300 lines, held to a floor. */
static void test_labelled_set(void **state)
{
    (void)state;
    assert_true(evaluate("sentiment_labelled.tsv", 300) >= ACCURACY_FLOOR);
}

/* The held-out set, never used for tuning: the estimate for unseen posts, held to a floor. */
static void test_heldout_set(void **state)
{
    (void)state;
    assert_true(evaluate("sentiment_heldout.tsv", 90) >= HELDOUT_FLOOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_plain_words),
        cmocka_unit_test(test_negation_flips),
        cmocka_unit_test(test_double_negation),
        cmocka_unit_test(test_degree_weights),
        cmocka_unit_test(test_clause_rules),
        cmocka_unit_test(test_title_and_normalisation),
        cmocka_unit_test(test_empty_and_hostile),
        cmocka_unit_test(test_threads_share),
        cmocka_unit_test(test_override_dir),
        cmocka_unit_test(test_labelled_set),
        cmocka_unit_test(test_heldout_set),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
