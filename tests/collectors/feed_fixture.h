/*
 * What the feed parser's tests share (header-only; include after cmocka.h, link
 * yq_collector): parse a document that must parse, print a time as the tests compare it,
 * and run a table of date strings through feed_date_parse(). A failure fails the running
 * test and names the input.
 */
#ifndef FEED_FIXTURE_H
#define FEED_FIXTURE_H

#include <iconv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed_date.h"
#include "feed_parse.h"
#include "yq_err.h"
#include "yq_time.h"

/* The feed parsed from in, which must parse (rc 0). Returns a new feed (feed_free()). */
static inline struct feed *ffx_parse(const struct feed_input *in)
{
    struct feed *f = NULL;
    char err[256] = "";
    int rc = feed_parse(in, &f, err, sizeof(err));

    if (rc != 0) {
        print_error("feed_parse failed rc=%d err=%s\n", rc, err);
    }
    assert_int_equal(rc, 0);
    assert_non_null(f);
    return f;
}

/*
 * utf8 (NUL-terminated) converted to enc with iconv: new buffer (free()), *len bytes. Fails
 * the running test when the text cannot be written in enc.
 */
static inline char *ffx_encode(const char *utf8, const char *enc, size_t *len)
{
    size_t in_left = strlen(utf8), cap = in_left * 4 + 16, out_left = cap;
    char *out = malloc(cap), *op = out, *ip = (char *)utf8;
    iconv_t cd = iconv_open(enc, "UTF-8");

    assert_non_null(out);
    assert_true(cd != (iconv_t)-1);
    if (iconv(cd, &ip, &in_left, &op, &out_left) == (size_t)-1) {
        print_error("test text cannot be written in %s\n", enc);
        fail();
    }
    iconv_close(cd);
    *len = cap - out_left;
    return out;
}

/* t as RFC 3339 UTC in buf (32 bytes); returns buf. */
static inline const char *ffx_utc(int64_t t, char *buf)
{
    return yq_time_format_utc(t, buf, 32);
}

/* A date string and what feed_date_parse() must make of it. */
struct ffx_date_case {
    const char *in;
    const char *utc;       /* RFC 3339 UTC; NULL: must fail with ERR_PARSE */
    const char *precision; /* "second", "minute", "day", "month", "year" */
};

/* Fail the running test unless every one of the n cases parses as it says. */
static inline void ffx_check_dates(const struct ffx_date_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t t = 0;
        const char *prec = NULL;
        char ts[32];
        int rc = feed_date_parse(cases[i].in, &t, &prec);
        if (!cases[i].utc) {
            if (rc != ERR_PARSE) {
                print_error("date '%s' should not parse (got %s)\n", cases[i].in, ffx_utc(t, ts));
            }
            assert_int_equal(rc, ERR_PARSE);
            continue;
        }
        if (rc != 0) {
            print_error("date '%s' did not parse\n", cases[i].in);
        }
        assert_int_equal(rc, 0);
        if (strcmp(ffx_utc(t, ts), cases[i].utc) != 0) {
            print_error("date '%s'\n", cases[i].in);
        }
        assert_string_equal(ffx_utc(t, ts), cases[i].utc);
        assert_string_equal(prec, cases[i].precision);
    }
}

#endif
