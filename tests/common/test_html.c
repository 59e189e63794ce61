/* The one HTML escaping table: every character that can end text or a quoted attribute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "yq_html.h"

static void test_entities(void **state)
{
    static const struct {
        char c;
        const char *want;
    } cases[] = {
        {'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"},
        {'`', "&#96;"}, {'a', NULL},   {'=', NULL},   {'/', NULL},     {(char)0xE4, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = yq_html_entity(cases[i].c);
        if (cases[i].want) {
            assert_non_null(got);
            assert_string_equal(got, cases[i].want);
        } else {
            assert_null(got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_entities)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
