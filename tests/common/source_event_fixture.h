/*
 * The blind-window event the tests of every process use as their example (header-only):
 * a window of 安康市人民政府 · 政务要闻 (source ankang-gov-news, an RSS feed of the
 * 安康市人民政府办公室), built as the collector sends it on yuqing.sources.
 */
#ifndef SOURCE_EVENT_FIXTURE_H
#define SOURCE_EVENT_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "yq_source_event.h"

/*
 * The example source's window of reason from started_at to ended_at (0 while open), sent at
 * `at` (seconds UTC), with detail and renew (borrowed, e.g. literals; may be NULL).
 */
static inline struct yq_source_event source_event_fixture(bool open, enum yq_blind_reason reason,
                                                          int64_t started_at, int64_t ended_at,
                                                          int64_t at, char *detail, char *renew)
{
    struct yq_source_event ev = {.source_id = "ankang-gov-news",
                                 .source_name = "安康市人民政府 · 政务要闻",
                                 .source_kind = "rss",
                                 .department = "安康市人民政府办公室"};

    ev.open = open;
    ev.reason = reason;
    ev.started_at = started_at;
    ev.ended_at = ended_at;
    ev.at = at;
    ev.detail = detail;
    ev.renew = renew;
    return ev;
}

#endif
