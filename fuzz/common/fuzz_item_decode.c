/*
 * libFuzzer target for the item JSON that arrives from Kafka (topic yuqing.items, read by
 * the matcher; yq_item_decode). Invariants: no crash, no leak; a decoded item re-encodes,
 * and its encoding decodes again to the same encoding (a fixed point), bounded encoding
 * works and stays within its limit.
 *   build-h4fuzz/fuzz/common/fuzz_item_decode -max_total_time=60 fuzz/common/seeds/item
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "yq_item.h"
#include "yq_banned.h"

static int item_decode(const char *json, size_t len, void *out, char *errbuf, size_t errlen)
{
    return yq_item_decode(json, len, out, errbuf, errlen);
}

static int item_encode(const void *v, char **out, size_t *len)
{
    return yq_item_encode(v, out, len);
}

static void item_release(void *v)
{
    yq_item_release(v);
}

static const struct fuzz_codec item_codec = {item_decode, item_encode, item_release, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yq_item item, again;
    char *bounded = NULL;
    size_t blen = 0;

    if (!fuzz_begin(size, 1 << 20) || fuzz_round_trip(&item_codec, data, size, &item, &again)) {
        return 0;
    }
    if (yq_item_encode_bounded(&item, 4096, &bounded, &blen) == 0 && blen > 4096) {
        abort();
    }
    free(bounded);
    yq_item_release(&item);
    return 0;
}
