/*
 * The archive over a real feed (skipped when the shared corpus is absent): every item of
 * corpus/wechat/wechat-feeds_zhongguozhengfuwang_MzA4MDA0MzcwMA.xml is archived through the
 * collector's own parser, then a word of its titles is found by the index, also when written
 * in traditional characters, and every candidate truly holds it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "feed_item.h"
#include "feed_parse.h"
#include "file_fixture.h"
#include "norm.h"
#include "yq_err.h"
#include "yq_fs.h"

#define CORPUS_FILE "corpus/wechat/wechat-feeds_zhongguozhengfuwang_MzA4MDA0MzcwMA.xml"

struct hits {
    size_t n;
    size_t with_word; /* candidates whose normalised title or text holds the word */
    const char *word;
};

static int on_row(const struct archive_row *row, void *arg)
{
    struct hits *h = arg;
    const struct norm *nm = NULL;
    char err[128];
    assert_int_equal(norm_global(&nm, err, sizeof err), 0);
    char *title = NULL;
    char *text = NULL;
    assert_int_equal(norm_string(nm, row->item.title, &title), 0);
    assert_int_equal(norm_string(nm, row->item.text, &text), 0);
    h->n++;
    h->with_word += strstr(title, h->word) || strstr(text, h->word);
    free(title);
    free(text);
    return 0;
}

static size_t count_word(struct archive *a, const char *raw, size_t *truly)
{
    const struct norm *nm = NULL;
    char err[256];
    assert_int_equal(norm_global(&nm, err, sizeof err), 0);
    char *term = NULL;
    assert_int_equal(norm_string(nm, raw, &term), 0);
    struct archive_narrow nw = {.kind = ARCHIVE_NARROW_TERM, .term = term};
    struct archive_filter f = {.narrow = &nw};
    struct hits h = {.word = term};
    if (archive_scan(a, &f, on_row, &h, err, sizeof err) != 0) {
        fail_msg("scan: %s", err);
    }
    free(term);
    *truly = h.with_word;
    return h.n;
}

static void test_corpus_feed_archived_and_found(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", YQ_SHARED_DIR, CORPUS_FILE);
    char *body = NULL;
    size_t len = 0;
    if (yq_fs_read_file(path, 64 * 1024 * 1024, &body, &len) != 0) {
        print_message("shared input %s not found: skipping\n", path);
        skip();
    }
    struct feed_input in = {.body = body, .len = len};
    struct feed *feed = NULL;
    char err[512] = "";
    assert_int_equal(feed_parse(&in, &feed, err, sizeof err), 0);
    assert_true(feed->n_entries >= 10);
    struct yq_item *items = calloc(feed->n_entries, sizeof *items);
    const struct yq_item **p = calloc(feed->n_entries, sizeof *p);
    size_t n = 0;
    for (size_t i = 0; i < feed->n_entries; i++) {
        if (feed_item_from_entry(feed, &feed->entries[i], "gov-wechat", "中国政府网",
                                 1781000000, 0, &items[n]) == 0) {
            p[n] = &items[n];
            n++;
        }
    }
    assert_int_equal(n, feed->n_entries);
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/yq-archive-XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct archive *a = NULL;
    assert_int_equal(archive_init(dir, err, sizeof err), 0);
    assert_int_equal(archive_open(dir, NULL, &a, err, sizeof err), 0);
    struct archive_put_result res;
    if (archive_put(a, p, n, NULL, 0, &res, err, sizeof err) != 0) {
        fail_msg("put: %s", err);
    }
    assert_int_equal(res.items_new + res.items_dup, n);
    json_t *st = NULL;
    assert_int_equal(archive_stats(a, &st, err, sizeof err), 0);
    assert_int_equal(json_integer_value(json_object_get(st, "items")), res.items_new);
    json_decref(st);
    /* the brute-force count of items whose title or text holds 振兴 */
    const struct norm *nm = NULL;
    assert_int_equal(norm_global(&nm, err, sizeof err), 0);
    size_t expect = 0;
    for (size_t i = 0; i < n; i++) {
        char *t = NULL;
        char *x = NULL;
        assert_int_equal(norm_string(nm, items[i].title, &t), 0);
        assert_int_equal(norm_string(nm, items[i].text, &x), 0);
        expect += strstr(t, "振兴") || strstr(x, "振兴");
        free(t);
        free(x);
    }
    assert_true(expect >= 1); /* 推动东北全面振兴 */
    size_t truly = 0;
    assert_int_equal(count_word(a, "振兴", &truly), expect);
    assert_int_equal(truly, expect);
    assert_int_equal(count_word(a, "振興", &truly), expect); /* traditional, normalised */
    archive_close(a);
    for (size_t i = 0; i < n; i++) {
        yq_item_release(&items[i]);
    }
    free(items);
    free(p);
    feed_free(feed);
    free(body);
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_feed_archived_and_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
