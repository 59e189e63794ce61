/*
 * libFuzzer target for the alert JSON that arrives from Kafka (topic yuqing.alerts, read by
 * the notifier; yq_alert_decode). Invariants: no crash, no leak, only the documented error
 * codes, a failed decode leaves nothing to free, and a decoded alert re-encodes to JSON that
 * decodes again to the same encoding (rules_unverified / rules_checked_at included).
 *   build-h4fuzz/fuzz/common/fuzz_alert_decode -max_total_time=60 fuzz/common/seeds/alert
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "yq_alert.h"
#include "yq_banned.h"

static int alert_decode(const char *json, size_t len, void *out, char *errbuf, size_t errlen)
{
    return yq_alert_decode(json, len, out, errbuf, errlen);
}

static int alert_encode(const void *v, char **out, size_t *len)
{
    return yq_alert_encode(v, out, len);
}

static void alert_release(void *v)
{
    yq_alert_release(v);
}

/* rules_unverified survives the round trip */
static void alert_check(const void *v, const void *again)
{
    const struct yq_alert *a = v, *b = again;

    if (a->rules_unverified != b->rules_unverified) {
        abort();
    }
}

static const struct fuzz_codec alert_codec = {alert_decode, alert_encode, alert_release,
                                              alert_check};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yq_alert alert, again;

    if (!fuzz_begin(size, 1 << 20) || fuzz_round_trip(&alert_codec, data, size, &alert, &again)) {
        return 0;
    }
    yq_alert_release(&alert);
    return 0;
}
