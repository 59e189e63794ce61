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
 * Make item number i (< n_items) of the synthetic stream of seed (deterministic: the same
 * (seed, i, n_items) gives the same item): source rss / weibo / wechat (about 3:5:2) with ids of
 * their real forms ("rss:<40 hex digits>" scattered like sha1, "weibo:<mid>" growing with i,
 * "wx:<biz>:<mid>:<idx>"), all containing seed and i; a Chinese title and text built from the
 * places and policy areas of the example deployment (征地拆迁, 乡村振兴, 生态环保 ...) with
 * complaint or praise phrases; published in stream order, item i at about
 * start_s + i * days * 86400 / n_items plus up to an hour of jitter (as an archiver sees them:
 * mostly in time order), fetched up to an hour later; Weibo items with metrics (some capped).
 * out: caller storage, filled (yq_item_release()). Returns 0 or ERR_NOMEM.
 */
int archive_bench_item_stream(uint64_t seed, size_t i, size_t n_items, int64_t start_s,
                              int64_t days, struct yq_item *out);

/*
 * The same item i of seed with its publication time drawn uniformly at random from
 * [start_s, start_s + days * 86400) instead of in stream order (the backtest and archiver
 * benchmarks, which read the archive by time range rather than in arrival order).
 */
int archive_bench_item_uniform(uint64_t seed, size_t i, int64_t start_s, int64_t days,
                               struct yq_item *out);

/*
 * Put n_items synthetic items (archive_bench_item_stream() of seed, i = 0..n_items-1, in order) into a
 * (read-write, borrowed) in batches of ARCHIVE_BENCH_BATCH, with the match rows of an alert for
 * about one item in five (rule ids "bench-<area>", the area's lead department, levels II..IV,
 * event key "ev:bench-<area>-<day>"). Deterministic for a seed except archived_at.
 * days >= 1. errbuf: one line on failure. Returns 0 or the first archive_put() error.
 */
int archive_bench_fill(struct archive *a, size_t n_items, int64_t start_s, int64_t days,
                       uint64_t seed, char *errbuf, size_t errlen);

#endif
