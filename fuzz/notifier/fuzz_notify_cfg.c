/*
 * libFuzzer target for the notifier's configuration YAML: the "notify:" section through its
 * key table (notify_cfg_keys) and the routes ("channels", "duty_officer", "administrator",
 * "departments"; notify_routes_parse), then quiet hours and --print-config. Secret files are
 * looked up under a directory that does not exist, so relative paths never read anything.
 * Invariants: no crash, no leak, errors carry a message, a parsed route set prints.
 *   build-h4fuzz/fuzz/notifier/fuzz_notify_cfg -max_total_time=60 fuzz/notifier/seeds/notify
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfg_common.h"
#include "fuzz_common.h"
#include "notify_cfg.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_banned.h"

struct top {
    struct notify_cfg notify;
};

static const struct cfg_key top_keys[] = {
    {"notify", CFG_SECTION, NULL, 0, 0, offsetof(struct top, notify), "notify", notify_cfg_keys},
    {"channels", CFG_EXTERNAL, NULL, 0, 0, 0, "channels", NULL},
    {"duty_officer", CFG_EXTERNAL, NULL, 0, 0, 0, "duty", NULL},
    {"administrator", CFG_EXTERNAL, NULL, 0, 0, 0, "administrator", NULL},
    {"departments", CFG_EXTERNAL, NULL, 0, 0, 0, "departments", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *devnull = fuzz_devnull();
    struct cfg_doc doc;
    struct top t;
    struct notify_routes routes;
    char err[512] = "";
    int rc, start, end;

    if (!fuzz_begin(size, 65536)) {
        return 0;
    }
    memset(&t, 0, sizeof(t));
    memset(&routes, 0, sizeof(routes));
    if (fuzz_cfg_load_fill(data, size, top_keys, &t, &doc, err, sizeof(err)) == 0) {
        (void)notify_quiet_parse(t.notify.quiet_hours, &start, &end);
        rc = notify_routes_parse(&routes, &doc, "/nonexistent-yuqing-fuzz", err, sizeof(err));
        fuzz_expect_cfg_result(rc, err);
        if (rc == 0 && devnull) {
            notify_routes_print(devnull, &routes);
            for (size_t i = 0; i < routes.n_channels; i++) {
                char text[] = "answer with token abc and key def";
                notify_channel_redact(&routes.channels[i], text);
            }
        }
    }
    notify_routes_release(&routes);
    cfg_release(top_keys, &t);
    cfg_doc_release(&doc);
    return 0;
}
