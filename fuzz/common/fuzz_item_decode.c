/*
 * libFuzzer target for the item JSON that arrives from Kafka (topic yuqing.items, read by
 * the matcher; yq_item_decode). Invariants: no crash, no leak; a decoded item re-encodes,
 * and its encoding decodes again to the same encoding (a fixed point), bounded encoding
 * works and stays within its limit.
 *   build-h4fuzz/fuzz/common/fuzz_item_decode -max_total_time=60 fuzz/common/seeds/item
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    struct yq_item item, again;
    char err[256], *json = NULL, *json2 = NULL, *bounded = NULL;
    size_t len = 0, len2 = 0, blen = 0;
    int rc;

    if (!init) {
        yq_log_init("fuzz", YQ_LOG_ERR);
        init = true;
    }
    if (size > 1 << 20) {
        return 0;
    }
    rc = yq_item_decode((const char *)data, size, &item, err, sizeof(err));
    if (rc != 0) {
        if (rc != ERR_PARSE && rc != ERR_NOMEM) {
            abort(); /* the documented codes only */
        }
        return 0;
    }
    if (yq_item_encode(&item, &json, &len) == 0) {
        if (yq_item_decode(json, len, &again, err, sizeof(err)) != 0) {
            abort(); /* what we encode must decode */
        }
        if (yq_item_encode(&again, &json2, &len2) == 0 &&
            (len2 != len || memcmp(json, json2, len) != 0)) {
            abort(); /* decode(encode(x)) must be a fixed point */
        }
        yq_item_release(&again);
    }
    if (yq_item_encode_bounded(&item, 4096, &bounded, &blen) == 0 && blen > 4096) {
        abort();
    }
    free(json);
    free(json2);
    free(bounded);
    yq_item_release(&item);
    return 0;
}
