#include "source_health.h"

#include "yq_banned.h"

enum stale_event staleness_update(struct staleness *s, int64_t stale_after_s, bool has,
                                  int64_t poll_newest, int64_t now)
{
    bool newer = has && (!s->has_newest || poll_newest > s->newest);

    if (newer) {
        s->has_newest = true;
        s->newest = poll_newest;
    }
    if (stale_after_s <= 0 || !s->has_newest) {
        return STALE_NONE;
    }
    if (s->stale) {
        if (newer && now - s->newest <= stale_after_s) {
            s->stale = false;
            return STALE_RECOVERED;
        }
        return STALE_NONE;
    }
    if (now - s->newest > stale_after_s) {
        s->stale = true;
        return STALE_ALERT;
    }
    return STALE_NONE;
}
