/*
 * libFuzzer target: the collector's content decoder (fetch.c, struct fetch_decoder) on
 * arbitrary bytes. The first byte picks the coding (gzip, deflate: zlib or raw, identity),
 * the size of the pieces the body comes in and which asks for room are refused (a paused
 * piece is delivered again, as libcurl does on resume); the rest is the body. Checked: every
 * call returns the piece's size, a pause or 0 with a documented code; the decoded body never
 * exceeds its cap; a stream reported whole decodes to the same bytes as zlib's own one-shot
 * decoding of that stream.
 */
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fetch.h"
#include "fuzz_common.h"
#include "yq_buf.h"

#define FUZZ_DECODE_CAP (1 << 16) /* decoded bytes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct room_state {
    uint8_t mask; /* bit i set: ask i (mod 8) is refused */
    unsigned asks;
};

static bool fuzz_room(void *arg, const struct yq_buf *out, size_t n)
{
    struct room_state *rs = arg;
    (void)out;
    (void)n;
    return !(rs->mask >> (rs->asks++ % 8) & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum fetch_coding codings[] = {FETCH_CODING_GZIP, FETCH_CODING_DEFLATE,
                                                FETCH_CODING_IDENTITY, FETCH_CODING_GZIP};
    static const size_t pieces[] = {1, 2, 3, 7, 64, 512, 4096, 16384};
    struct room_state rs = {0};
    struct fetch_decoder d;
    struct yq_buf out;
    size_t piece, at = 0, pauses = 0;
    bool failed = false;
    int err = 0;

    if (!fuzz_begin(size, 1 << 16) || size < 2) {
        return 0;
    }
    fetch_decoder_init_coding(&d, codings[data[0] & 3]);
    piece = pieces[data[0] >> 2 & 7];
    rs.mask = data[1] == 0xFF ? 0xFE : data[1]; /* never refuse every ask */
    data += 2;
    size -= 2;
    yq_buf_init(&out, FUZZ_DECODE_CAP);
    while (at < size) {
        size_t n = size - at < piece ? size - at : piece;
        size_t got = fetch_decoder_write(&d, (const char *)data + at, n, &out, fuzz_room, &rs,
                                         &err);
        if (got == CURL_WRITEFUNC_PAUSE) {
            if (++pauses > 1000000) {
                abort(); /* a pause that never ends */
            }
            continue;
        }
        if (got != n) {
            if (got != 0 || (err != ERR_PARSE && err != ERR_TOO_BIG && err != ERR_NOMEM) ||
                (err == ERR_PARSE && !d.error[0])) {
                abort();
            }
            failed = true;
            break;
        }
        at += n;
    }
    if (out.len > FUZZ_DECODE_CAP) {
        abort();
    }
    if (!failed && fetch_decoder_finish(&d) == 0 && d.coding == FETCH_CODING_GZIP) {
        /* whole by the decoder: zlib's one-shot inflate agrees byte for byte */
        static unsigned char ref[FUZZ_DECODE_CAP + 1];
        z_stream z = {0};
        if (inflateInit2(&z, 31) != Z_OK) {
            abort();
        }
        z.next_in = (Bytef *)(uintptr_t)data;
        z.avail_in = (uInt)size;
        z.next_out = ref;
        z.avail_out = sizeof(ref);
        if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.avail_in != 0 || z.total_out != out.len ||
            (out.len && memcmp(ref, out.data, out.len) != 0)) {
            abort();
        }
        inflateEnd(&z);
    }
    fetch_decoder_release(&d);
    yq_buf_release(&out);
    return 0;
}
