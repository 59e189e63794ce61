/*
 * What the libFuzzer targets of collectors/, common/, pipeline/ and notifier/ share
 * (header-only; the targets add fuzz/ to their include path, fuzz.cmake): the prologue of every
 * LLVMFuzzerTestOneInput, the check that an error is one of the documented codes, a sink for
 * printing, and the decode/encode fixed point of the JSON codecs (item, alert). A broken
 * invariant is abort(), which libFuzzer reports as a crash with the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log.h"

/*
 * Call first in LLVMFuzzerTestOneInput: the log at error level (once per process), and
 * whether an input of size bytes is worth running (at most max_bytes).
 */
static inline bool fuzz_begin(size_t size, size_t max_bytes)
{
    static bool init;

    if (!init) {
        yq_log_init("fuzz", YQ_LOG_ERR);
        init = true;
    }
    return size <= max_bytes;
}

/* A stream that discards what is printed to it (opened once; NULL if /dev/null cannot be). */
static inline FILE *fuzz_devnull(void)
{
    static FILE *devnull;
    static bool opened;

    if (!opened) {
        devnull = fopen("/dev/null", "w");
        opened = true;
    }
    return devnull;
}

/* abort() unless rc is one of the n codes (the documented error codes of the call). */
static inline void fuzz_expect_code(int rc, const int *codes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rc == codes[i]) {
            return;
        }
    }
    abort();
}

/*
 * The check of a config fill or parse (cfg_fill(), notify_routes_parse()): abort() unless rc
 * is 0, ERR_INVALID or ERR_NOMEM, and unless a failure says why in err (NUL-terminated).
 */
static inline void fuzz_expect_cfg_result(int rc, const char *err)
{
    static const int codes[] = {0, ERR_INVALID, ERR_NOMEM};

    fuzz_expect_code(rc, codes, sizeof(codes) / sizeof(codes[0]));
    if (rc != 0 && err[0] == '\0') {
        abort(); /* an error always says why */
    }
}

/*
 * A JSON codec as a table of functions over one value type (struct yq_item, struct yq_alert):
 * decode into caller storage, encode into a new string (free()), release the storage.
 */
struct fuzz_codec {
    int (*decode)(const char *json, size_t len, void *out, char *errbuf, size_t errlen);
    int (*encode)(const void *v, char **out, size_t *len);
    void (*release)(void *v);
    /* further invariants between a value and its round trip; may be NULL */
    void (*check)(const void *v, const void *again);
};

/*
 * Decode data (size bytes) into v with c; an error must be ERR_PARSE or ERR_NOMEM (and then
 * nothing is left to release). A decoded value's encoding must decode again (into again,
 * released here) and encode to the same bytes: decode(encode(x)) is a fixed point. Returns
 * the decode's code: on 0 the caller releases v.
 */
static inline int fuzz_round_trip(const struct fuzz_codec *c, const uint8_t *data, size_t size,
                                  void *v, void *again)
{
    static const int documented[] = {ERR_PARSE, ERR_NOMEM};
    char err[256], *json = NULL, *json2 = NULL;
    size_t len = 0, len2 = 0;
    int rc = c->decode((const char *)data, size, v, err, sizeof(err));

    if (rc != 0) {
        fuzz_expect_code(rc, documented, 2);
        return rc;
    }
    if (c->encode(v, &json, &len) == 0) {
        if (c->decode(json, len, again, err, sizeof(err)) != 0) {
            abort(); /* what we encode must decode */
        }
        if (c->check) {
            c->check(v, again);
        }
        if (c->encode(again, &json2, &len2) == 0 &&
            (len2 != len || memcmp(json, json2, len) != 0)) {
            abort(); /* decode(encode(x)) must be a fixed point */
        }
        c->release(again);
    }
    free(json);
    free(json2);
    return 0;
}

#endif
