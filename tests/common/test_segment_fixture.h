/*
 * The segmenter a test group shares (header-only; include after cmocka.h):
 * test_seg is opened with Debian's friso dictionary (yq_segment_open(NULL, ...)) before the
 * group and closed after it. Pass test_segment_setup and test_segment_teardown to
 * cmocka_run_group_tests(); a failed open prints its message and fails the group.
 */
#ifndef TEST_SEGMENT_FIXTURE_H
#define TEST_SEGMENT_FIXTURE_H

#include <stdio.h>

#include "yq_segment.h"

static struct yq_segment *test_seg;

static inline int test_segment_setup(void **state)
{
    char err[256];

    (void)state;
    if (yq_segment_open(NULL, &test_seg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static inline int test_segment_teardown(void **state)
{
    (void)state;
    yq_segment_close(test_seg);
    return 0;
}

#endif
