/*
 * common/yq_json: the shared JSON helpers (yq_json_array_add_distinct, the wire message decoder
 * yq_json_decode_object, the stored column reader yq_json_column_array).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "yq_err.h"
#include "yq_json.h"

/* The compact text of v, compared with want. */
static void is(const json_t *v, const char *want)
{
    char *text = yq_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
}

static void test_add_distinct_keeps_order_and_skips_held(void **state)
{
    (void)state;
    json_t *set = json_loads("[\"强拆\",\"违建\"]", 0, NULL);
    json_t *from = json_loads("[\"违建\",\"征地\",7,\"征地\",\"强拆\"]", 0, NULL);

    assert_int_equal(yq_json_array_add_distinct(set, from, true), 0);
    is(set, "[\"强拆\",\"违建\",\"征地\"]");
    assert_int_equal(yq_json_array_add_distinct(set, from, false), 0);
    is(set, "[\"强拆\",\"违建\",\"征地\",7]");
    assert_int_equal(yq_json_array_add_distinct(set, NULL, false), 0);
    is(set, "[\"强拆\",\"违建\",\"征地\",7]");
    /* not an array to add to: refused when there is something to add */
    assert_int_equal(yq_json_array_add_distinct(NULL, from, false), ERR_NOMEM);
    json_decref(from);
    json_decref(set);
}

/* One policy for every wire message: each case's error code and exact message. */
static void test_decode_object_one_policy(void **state)
{
    static const struct {
        const char *json;
        size_t len; /* 0: strlen(json) */
        size_t max_bytes;
        int err;
        const char *msg;
    } cases[] = {
        {"{\"id\":\"a\",\"id\":\"b\"}", 0, 0, ERR_PARSE,
         "item is not JSON: duplicate object key near '\"id\"' at line 1 col 14"},
        {"{\"id\":\"a\\u0000b\"}", 0, 0, ERR_PARSE,
         "item is not JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"' "
         "at line 1 col 16"},
        {"{\"id\":\"a\0b\"}", 13, 0, ERR_PARSE,
         "item is not JSON: control character 0x0 near '\"a' at line 1 col 8"},
        {"{\"id\":\"a\"} {}", 0, 0, ERR_PARSE,
         "item is not JSON: end of file expected near '{' at line 1 col 12"},
        {"{\"id\":", 0, 0, ERR_PARSE,
         "item is not JSON: unexpected token near end of file at line 1 col 6"},
        {"", 0, 0, ERR_PARSE,
         "item is not JSON: '[' or '{' expected near end of file at line 1 col 0"},
        {"[1,2]", 0, 0, ERR_PARSE, "item is not a JSON object"},
        {"{\"id\":\"a\"}", 0, 8, ERR_TOO_BIG, "item is 10 bytes, more than 8"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = (json_t *)&obj;
        char err[160] = "";
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].json);
        assert_int_equal(yq_json_decode_object(cases[i].json, len, cases[i].max_bytes, "item", &obj,
                                               err, sizeof(err)),
                         cases[i].err);
        assert_string_equal(err, cases[i].msg);
        assert_null(obj);
    }
}

static void test_decode_object_takes_an_object(void **state)
{
    json_t *obj = NULL;
    char err[64] = "";

    (void)state;
    /* at the cap is within it; the buffer need not be NUL-terminated */
    assert_int_equal(
        yq_json_decode_object("{\"id\":\"a\"}xyz", 10, 10, "item", &obj, err, sizeof(err)), 0);
    assert_string_equal(json_string_value(json_object_get(obj, "id")), "a");
    assert_string_equal(err, "");
    json_decref(obj);
    /* NULL is an empty buffer; errbuf may be NULL */
    assert_int_equal(yq_json_decode_object(NULL, 5, 0, "item", &obj, NULL, 0), ERR_PARSE);
    assert_null(obj);
}

/* A stored column: NULL and "" are [], a corrupt one is [] with one warning naming it. */
static void test_column_array_reads_corrupt_as_empty(void **state)
{
    static const struct {
        const char *text;
        const char *want;
        int warns;
    } cases[] = {
        {NULL, "[]", 0},
        {"", "[]", 0},
        {"[\"市应急管理局\",\"市公安局\"]", "[\"市应急管理局\",\"市公安局\"]", 0},
        {"市应急管理局", "[]", 1},
        {"{\"a\":1}", "[]", 1},
        {"[\"市公安局\"", "[]", 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[] = "/tmp/test_json_XXXXXX", log[1024] = "";
        int fd = mkstemp(path), saved;
        json_t *arr;
        assert_true(fd >= 0);
        close(fd);
        saved = capture_begin(STDERR_FILENO, path);
        arr = yq_json_column_array(cases[i].text, "co_departments");
        capture_end(STDERR_FILENO, saved, path, log, sizeof(log));
        unlink(path);
        assert_non_null(arr);
        is(arr, cases[i].want);
        json_decref(arr);
        if (cases[i].warns) {
            assert_non_null(strstr(log, "stored json column corrupt column=co_departments"));
            assert_null(strstr(log, "市")); /* never the value */
        } else {
            assert_string_equal(log, "");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_distinct_keeps_order_and_skips_held),
        cmocka_unit_test(test_decode_object_one_policy),
        cmocka_unit_test(test_decode_object_takes_an_object),
        cmocka_unit_test(test_column_array_reads_corrupt_as_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
