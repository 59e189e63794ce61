/*
 * libFuzzer target for the alert JSON that arrives from Kafka (topic yuqing.alerts, read by
 * the notifier; yq_alert_decode). Invariants: no crash, no leak, only the documented error
 * codes, a failed decode leaves nothing to free, and a decoded alert re-encodes to JSON that
 * decodes again to the same encoding (rules_unverified / rules_checked_at included).
 *   build-h4fuzz/fuzz/common/fuzz_alert_decode -max_total_time=60 fuzz/common/seeds/alert
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yq_alert.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    struct yq_alert alert, again;
    char err[256], *json = NULL, *json2 = NULL;
    size_t len = 0, len2 = 0;
    int rc;

    if (!init) {
        yq_log_init("fuzz", YQ_LOG_ERR);
        init = true;
    }
    if (size > 1 << 20) {
        return 0;
    }
    rc = yq_alert_decode((const char *)data, size, &alert, err, sizeof(err));
    if (rc != 0) {
        if (rc != ERR_PARSE && rc != ERR_NOMEM) {
            abort();
        }
        return 0;
    }
    if (yq_alert_encode(&alert, &json, &len) == 0) {
        if (yq_alert_decode(json, len, &again, err, sizeof(err)) != 0) {
            abort(); /* what we encode must decode */
        }
        if (again.rules_unverified != alert.rules_unverified) {
            abort();
        }
        if (yq_alert_encode(&again, &json2, &len2) == 0 &&
            (len2 != len || memcmp(json, json2, len) != 0)) {
            abort(); /* decode(encode(x)) must be a fixed point */
        }
        yq_alert_release(&again);
    }
    free(json);
    free(json2);
    yq_alert_release(&alert);
    return 0;
}
