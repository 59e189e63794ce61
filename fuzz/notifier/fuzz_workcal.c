/*
 * libFuzzer target for the holiday calendar (config/calendar/YYYY.yaml, notifier/workcal.c):
 * arbitrary bytes as a year file, added twice (the second must fail with ERR_EXISTS when the
 * first succeeded), then the working-day arithmetic over the loaded year. Invariants: no
 * crash, no leak, only the documented error codes, a failed add leaves the calendar as it was.
 *   build-h4fuzz/fuzz/notifier/fuzz_workcal -max_total_time=60 fuzz/notifier/seeds/workcal
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "workcal.h"
#include "yq_err.h"
#include "fuzz_common.h"
#include "yq_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct workcal *cal;
    char err[512];
    int rc;

    if (!fuzz_begin(size, 65536)) {
        return 0;
    }
    cal = workcal_new();
    if (!cal) {
        return 0;
    }
    rc = workcal_add_text(cal, "fuzz.yaml", (const char *)data, size, err, sizeof(err));
    if (rc == 0) {
        int64_t t = 1767225600; /* 2026-01-01T00:00:00Z */
        if (workcal_n_years(cal) != 1) {
            abort();
        }
        if (workcal_add_text(cal, "again.yaml", (const char *)data, size, err, sizeof(err)) !=
            ERR_EXISTS) {
            abort(); /* a year may be loaded once */
        }
        for (int n = 1; n <= 30; n += 7) {
            int64_t end = workcal_add_working_days(cal, t, n);
            if (end <= t) {
                abort(); /* a deadline lies after its start */
            }
        }
    } else {
        if (rc != ERR_PARSE && rc != ERR_INVALID && rc != ERR_NOMEM) {
            abort();
        }
        if (workcal_n_years(cal) != 0) {
            abort(); /* on failure cal is unchanged */
        }
    }
    workcal_free(cal);
    return 0;
}
