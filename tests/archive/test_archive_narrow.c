/*
 * The archive's bigram index (archive_bigram.h) through archive_scan(): narrowing finds every
 * true hit (a randomized property test against a brute-force substring check), terms are
 * normalised like the matcher's, FTS5 syntax in terms is harmless, the MATCH expressions and
 * their PostgreSQL tsquery/tsvector forms. Run again as test_archive_narrow-pg over the
 * PostgreSQL backend (its tsvector of bigrams, db_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "archive_bigram.h"
#include "archive_fixture.h"
#include "db_fixture.h"
#include "norm.h"
#include "yq_err.h"
#include "yq_time.h"

/* Each test's cmocka setup and teardown: a fresh archive of its own (archive_fixture.h). */
static int (*const fx_setup)(void **state) = archive_fixture_setup;
static int (*const fx_teardown)(void **state) = archive_fixture_teardown;

static int64_t t0(void)
{
    return yq_time_days_from_civil(2026, 11, 10) * 86400;
}

/* A weibo item published and fetched at t (strings owned by the item: yq_item_release()). */
static void make_item(struct yq_item *it, const char *id, const char *title, const char *text,
                      int64_t t)
{
    const struct yq_item borrowed = {
        .id = (char *)id, .source = "weibo", .source_id = "weibo-1", .channel = "汉滨身边事",
        .url = "", .title = (char *)title, .text = (char *)text, .author = "",
        .has_published = true, .published_at = t, .precision = "second", .fetched_at = t};
    assert_int_equal(yq_item_copy(it, &borrowed), 0);
}

/* Store n (title, text) pairs as items "i0", "i1", ... one second apart. */
static void put_texts(struct archive *a, const char *const *titles, const char *const *texts,
                      size_t n)
{
    struct yq_item *items = calloc(n, sizeof *items);
    const struct yq_item **p = calloc(n, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "i%zu", i);
        make_item(&items[i], id, titles[i], texts[i], t0() + (int64_t)i);
        p[i] = &items[i];
    }
    char err[256] = "";
    if (archive_put(a, p, n, NULL, 0, NULL, err, sizeof err) != 0) {
        fail_msg("put: %s", err);
    }
    for (size_t i = 0; i < n; i++) {
        yq_item_release(&items[i]);
    }
    free(items);
    free(p);
}

/* Ids found by a scan, as a bitmap over "i<k>" (k < 1024). */
struct found {
    bool hit[1024];
    size_t n;
};

static int on_row(const struct archive_row *row, void *arg)
{
    struct found *f = arg;
    int k = atoi(row->item.id + 1);
    if (k >= 0 && k < 1024) {
        f->hit[k] = true;
    }
    f->n++;
    return 0;
}

static size_t scan_narrow(struct archive *a, const struct archive_narrow *nw, struct found *out)
{
    memset(out, 0, sizeof *out);
    struct archive_filter f = {.narrow = nw};
    char err[256] = "";
    int rc = archive_scan(a, &f, on_row, out, err, sizeof err);
    if (rc != 0) {
        fail_msg("scan: %s", err);
    }
    return out->n;
}

/* A term node over the normalised form of raw (the caller's duty, as search does it). */
static char *norm_term(const char *raw)
{
    const struct norm *nm = NULL;
    char err[128];
    assert_int_equal(norm_global(&nm, err, sizeof err), 0);
    char *out = NULL;
    assert_int_equal(norm_string(nm, raw, &out), 0);
    return out;
}

static size_t scan_term(struct archive *a, const char *raw, struct found *out)
{
    char *t = norm_term(raw);
    struct archive_narrow nw = {.kind = ARCHIVE_NARROW_TERM, .term = t};
    size_t n = scan_narrow(a, &nw, out);
    free(t);
    return n;
}

static void test_terms_found_inside_words(void **state)
{
    struct archive_fixture *fx = *state;
    static const char *const titles[] = {
        "汉滨区征地拆迁补偿不到位", "强制拆迁补偿标准", "５Ｇ基站建设", "徵地公告", "无关新闻",
        "WiFi 断网", "title:征地 \"引号\" a*b NEAR(x y) -负号",
    };
    static const char *const texts[] = {"", "", "", "", "今天天气晴", "", ""};
    put_texts(fx->a, titles, texts, 7);
    struct found f;
    assert_int_equal(scan_term(fx->a, "征地", &f), 3); /* 征地拆迁, 徵地 (normalised), title:征地 */
    assert_true(f.hit[0] && f.hit[3] && f.hit[6]);
    assert_int_equal(scan_term(fx->a, "拆迁", &f), 2);
    assert_true(f.hit[0] && f.hit[1]);
    assert_int_equal(scan_term(fx->a, "徵地", &f), 3); /* a traditional term, normalised */
    assert_int_equal(scan_term(fx->a, "５Ｇ", &f), 1);  /* full-width term and text */
    assert_true(f.hit[2]);
    assert_int_equal(scan_term(fx->a, "5g基站", &f), 1);
    assert_int_equal(scan_term(fx->a, "wifi 断", &f), 1); /* a space inside the term */
    assert_true(f.hit[5]);
    assert_int_equal(scan_term(fx->a, "fi断", &f), 0); /* the space is a character */
    assert_int_equal(scan_term(fx->a, "天气", &f), 1);  /* the text is indexed too */
    assert_true(f.hit[4]);
    assert_int_equal(scan_term(fx->a, "征地拆迁补偿不到位", &f), 1);
    /* a one-character term narrows nothing: every item comes back */
    assert_int_equal(scan_term(fx->a, "征", &f), 7);
    assert_int_equal(scan_term(fx->a, "", &f), 7);
    /* FTS5 syntax in terms is text */
    assert_int_equal(scan_term(fx->a, "\"引号\"", &f), 1);
    assert_int_equal(scan_term(fx->a, "\"", &f), 7); /* one character: true */
    assert_int_equal(scan_term(fx->a, "a*b", &f), 1);
    assert_int_equal(scan_term(fx->a, "征地*", &f), 0);
    assert_int_equal(scan_term(fx->a, "NEAR(x y)", &f), 1);
    assert_int_equal(scan_term(fx->a, "NEAR(征地", &f), 0);
    assert_int_equal(scan_term(fx->a, "-负号", &f), 1);
    assert_int_equal(scan_term(fx->a, "title:征地", &f), 1);
    assert_int_equal(scan_term(fx->a, "text:征地", &f), 0);
    assert_int_equal(scan_term(fx->a, "\" OR \"", &f), 0);
    assert_int_equal(scan_term(fx->a, "AND", &f), 0);
    struct archive_narrow bad = {.kind = ARCHIVE_NARROW_TERM, .term = "\xe5\xbe\xe5"};
    assert_int_equal(scan_narrow(fx->a, &bad, &f), 7); /* not UTF-8: true, no error */
    assert_int_equal(scan_term(fx->a, "^征地", &f), 0);
}

static void test_and_or_formulas(void **state)
{
    struct archive_fixture *fx = *state;
    static const char *const titles[] = {"征地拆迁", "征地补偿", "拆迁补偿", "乡村振兴"};
    static const char *const texts[] = {"", "", "", ""};
    put_texts(fx->a, titles, texts, 4);
    struct archive_narrow zd = {.kind = ARCHIVE_NARROW_TERM, .term = "征地"};
    struct archive_narrow cq = {.kind = ARCHIVE_NARROW_TERM, .term = "拆迁"};
    struct archive_narrow one = {.kind = ARCHIVE_NARROW_TERM, .term = "征"};
    const struct archive_narrow *k_and[] = {&zd, &cq};
    struct archive_narrow both = {.kind = ARCHIVE_NARROW_AND, .kids = k_and, .n_kids = 2};
    struct archive_narrow either = {.kind = ARCHIVE_NARROW_OR, .kids = k_and, .n_kids = 2};
    struct found f;
    assert_int_equal(scan_narrow(fx->a, &both, &f), 1);
    assert_true(f.hit[0]);
    assert_int_equal(scan_narrow(fx->a, &either, &f), 3);
    assert_false(f.hit[3]);
    const struct archive_narrow *k_true[] = {&zd, &one};
    struct archive_narrow and_true = {.kind = ARCHIVE_NARROW_AND, .kids = k_true, .n_kids = 2};
    struct archive_narrow or_true = {.kind = ARCHIVE_NARROW_OR, .kids = k_true, .n_kids = 2};
    assert_int_equal(scan_narrow(fx->a, &and_true, &f), 2); /* 征地 AND true = 征地 */
    assert_int_equal(scan_narrow(fx->a, &or_true, &f), 4);  /* 征地 OR true = true */
    const struct archive_narrow *k_nest[] = {&both, &or_true};
    struct archive_narrow nest = {.kind = ARCHIVE_NARROW_AND, .kids = k_nest, .n_kids = 2};
    assert_int_equal(scan_narrow(fx->a, &nest, &f), 1);
    struct archive_narrow empty_or = {.kind = ARCHIVE_NARROW_OR, .kids = NULL, .n_kids = 0};
    assert_int_equal(scan_narrow(fx->a, &empty_or, &f), 4);
}

static void test_match_expressions(void **state)
{
    (void)state;
    char *e = NULL;
    struct archive_narrow zd = {.kind = ARCHIVE_NARROW_TERM, .term = "征地"};
    struct archive_narrow q = {.kind = ARCHIVE_NARROW_TERM, .term = "a\"b"};
    struct archive_narrow one = {.kind = ARCHIVE_NARROW_TERM, .term = "x"};
    assert_int_equal(archive_bigram_match_expr(&zd, &e), 0);
    assert_string_equal(e, "\"征地\"");
    free(e);
    assert_int_equal(archive_bigram_match_expr(&q, &e), 0);
    assert_string_equal(e, "\"a\"\"b\"");
    free(e);
    assert_int_equal(archive_bigram_match_expr(&one, &e), 0);
    assert_null(e);
    assert_int_equal(archive_bigram_match_expr(NULL, &e), 0);
    assert_null(e);
    const struct archive_narrow *kids[] = {&zd, &one, &q};
    struct archive_narrow and3 = {.kind = ARCHIVE_NARROW_AND, .kids = kids, .n_kids = 3};
    assert_int_equal(archive_bigram_match_expr(&and3, &e), 0);
    assert_string_equal(e, "(\"征地\" AND \"a\"\"b\")");
    free(e);
    const struct archive_narrow *kids2[] = {&zd, &q};
    struct archive_narrow or2 = {.kind = ARCHIVE_NARROW_OR, .kids = kids2, .n_kids = 2};
    assert_int_equal(archive_bigram_match_expr(&or2, &e), 0);
    assert_string_equal(e, "(\"征地\" OR \"a\"\"b\")");
    free(e);
    const struct archive_narrow *kids3[] = {&one};
    struct archive_narrow and1 = {.kind = ARCHIVE_NARROW_AND, .kids = kids3, .n_kids = 1};
    assert_int_equal(archive_bigram_match_expr(&and1, &e), 0);
    assert_null(e);
}

/* The PostgreSQL forms: a term is the AND of its bigram lexemes, quotes and backslashes escaped. */
static void test_tsquery_and_tsvector(void **state)
{
    (void)state;
    char *e = NULL;
    struct archive_narrow zd = {.kind = ARCHIVE_NARROW_TERM, .term = "征地补偿"};
    struct archive_narrow q = {.kind = ARCHIVE_NARROW_TERM, .term = "a'\\"};
    struct archive_narrow one = {.kind = ARCHIVE_NARROW_TERM, .term = "x"};
    assert_int_equal(archive_bigram_tsquery(&zd, &e), 0);
    assert_string_equal(e, "('征地' & '地补' & '补偿')");
    free(e);
    assert_int_equal(archive_bigram_tsquery(&q, &e), 0);
    assert_string_equal(e, "('a''' & '''\\\\')");
    free(e);
    assert_int_equal(archive_bigram_tsquery(&one, &e), 0);
    assert_null(e);
    const struct archive_narrow *kids[] = {&zd, &one, &q};
    struct archive_narrow and3 = {.kind = ARCHIVE_NARROW_AND, .kids = kids, .n_kids = 3};
    assert_int_equal(archive_bigram_tsquery(&and3, &e), 0);
    assert_string_equal(e, "(('征地' & '地补' & '补偿') & ('a''' & '''\\\\'))");
    free(e);
    struct archive_narrow or3 = {.kind = ARCHIVE_NARROW_OR, .kids = kids, .n_kids = 3};
    assert_int_equal(archive_bigram_tsquery(&or3, &e), 0);
    assert_null(e); /* x OR true = true */
    assert_int_equal(archive_bigram_tsvector("征地a", strlen("征地a"), "b c", 3, &e), 0);
    assert_string_equal(e, " ' c' 'b ' '地a' '征地'"); /* distinct, bytewise order */
    free(e);
    assert_int_equal(archive_bigram_tsvector("abab", 4, "ab", 2, &e), 0);
    assert_string_equal(e, " 'ab' 'ba'");
    free(e);
    assert_int_equal(archive_bigram_tsvector(NULL, 0, "x", 1, &e), 0);
    assert_string_equal(e, "");
    free(e);
    /* more distinct bigrams than a tsvector holds: none (the item is stored unindexed) */
    size_t n_cp = 250000;
    char *big = malloc(n_cp * 3 + 1);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < n_cp; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned cp = 0x4E00 + (unsigned)(x % 0x5000);
        big[i * 3] = (char)(0xE0 | (cp >> 12));
        big[i * 3 + 1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        big[i * 3 + 2] = (char)(0x80 | (cp & 0x3F));
    }
    big[n_cp * 3] = '\0';
    assert_int_equal(archive_bigram_tsvector(big, n_cp * 3, NULL, 0, &e), ERR_TOO_BIG);
    assert_null(e);
    /* half of it fits */
    assert_int_equal(archive_bigram_tsvector(big, n_cp * 3 / 2, NULL, 0, &e), 0);
    assert_true(strlen(e) > ARCHIVE_BIGRAM_TSVECTOR_MAX_BYTES / 2);
    free(e);
    free(big);
}

/* ---- the property: the index never misses a true hit ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A small alphabet so that terms hit often: CJK, Latin of both widths, digits, space, marks. */
static const char *const alphabet[] = {
    "征", "地", "拆", "迁", "补", "偿", "徵", "A", "a", "ｂ", "b", "5", "５", "G", " ", "\"",
    "*", "-", ":", "。",
};
#define N_ALPHA (sizeof alphabet / sizeof alphabet[0])
#define N_TEXTS 300
#define N_FORMULAS 400

static void rand_text(char *buf, size_t cap, size_t n_cp)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n_cp; i++) {
        const char *c = alphabet[rnd() % N_ALPHA];
        size_t cl = strlen(c);
        if (len + cl + 1 > cap) {
            break;
        }
        memcpy(buf + len, c, cl + 1);
        len += cl;
    }
}

struct formula {
    struct archive_narrow nodes[16];
    const struct archive_narrow *kids[16][4];
    char terms[16][64];
    size_t n;
};

/* Build a random formula of depth <= 2 into fm; returns its root. */
static const struct archive_narrow *rand_node(struct formula *fm, int depth)
{
    size_t k = fm->n++;
    struct archive_narrow *nd = &fm->nodes[k];
    if (depth >= 2 || rnd() % 3 == 0 || fm->n + 4 > 16) {
        char raw[64];
        rand_text(raw, sizeof raw, 1 + rnd() % 4);
        char *t = norm_term(raw);
        snprintf(fm->terms[k], sizeof fm->terms[k], "%s", t);
        free(t);
        *nd = (struct archive_narrow){.kind = ARCHIVE_NARROW_TERM, .term = fm->terms[k]};
        return nd;
    }
    size_t nk = 1 + rnd() % 3;
    for (size_t i = 0; i < nk; i++) {
        fm->kids[k][i] = rand_node(fm, depth + 1);
    }
    *nd = (struct archive_narrow){.kind = rnd() % 2 ? ARCHIVE_NARROW_AND : ARCHIVE_NARROW_OR,
                                  .kids = fm->kids[k], .n_kids = nk};
    return nd;
}

static bool holds(const struct archive_narrow *nd, const char *title, const char *text)
{
    if (nd->kind == ARCHIVE_NARROW_TERM) {
        return strstr(title, nd->term) || strstr(text, nd->term);
    }
    for (size_t i = 0; i < nd->n_kids; i++) {
        bool h = holds(nd->kids[i], title, text);
        if (nd->kind == ARCHIVE_NARROW_AND && !h) {
            return false;
        }
        if (nd->kind == ARCHIVE_NARROW_OR && h) {
            return true;
        }
    }
    return nd->kind == ARCHIVE_NARROW_AND;
}

static void test_property_never_misses_a_hit(void **state)
{
    struct archive_fixture *fx = *state;
    rng_state = 0x5EED2026ULL;
    static char titles[N_TEXTS][128];
    static char texts[N_TEXTS][256];
    static char ntitles[N_TEXTS][256];
    static char ntexts[N_TEXTS][512];
    const char *tp[N_TEXTS];
    const char *xp[N_TEXTS];
    for (size_t i = 0; i < N_TEXTS; i++) {
        rand_text(titles[i], sizeof titles[i], rnd() % 12);
        rand_text(texts[i], sizeof texts[i], rnd() % 40);
        tp[i] = titles[i];
        xp[i] = texts[i];
        char *a = norm_term(titles[i]);
        char *b = norm_term(texts[i]);
        snprintf(ntitles[i], sizeof ntitles[i], "%s", a);
        snprintf(ntexts[i], sizeof ntexts[i], "%s", b);
        free(a);
        free(b);
    }
    put_texts(fx->a, tp, xp, N_TEXTS);
    size_t true_hits = 0;
    size_t extra = 0;
    for (size_t k = 0; k < N_FORMULAS; k++) {
        struct formula fm = {0};
        const struct archive_narrow *root = rand_node(&fm, 0);
        struct found f;
        scan_narrow(fx->a, root, &f);
        for (size_t i = 0; i < N_TEXTS; i++) {
            bool h = holds(root, ntitles[i], ntexts[i]);
            if (h && !f.hit[i]) {
                fail_msg("formula %zu misses item %zu (title '%s', text '%s')", k, i,
                         ntitles[i], ntexts[i]);
            }
            true_hits += h;
            extra += !h && f.hit[i];
        }
    }
    print_message("property: %zu true hits over %d formulas, %zu extra candidates\n", true_hits,
                  N_FORMULAS, extra);
    assert_true(true_hits > 1000); /* the alphabet makes the test meaningful */
}

/* Bad bytes and the largest text an item may carry: stored, indexed, no crash. */
static void test_bad_utf8_and_huge_text(void **state)
{
    struct archive_fixture *fx = *state;
    size_t big = YQ_ITEM_MAX_TEXT_BYTES;
    char *text = malloc(big + 1);
    for (size_t i = 0; i + 3 <= big; i += 3) {
        memcpy(text + i, i % 2 ? "迁" : "拆", 3);
    }
    size_t used = big / 3 * 3;
    memcpy(text + used - 6, "结尾", 6);
    text[used] = '\0';
    static const char *titles[2];
    static const char *texts[2];
    titles[0] = "\xff\xfe征地\xc3";
    texts[0] = "\xe5\xbe\xe5 拆迁";
    titles[1] = "大文本";
    texts[1] = text;
    put_texts(fx->a, titles, texts, 2);
    struct found f;
    assert_int_equal(scan_term(fx->a, "征地", &f), 1);
    assert_true(f.hit[0]);
    assert_int_equal(scan_term(fx->a, "结尾", &f), 1);
    assert_true(f.hit[1]);
    assert_int_equal(scan_term(fx->a, "拆迁", &f), 2);
    assert_int_equal(scan_term(fx->a, "迁拆", &f), 1);
    struct archive_row row;
    char err[256];
    assert_int_equal(archive_get(fx->a, "i0", &row, err, sizeof err), 0);
    if (db_fixture_pg()) {
        /* PostgreSQL text is UTF-8: each bad byte is stored as U+FFFD */
        assert_string_equal(row.item.title, "\xef\xbf\xbd\xef\xbf\xbd征地\xef\xbf\xbd");
    } else {
        assert_string_equal(row.item.title, "\xff\xfe征地\xc3"); /* stored as given */
    }
    archive_row_release(&row);
    assert_int_equal(archive_get(fx->a, "i1", &row, err, sizeof err), 0);
    assert_int_equal(strlen(row.item.text), used);
    archive_row_release(&row);
    free(text);
}

/* FX(test): test with a fixture of its own: fx_setup() before it, fx_teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_terms_found_inside_words),        FX(test_and_or_formulas),
        cmocka_unit_test(test_match_expressions), cmocka_unit_test(test_tsquery_and_tsvector),
        FX(test_bad_utf8_and_huge_text),          FX(test_property_never_misses_a_hit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
