/*
 * libFuzzer target for the source events that arrive from Kafka (topic yuqing.sources, read by
 * the notifier; yq_source_event_decode, issue #15). Invariants: no crash, no leak, only the
 * documented error codes, a failed decode leaves nothing to free, and a decoded event
 * re-encodes to JSON that decodes again to the same encoding, with the same kind, reason and
 * times (text may be cut to YQ_SOURCE_EVENT_TEXT_MAX by the first encoding).
 *   build-fuzz/fuzz/common/fuzz_source_event -max_total_time=60 fuzz/common/seeds/source_event
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "yq_source_event.h"
#include "yq_banned.h"

static int source_event_decode(const char *json, size_t len, void *out, char *errbuf, size_t errlen)
{
    return yq_source_event_decode(json, len, out, errbuf, errlen);
}

static int source_event_encode(const void *v, char **out, size_t *len)
{
    return yq_source_event_encode(v, out, len);
}

static void source_event_release(void *v)
{
    yq_source_event_release(v);
}

/* the window (source, open or close, reason, times) survives the round trip */
static void source_event_check(const void *v, const void *again)
{
    const struct yq_source_event *a = v, *b = again;

    if (!b->source_id || !b->source_id[0] || a->open != b->open || a->reason != b->reason ||
        a->started_at != b->started_at || a->at != b->at ||
        (!a->open && a->ended_at != b->ended_at)) {
        abort();
    }
}

static const struct fuzz_codec source_event_codec = {source_event_decode, source_event_encode,
                                                     source_event_release, source_event_check};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yq_source_event ev, again;

    if (!fuzz_begin(size, 1 << 20) ||
        fuzz_round_trip(&source_event_codec, data, size, &ev, &again)) {
        return 0;
    }
    yq_source_event_release(&ev);
    return 0;
}
