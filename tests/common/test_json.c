/* common/yq_json: the shared JSON helpers (yq_json_array_add_distinct). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_json.h"

/* The compact text of v, compared with want. */
static void is(const json_t *v, const char *want)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_distinct_keeps_order_and_skips_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
