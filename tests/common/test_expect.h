/*
 * Text checks the tests of every process share (header-only; include after cmocka.h): a
 * document (a CLI's output, a message body, /metrics) must hold each of a list of needles and
 * none of another. A failure names the document and the needle, and prints the document.
 */
#ifndef TEST_EXPECT_H
#define TEST_EXPECT_H

#include <stddef.h>
#include <string.h>

/*
 * Fail the running test unless text (NUL-terminated; what names it) contains each of the
 * n_present needles and none of the n_absent ones (either list may be NULL when empty).
 */
static inline void test_expect_text(const char *what, const char *text, const char *const *present,
                                    size_t n_present, const char *const *absent, size_t n_absent)
{
    for (size_t i = 0; i < n_present; i++) {
        if (!strstr(text, present[i])) {
            fail_msg("%s lacks '%s':\n%s", what, present[i], text);
        }
    }
    for (size_t i = 0; i < n_absent; i++) {
        if (strstr(text, absent[i])) {
            fail_msg("%s holds '%s':\n%s", what, absent[i], text);
        }
    }
}

#endif
