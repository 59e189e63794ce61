/*
 * libFuzzer target for the rule-set JSON that arrives from Redis (yuqing:rules:<N>, read by
 * every matcher; rule_set_decode recompiles each expression and builds the Vectorscan
 * database). Invariants: no crash, no leak, only the documented error codes, an error leaves
 * no object, and a decoded set re-encodes to JSON that decodes again.
 *   build-h4fuzz/fuzz/pipeline/fuzz_rules_decode -max_total_time=60 fuzz/pipeline/seeds_rules
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "yq_err.h"
#include "fuzz_common.h"
#include "yq_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rule_set *rs = NULL, *again = NULL;
    char err[512], *json = NULL;
    size_t len = 0;
    int rc;

    if (!fuzz_begin(size, 65536)) {
        return 0;
    }
    rc = rule_set_decode((const char *)data, size, &rs, err, sizeof(err));
    if (rc != 0) {
        if (rs || (rc != ERR_PARSE && rc != ERR_INVALID && rc != ERR_NOMEM && rc != ERR_TOO_BIG)) {
            abort();
        }
        return 0;
    }
    if (rule_set_encode(rs, &json, &len) == 0) {
        if (rule_set_decode(json, len, &again, err, sizeof(err)) != 0) {
            abort(); /* what a matcher writes to its cache must load again */
        }
        if (again->n_rules != rs->n_rules || again->version != rs->version) {
            abort();
        }
        rule_set_free(again);
    }
    free(json);
    rule_set_free(rs);
    return 0;
}
