/* Term finding: every occurrence, overlapping and nested, as code-point offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "term_find.h"
#include "yq_err.h"
#include "yq_banned.h"

#define MAX_HITS 32

static struct term_scratch *the_scratch; /* one for the whole run, as one matcher thread */

static int group_setup(void **state)
{
    (void)state;
    the_scratch = term_scratch_new();
    return the_scratch ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    term_scratch_free(the_scratch);
    return 0;
}

struct hits {
    size_t n;
    struct term_hit h[MAX_HITS];
};

static int collect(const struct term_hit *hit, void *opaque)
{
    struct hits *hs = opaque;
    if (hs->n < MAX_HITS) {
        hs->h[hs->n++] = *hit;
    }
    return 0;
}

struct want_hit {
    size_t term, start, end;
};

struct find_case {
    const char *name;
    const char *terms[6];
    const char *text;
    size_t n_hits;
    struct want_hit want[8];
};

static const struct find_case find_cases[] = {
    /* issue #2 brief: nested terms all reported */
    {"nested",
     {"化工厂爆炸", "工厂", "爆炸"},
     "某某化工厂爆炸了",
     3,
     {{0, 2, 7}, {1, 3, 5}, {2, 5, 7}}},
    /* shared FC-024 t1: r1 化工厂爆炸 [3,8); r3 工厂 [4,6); r2 爆炸 [6,8) */
    {"fc024_t1",
     {"化工厂爆炸", "爆炸", "工厂"},
     "今晨某化工厂爆炸致两人受伤",
     3,
     {{0, 3, 8}, {2, 4, 6}, {1, 6, 8}}},
    /* FC-024 t2: only 工厂 [1,3); 爆破 is not 爆炸 */
    {"fc024_t2", {"化工厂爆炸", "爆炸", "工厂"}, "化工厂爆破拆除作业", 1, {{2, 1, 3}}},
    {"overlapping_same_term", {"aa"}, "aaaa", 3, {{0, 0, 2}, {0, 1, 3}, {0, 2, 4}}},
    {"overlapping_cjk", {"哈哈"}, "哈哈哈", 2, {{0, 0, 2}, {0, 1, 3}}},
    {"ascii_case_insensitive",
     {"WiFi"},
     "小区wifi故障 WIFI",
     2,
     {{0, 2, 6}, {0, 9, 13}}},
    {"astral_plane_counts_one", {"安康"}, "😀安康😀安康", 2, {{0, 1, 3}, {0, 4, 6}}},
    {"no_hit", {"征地"}, "拆迁补偿", 0, {{0, 0, 0}}},
    {"term_longer_than_text", {"安康市汉滨区"}, "安康", 0, {{0, 0, 0}}},
    {"empty_text", {"安康"}, "", 0, {{0, 0, 0}}},
};

static void test_find_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(find_cases) / sizeof(find_cases[0]); c++) {
        const struct find_case *fc = &find_cases[c];
        struct term_db *db = NULL;
        struct hits hs = {0};
        char err[128];
        size_t n = 0;

        while (n < 6 && fc->terms[n]) {
            n++;
        }
        assert_int_equal(term_db_new(fc->terms, n, &db, err, sizeof(err)), 0);
        assert_int_equal(term_db_scan(db, the_scratch, fc->text, strlen(fc->text), collect, &hs),
                         0);
        if (hs.n != fc->n_hits) {
            fail_msg("%s: %zu hits, want %zu", fc->name, hs.n, fc->n_hits);
        }
        for (size_t i = 0; i < hs.n; i++) {
            if (hs.h[i].term != fc->want[i].term || hs.h[i].start != fc->want[i].start ||
                hs.h[i].end != fc->want[i].end) {
                fail_msg("%s: hit %zu is term %zu [%zu,%zu), want term %zu [%zu,%zu)", fc->name,
                         i, hs.h[i].term, hs.h[i].start, hs.h[i].end, fc->want[i].term,
                         fc->want[i].start, fc->want[i].end);
            }
        }
        term_db_free(db);
    }
}

/* The scan reads only len bytes: a text that is not NUL-terminated is fine. */
static void test_scan_respects_length(void **state)
{
    const char *terms[] = {"安康"};
    struct term_db *db = NULL;
    struct hits hs = {0};
    const char text[] = "安康安康";
    char err[64];

    (void)state;
    assert_int_equal(term_db_new(terms, 1, &db, err, sizeof(err)), 0);
    assert_int_equal(term_db_scan(db, the_scratch, text, 6 + 3, collect, &hs),
                     0); /* 安康 + half of 安康 */
    assert_int_equal(hs.n, 1);
    term_db_free(db);
}

static int stop_at_first(const struct term_hit *hit, void *opaque)
{
    (void)hit;
    (*(int *)opaque)++;
    return 7;
}

static void test_callback_stops_scan(void **state)
{
    const char *terms[] = {"a"};
    struct term_db *db = NULL;
    int calls = 0;
    char err[64];

    (void)state;
    assert_int_equal(term_db_new(terms, 1, &db, err, sizeof(err)), 0);
    assert_int_equal(term_db_scan(db, the_scratch, "aaa", 3, stop_at_first, &calls), 7);
    assert_int_equal(calls, 1);
    term_db_free(db);
}

static void test_bad_terms_rejected(void **state)
{
    const char *empty[] = {"ok", ""};
    const char *bad_utf8[] = {"\xe5\xae"};
    struct term_db *db = NULL;
    char err[64] = "";

    (void)state;
    assert_int_equal(term_db_new(empty, 2, &db, err, sizeof(err)), ERR_INVALID);
    assert_string_equal(err, "term 1 is empty or not UTF-8");
    assert_null(db);
    assert_int_equal(term_db_new(bad_utf8, 1, &db, err, sizeof(err)), ERR_INVALID);
    assert_null(db);
    term_db_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_table),
        cmocka_unit_test(test_scan_respects_length),
        cmocka_unit_test(test_callback_stops_scan),
        cmocka_unit_test(test_bad_terms_rejected),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
