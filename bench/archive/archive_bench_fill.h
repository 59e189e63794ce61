/*
 * Synthetic archive contents for benchmarks (issue #14): realistic items of the example
 * deployment (安康市, /work/shared/docs/example-deployment.md) put into an archive in batches.
 * Shared by the archive's own benchmarks and those of search, backtest and briefing.
 */
#ifndef ARCHIVE_BENCH_FILL_H
#define ARCHIVE_BENCH_FILL_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "yq_alert.h"
#include "yq_item.h"

/* Items per archive_put() call of archive_bench_fill() (the archiver's batch). */
#define ARCHIVE_BENCH_BATCH 500

/*
 * Make item number i of the synthetic stream of seed (deterministic: the same (seed, i) gives
 * the same item): id "bench-<seed>-<i>", source rss / weibo / wechat (about 3:5:2), a Chinese
 * title and text built from the places and policy areas of the example deployment (征地拆迁,
 * 乡村振兴, 生态环保 ...) with complaint or praise phrases, published at a time spread uniformly
 * over [start_s, start_s + days * 86400), Weibo items with metrics (some capped).
 * out: caller storage, filled (yq_item_release()). Returns 0 or ERR_NOMEM.
 */
int archive_bench_item(uint64_t seed, size_t i, int64_t start_s, int64_t days,
                       struct yq_item *out);

/*
 * Put n_items synthetic items (archive_bench_item() of seed, i = 0..n_items-1) into a
 * (read-write, borrowed) in batches of ARCHIVE_BENCH_BATCH, with the match rows of an alert for
 * about one item in five (rule ids "bench-<area>", the area's lead department, levels II..IV,
 * event key "ev:bench-<area>-<day>"). Deterministic for a seed except archived_at.
 * days >= 1. errbuf: one line on failure. Returns 0 or the first archive_put() error.
 */
int archive_bench_fill(struct archive *a, size_t n_items, int64_t start_s, int64_t days,
                       uint64_t seed, char *errbuf, size_t errlen);

#endif
