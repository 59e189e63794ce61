/*
 * JSON checks the tests of every process share (header-only; include after cmocka.h): an
 * object's string members against a table of {key, value}, and a value found by its path. A
 * failure names the object, the key, what was found and what was wanted.
 */
#ifndef TEST_EXPECT_JSON_H
#define TEST_EXPECT_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One expected string member of a JSON object. */
struct test_json_str {
    const char *key;
    const char *want;
};

/*
 * Fail the running test unless obj (borrowed; what names it) has, for each of the n rows of
 * want, a string member key equal to want (a missing or non-string member fails too).
 */
static inline void test_expect_json_strings(const char *what, const json_t *obj,
                                            const struct test_json_str *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = json_string_value(json_object_get(obj, want[i].key));

        if (!got) {
            fail_msg("%s.%s is not a string (want '%s')", what, want[i].key, want[i].want);
        }
        if (strcmp(got, want[i].want) != 0) {
            fail_msg("%s.%s is '%s', not '%s'", what, want[i].key, got, want[i].want);
        }
    }
}

/*
 * The value at path below root (borrowed from root; NULL when a step is missing): path is
 * steps apart by '.', each an object's key or, on an array, a decimal index, e.g.
 * "matches.0.department" or "highlights.text.0.1" (keys holding '.' cannot be named).
 */
static inline json_t *test_json_at(const json_t *root, const char *path)
{
    json_t *v = (json_t *)root;
    char step[128];

    while (v && *path) {
        size_t n = strcspn(path, ".");

        snprintf(step, sizeof(step), "%.*s", (int)n, path);
        if (json_is_array(v)) {
            char *end;
            unsigned long i = strtoul(step, &end, 10);

            v = (*step && !*end) ? json_array_get(v, i) : NULL;
        } else {
            v = json_object_get(v, step);
        }
        path += n + (path[n] == '.');
    }
    return v;
}

#endif
