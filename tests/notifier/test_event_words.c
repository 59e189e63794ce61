/* notifier/event_words: an event's hot words (issue #13, docs/desk.md "Hot words"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "event_words.h"
#include "notifier_fixture.h"
#include "ticket_store_int.h"
#include "yq_err.h"
#include "test_segment_fixture.h"
#include "yq_json.h"

/* The result as compact JSON (new string). */
static char *top_json(const char *const *texts, size_t n, size_t max)
{
    json_t *out = NULL;
    char *s;

    assert_int_equal(event_words_top(test_seg, texts, n, max, &out), 0);
    assert_non_null(out);
    s = yq_json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    assert_non_null(s);
    return s;
}

/* Five items of one 征地拆迁 event in 汉滨区 as a Weibo/news mix would bring them. */
static const char *const land_items[] = {
    "汉滨区征地拆迁补偿款迟迟不到位\n网友@安康小李 "
    "称，汉滨区某村征地拆迁补偿款拖欠半年，村民多次反映无果。"
    "https://weibo.com/1234567890/Abc",
    "村民反映征地补偿标准过低\n记者今天从汉滨区了解到，部分村民认为征地补偿标准过低，补偿款至今未发"
    "放。",
    "【关注】汉滨区征地拆迁引发村民不满 //@安康发布: 已转相关部门核实",
    "汉滨区回应征地拆迁补偿问题\n汉滨区表示，将尽快核实补偿款发放情况，依法保障村民合法权益。",
    "征地补偿补偿补偿补偿补偿补偿补偿补偿补偿补偿款拖欠拖欠拖欠拖欠 2026年12月5日 100万元！！！",
};

/*
 * Document frequency: 征地 is in all five items, 补偿 in four (item 5 repeats it ten times and
 * counts once); the @names (安康小李, 安康发布), the URL, 记者/今天/相关部门, the date and 100万元
 * are gone; ties are in byte order of the UTF-8 (村民 < 汉滨区 < 补偿).
 */
static void test_top_words_of_a_small_event(void **state)
{
    char *s;

    (void)state;
    s = top_json(land_items, 5, 8);
    assert_string_equal(s, "[{\"word\":\"征地\",\"count\":5},{\"word\":\"村民\",\"count\":4},"
                           "{\"word\":\"汉滨区\",\"count\":4},{\"word\":\"补偿\",\"count\":4},"
                           "{\"word\":\"拆迁\",\"count\":3},{\"word\":\"反映\",\"count\":2},"
                           "{\"word\":\"拖欠\",\"count\":2},{\"word\":\"核实\",\"count\":2}]");
    free(s);
    /* the whole list: 27 words, none of them a stop word, a number, a name or a URL part */
    {
        json_t *out = NULL;
        size_t i;
        json_t *o;

        assert_int_equal(event_words_top(test_seg, land_items, 5, 100, &out), 0);
        assert_int_equal(json_array_size(out), 27);
        json_array_foreach(out, i, o)
        {
            const char *w = json_string_value(json_object_get(o, "word"));

            assert_false(event_words_is_stopword(w));
            assert_null(strstr(w, "安康"));
            assert_null(strstr(w, "weibo"));
            assert_null(strstr(w, "2026"));
            assert_null(strstr(w, "万元"));
            assert_true(strlen(w) > 3); /* no single character */
        }
        assert_string_equal(json_string_value(json_object_get(json_array_get(out, 26), "word")),
                            "部分");
        json_decref(out);
    }
    /* max_words cuts the list; order stays */
    s = top_json(land_items, 5, 2);
    assert_string_equal(s, "[{\"word\":\"征地\",\"count\":5},{\"word\":\"村民\",\"count\":4}]");
    free(s);
}

static void test_stop_words_are_dropped(void **state)
{
    static const char *const texts[] = {
        "我们今天在这里，网友们表示：这个视频太真实了！转发微博。",
        "记者从市住房和城乡建设局获悉，目前已经开展工作。",
        "The HTTPS link www.example.com/a?b=1 and 12:30 3.5% 2026-12-05 第3期",
    };
    char *s;

    (void)state;
    assert_true(event_words_is_stopword("网友"));
    assert_true(event_words_is_stopword("记者"));
    assert_true(event_words_is_stopword("今天"));
    assert_true(event_words_is_stopword("的"));
    assert_true(event_words_is_stopword("HTTPS")); /* ASCII case does not matter */
    assert_false(event_words_is_stopword("征地"));
    assert_false(event_words_is_stopword(""));
    assert_false(event_words_is_stopword(NULL));
    s = top_json(texts, 3, 30);
    /* what remains is content: the bureau's name parts and 真实, 获悉 is a stop word */
    assert_null(strstr(s, "网友"));
    assert_null(strstr(s, "今天"));
    assert_null(strstr(s, "视频"));
    assert_null(strstr(s, "记者"));
    assert_null(strstr(s, "example"));
    assert_null(strstr(s, "https"));
    assert_null(strstr(s, "\"12"));
    assert_null(strstr(s, "2026"));
    assert_non_null(strstr(s, "\"真实\""));
    free(s);
}

static void test_empty_input(void **state)
{
    static const char *const blanks[] = {"", NULL, "   \n\t", "。，！？", "的了是"};
    char *s;
    json_t *out = (json_t *)1;

    (void)state;
    s = top_json(NULL, 0, 10);
    assert_string_equal(s, "[]");
    free(s);
    s = top_json(blanks, 5, 10);
    assert_string_equal(s, "[]");
    free(s);
    s = top_json(land_items, 5, 0);
    assert_string_equal(s, "[]");
    free(s);
    assert_int_equal(event_words_top(NULL, land_items, 5, 10, &out), ERR_INVALID);
    assert_null(out);
    assert_int_equal(event_words_top(test_seg, NULL, 3, 10, &out), ERR_INVALID);
    assert_int_equal(event_words_top(test_seg, land_items, 5, 10, NULL), ERR_INVALID);
}

/*
 * Invalid UTF-8, control bytes, markup and a huge text: no crash, valid words only; markup
 * is text (the page escapes it), Latin words sort before CJK in byte order.
 */
static void test_hostile_input(void **state)
{
    char *big = malloc(YQ_SEGMENT_MAX_INPUT_BYTES * 2 + 1);
    const char *texts[5];
    json_t *out = NULL;
    size_t i;
    json_t *o;
    char *s;

    (void)state;
    assert_non_null(big);
    /* 征地 repeated well past the input bound, ending in half a character */
    for (i = 0; i + 6 <= YQ_SEGMENT_MAX_INPUT_BYTES * 2; i += 6) {
        memcpy(big + i, "征地", 6);
    }
    big[i] = '\xE5';
    big[i + 1] = '\0';
    texts[0] = "\xff\xfe补偿\xE5\x81款\xC0\xAF拖欠\x01\x02\x7f拖欠";
    texts[1] = "<script>alert('补偿')</script>\"拖欠\" &amp; 补偿";
    texts[2] = big;
    texts[3] = "@@@@ ＠＠ http:// https://\xff www. @";
    texts[4] = "\xED\xA0\x80\xF4\x90\x80\x80 补偿"; /* a surrogate and a value above U+10FFFF */
    assert_int_equal(event_words_top(test_seg, texts, 5, 10, &out), 0);
    json_array_foreach(out, i, o)
    {
        const char *w = json_string_value(json_object_get(o, "word"));

        assert_non_null(w);
        assert_true(strlen(w) <= EVENT_WORDS_MAX_WORD_BYTES);
    }
    s = yq_json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(s, "[{\"word\":\"补偿\",\"count\":3},{\"word\":\"拖欠\",\"count\":2},"
                           "{\"word\":\"alert\",\"count\":1},{\"word\":\"script\",\"count\":1},"
                           "{\"word\":\"征地\",\"count\":1}]");
    free(s);
    json_decref(out);
    free(big);
}

/* From the store: an event's items (title + excerpt), other events' items not mixed in. */
static void test_words_of_an_event_in_the_store(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    json_t *out = NULL;
    char *s;

    (void)state;
    assert_int_equal(
        yq_db_exec_raw(store->db, "INSERT INTO events (id, event_key, state, title, level, detected_at, "
                     "last_item_at, judge_deadline, created_at, updated_at) VALUES "
                     "(7, 'ev:7', 'pending', 't', 'III', 1, 1, 1, 1, 1), "
                     "(8, 'ev:8', 'pending', 't', 'III', 1, 1, 1, 1, 1);"
                     "INSERT INTO event_items (event_id, item_id, title, excerpt, matched_at, "
                     "added_at) VALUES "
                     "(7, 'a', '汉滨区征地拆迁补偿', '村民反映补偿款拖欠', 1, 1), "
                     "(7, 'b', '征地补偿标准过低', '', 2, 2), "
                     "(8, 'c', '紫阳县医院排长队', '医院挂号难', 3, 3);"),
        YQ_DB_OK);
    assert_int_equal(event_words_for_event(store, test_seg, 7, 4, &out), 0);
    s = yq_json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(s, "[{\"word\":\"征地\",\"count\":2},{\"word\":\"补偿\",\"count\":2},"
                           "{\"word\":\"反映\",\"count\":1},{\"word\":\"拆迁\",\"count\":1}]");
    free(s);
    json_decref(out);
    assert_int_equal(event_words_for_event(store, test_seg, 99, 4, &out), 0);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    assert_int_equal(event_words_for_event(store, NULL, 7, 4, &out), ERR_INVALID);
    ticket_store_free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_words_of_a_small_event),
        cmocka_unit_test(test_stop_words_are_dropped),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_words_of_an_event_in_the_store),
    };
    return cmocka_run_group_tests(tests, test_segment_setup, test_segment_teardown);
}
