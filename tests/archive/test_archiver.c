/*
 * The archiver's configuration and its batch (archiver.h): defaults, required and refused
 * keys; offsets per partition (highest + 1, malformed messages included), a failed store that
 * keeps the batch and its offsets, and a retry that stores it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "archiver_fixture.h"
#include "test_expect.h"
#include "yq_fs.h"

/* --- configuration ------------------------------------------------------------------------ */

static void cfg_defaults(void **state)
{
    const char *sets[] = {"archive.dir=/srv/yuqing/archive"};
    struct archiver_cfg cfg;
    char err[512] = "";

    (void)state;
    assert_int_equal(archiver_cfg_load(NULL, sets, 1, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.archive.dir, "/srv/yuqing/archive");
    assert_string_equal(cfg.kafka.group_id, ARCHIVER_DEFAULT_GROUP);
    assert_string_equal(cfg.kafka.group_id, "yuqing-archiver");
    assert_string_equal(cfg.kafka.items_topic, "yuqing.items");
    assert_string_equal(cfg.kafka.alerts_topic, "yuqing.alerts");
    assert_int_equal(cfg.archive.retention_days, ARCHIVE_DEFAULT_RETENTION_DAYS);
    assert_int_equal(cfg.archive.retention_days, 180);
    assert_int_equal(cfg.archive.batch_size, 500);
    assert_int_equal(cfg.archive.batch_wait_ms, 1000);
    assert_int_equal(cfg.archive.poll_timeout_ms, 100);
    assert_int_equal(cfg.archive.retry_backoff_ms, 500);
    assert_int_equal(cfg.archive.prune_interval_s, 3600);
    assert_int_equal(cfg.archive.stop_timeout_ms, 10000);
    assert_string_equal(cfg.archive.log_level, "info");
    assert_string_equal(cfg.archive.metrics.address, "127.0.0.1");
    assert_int_equal(cfg.archive.metrics.port, 9110);
    archiver_cfg_release(&cfg);
}

static void cfg_requires_dir(void **state)
{
    struct archiver_cfg cfg;
    const char *empty[] = {"archive.dir="};
    char err[512] = "";

    (void)state;
    assert_int_equal(archiver_cfg_load(NULL, NULL, 0, &cfg, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "'archive.dir' is required"));
    assert_non_null(strstr(err, "yuqingctl archive init"));
    archiver_cfg_release(&cfg);
    err[0] = '\0';
    assert_int_equal(archiver_cfg_load(NULL, empty, 1, &cfg, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "'archive.dir' is required"));
    archiver_cfg_release(&cfg);
}

/* Write text to a new temporary file; its path into path (64 bytes). */
static void write_tmp(char *path, const char *text)
{
    snprintf(path, 64, "/tmp/yq-test-archiver-%d.yaml", (int)getpid());
    assert_int_equal(yq_fs_write_file_atomic(path, text, strlen(text)), 0);
}

static void cfg_file_and_sets(void **state)
{
    static const char yaml[] = "kafka:\n"
                               "  bootstrap_servers: 10.0.0.5:9092\n"
                               "archive:\n"
                               "  dir: /data/archive\n"
                               "  retention_days: 400\n"
                               "  batch_size: 50\n"
                               "  batch_wait_ms: 2s\n"
                               "  prune_interval_s: 600\n"
                               "  metrics_port: 0\n";
    const char *sets[] = {"archive.batch_size=7", "kafka.group_id=arch-2"};
    struct archiver_cfg cfg;
    char path[64], err[512] = "";

    (void)state;
    write_tmp(path, yaml);
    assert_int_equal(archiver_cfg_load(path, sets, 2, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.kafka.bootstrap_servers, "10.0.0.5:9092");
    assert_string_equal(cfg.kafka.group_id, "arch-2");
    assert_string_equal(cfg.archive.dir, "/data/archive");
    assert_int_equal(cfg.archive.retention_days, 400);
    assert_int_equal(cfg.archive.batch_size, 7); /* --set beats the file */
    assert_int_equal(cfg.archive.batch_wait_ms, 2000);
    assert_int_equal(cfg.archive.prune_interval_s, 600);
    assert_int_equal(cfg.archive.metrics.port, 0);
    archiver_cfg_release(&cfg);
    unlink(path);
}

static void cfg_refuses_bad_values(void **state)
{
    static const struct {
        const char *yaml, *needle;
    } cases[] = {
        {"archive:\n  dir: /a\n  retension_days: 30\n", "retension_days"},
        {"archive:\n  dir: /a\n  batch_size: 0\n", "batch_size"},
        {"archive:\n  dir: /a\n  retention_days: 0\n", "retention_days"},
        {"archive:\n  dir: /a\n  log_level: loud\n", "log_level"},
        {"kafka:\n  alerts_topic: yuqing.items\narchive:\n  dir: /a\n", "same topic"},
    };
    char path[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct archiver_cfg cfg;
        char err[512] = "";
        write_tmp(path, cases[i].yaml);
        assert_int_equal(archiver_cfg_load(path, NULL, 0, &cfg, err, sizeof(err)), ERR_INVALID);
        if (!strstr(err, cases[i].needle)) {
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].needle);
        }
        archiver_cfg_release(&cfg);
    }
    unlink(path);
}

static void cfg_shipped_file_loads(void **state)
{
    struct archiver_cfg cfg;
    char err[512] = "";

    (void)state;
    assert_int_equal(
        archiver_cfg_load(YQ_SOURCE_DIR "/config/archiver.yaml", NULL, 0, &cfg, err, sizeof(err)),
        0);
    assert_string_equal(cfg.kafka.group_id, "yuqing-archiver");
    assert_string_equal(cfg.archive.dir, "run/archive");
    assert_int_equal(cfg.archive.retention_days, ARCHIVE_DEFAULT_RETENTION_DAYS);
    archiver_cfg_release(&cfg);
}

/* --- the batch ------------------------------------------------------------------------------ */

/* Add item id at (topic items, partition, offset); expects rc. */
static void add_item(struct archiver_batch *b, int32_t partition, int64_t offset, const char *id,
                     int rc)
{
    char json[1024], err[256] = "";
    size_t len = fix_item_json(json, sizeof(json), id, "汉滨区拆迁安置房漏水");

    assert_int_equal(
        archiver_batch_add(b, ARCHIVER_ITEMS, partition, offset, json, len, 1000, err, sizeof(err)),
        rc);
}

/* The offset of (topic, partition) in b, -1 when b has none. */
static int64_t offset_of(const struct archiver_batch *b, enum archiver_topic t, int32_t p)
{
    for (size_t i = 0; i < b->n_offsets; i++) {
        if (b->offsets[i].topic == t && b->offsets[i].partition == p) {
            return b->offsets[i].next;
        }
    }
    return -1;
}

static void batch_offsets_per_partition(void **state)
{
    struct archiver_batch b;
    char err[256] = "";
    static const char junk[] = "{\"schema\":1,\"id\":";
    size_t alen = 0;
    char *alert = fix_alert_json("rss:a1", "land-01", "ev-1", &alen);

    (void)state;
    assert_int_equal(archiver_batch_init(&b, 10), 0);
    add_item(&b, 0, 41, "rss:a1", 0);
    add_item(&b, 1, 7, "rss:b1", 0);
    add_item(&b, 0, 42, "rss:a2", 0);
    /* malformed: skipped, counted, its offset still advances (never blocks good input) */
    assert_int_equal(archiver_batch_add(&b, ARCHIVER_ITEMS, 0, 43, junk, strlen(junk), 1001, err,
                                        sizeof(err)),
                     ERR_PARSE);
    assert_true(err[0] != '\0');
    assert_int_equal(archiver_batch_add(&b, ARCHIVER_ITEMS, 1, 8, NULL, 0, 1002, err, sizeof(err)),
                     ERR_PARSE);
    /* an item is not an alert */
    {
        char json[1024];
        size_t len = fix_item_json(json, sizeof(json), "rss:x", "x");
        assert_int_equal(archiver_batch_add(&b, ARCHIVER_ALERTS, 1, 3, json, len, 1003, err,
                                            sizeof(err)),
                         ERR_PARSE);
    }
    assert_int_equal(
        archiver_batch_add(&b, ARCHIVER_ALERTS, 1, 4, alert, alen, 1004, err, sizeof(err)), 0);
    assert_int_equal(b.n_msgs, 7);
    assert_int_equal(b.n_items, 3);
    assert_int_equal(b.n_alerts, 1);
    assert_int_equal(b.n_malformed, 3);
    assert_int_equal(b.first_ms, 1000);
    assert_int_equal(b.n_offsets, 3);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 0), 44);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 1), 9);
    assert_int_equal(offset_of(&b, ARCHIVER_ALERTS, 1), 5);
    assert_int_equal(offset_of(&b, ARCHIVER_ALERTS, 0), -1);
    assert_string_equal(b.item_ptrs[1]->id, "rss:b1");
    assert_string_equal(b.alert_ptrs[0]->item.id, "rss:a1");
    assert_string_equal(b.alert_ptrs[0]->matches[0].rule_id, "land-01");
    /* a message re-delivered with a lower offset never moves the offset back */
    add_item(&b, 1, 2, "rss:b0", 0);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 1), 9);
    archiver_batch_clear(&b);
    assert_int_equal(b.n_msgs, 0);
    assert_int_equal(b.n_offsets, 0);
    assert_int_equal(b.n_items, 0);
    assert_int_equal(b.n_malformed, 0);
    archiver_batch_release(&b);
    free(alert);
}

static void batch_full(void **state)
{
    struct archiver_batch b;
    char err[256] = "";

    (void)state;
    assert_int_equal(archiver_batch_init(&b, 2), 0);
    add_item(&b, 0, 0, "rss:1", 0);
    assert_false(archiver_batch_full(&b));
    assert_int_equal(archiver_batch_add(&b, ARCHIVER_ITEMS, 0, 1, "x", 1, 0, err, sizeof(err)),
                     ERR_PARSE);
    assert_true(archiver_batch_full(&b));
    add_item(&b, 0, 2, "rss:3", ERR_TOO_BIG);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 0), 2); /* the refused one did not count */
    archiver_batch_release(&b);
    assert_int_equal(archiver_batch_init(&b, 0), ERR_INVALID);
}

static void batch_store_failure_keeps_it(void **state)
{
    struct fix_store fs;
    struct archiver_store st;
    struct archiver_batch b;
    struct archive_put_result res;
    char err[256] = "", *alert;
    size_t alen = 0;

    (void)state;
    fix_store_init(&fs, &st);
    alert = fix_alert_json("rss:a1", "land-01", "ev-1", &alen);
    assert_int_equal(archiver_batch_init(&b, 8), 0);
    add_item(&b, 0, 10, "rss:a1", 0);
    add_item(&b, 2, 5, "rss:a2", 0);
    assert_int_equal(
        archiver_batch_add(&b, ARCHIVER_ALERTS, 0, 3, alert, alen, 5, err, sizeof(err)), 0);

    atomic_store(&fs.fail_rc, ERR_RETRY);
    assert_int_equal(archiver_batch_store(&b, &st, &res, err, sizeof(err)), ERR_RETRY);
    assert_non_null(strstr(err, "failing on purpose"));
    atomic_store(&fs.fail_rc, ERR_IO);
    assert_int_equal(archiver_batch_store(&b, &st, &res, err, sizeof(err)), ERR_IO);
    /* nothing stored, the batch and its offsets unchanged: nothing may be committed yet */
    assert_int_equal(fix_store_n_ids(&fs), 0);
    assert_int_equal(fs.puts_failed, 2);
    assert_int_equal(b.n_msgs, 3);
    assert_int_equal(b.n_items, 2);
    assert_int_equal(b.n_alerts, 1);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 0), 11);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 2), 6);
    assert_int_equal(offset_of(&b, ARCHIVER_ALERTS, 0), 4);

    /* the retry stores the same batch, once */
    atomic_store(&fs.fail_rc, 0);
    assert_int_equal(archiver_batch_store(&b, &st, &res, err, sizeof(err)), 0);
    assert_int_equal(res.items_new, 2);
    assert_int_equal(res.items_dup, 0);
    assert_int_equal(res.matches_new, 1);
    assert_int_equal(fs.puts_ok, 1);
    assert_true(fix_store_has(&fs, "rss:a1"));
    assert_true(fix_store_has(&fs, "rss:a2"));
    assert_string_equal(fs.matches[0], "rss:a1|land-01|ev-1");
    /* storing it again (a re-delivery) adds nothing */
    assert_int_equal(archiver_batch_store(&b, &st, &res, err, sizeof(err)), 0);
    assert_int_equal(res.items_new, 0);
    assert_int_equal(res.items_dup, 2);
    assert_int_equal(res.matches_dup, 1);
    archiver_batch_release(&b);
    free(alert);
}

static void batch_of_malformed_only_skips_the_store(void **state)
{
    struct fix_store fs;
    struct archiver_store st;
    struct archiver_batch b;
    struct archive_put_result res;
    char err[256] = "";

    (void)state;
    fix_store_init(&fs, &st);
    atomic_store(&fs.fail_rc, ERR_IO); /* would fail: it must not be asked */
    assert_int_equal(archiver_batch_init(&b, 4), 0);
    assert_int_equal(archiver_batch_add(&b, ARCHIVER_ITEMS, 3, 99, "[]", 2, 0, err, sizeof(err)),
                     ERR_PARSE);
    assert_int_equal(archiver_batch_store(&b, &st, &res, err, sizeof(err)), 0);
    assert_int_equal(fs.puts_failed + fs.puts_ok, 0);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 3), 100);
    archiver_batch_release(&b);
}

static void batch_forget_revoked_partition(void **state)
{
    struct archiver_batch b;

    (void)state;
    assert_int_equal(archiver_batch_init(&b, 4), 0);
    add_item(&b, 0, 1, "rss:1", 0);
    add_item(&b, 1, 1, "rss:2", 0);
    add_item(&b, 2, 1, "rss:3", 0);
    assert_true(archiver_batch_forget(&b, ARCHIVER_ITEMS, 1));
    assert_false(archiver_batch_forget(&b, ARCHIVER_ITEMS, 1));
    assert_false(archiver_batch_forget(&b, ARCHIVER_ALERTS, 0));
    assert_int_equal(b.n_offsets, 2);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 0), 2);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 1), -1);
    assert_int_equal(offset_of(&b, ARCHIVER_ITEMS, 2), 2);
    assert_int_equal(b.n_items, 3); /* the messages stay: storing them again is harmless */
    archiver_batch_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cfg_defaults),
        cmocka_unit_test(cfg_requires_dir),
        cmocka_unit_test(cfg_file_and_sets),
        cmocka_unit_test(cfg_refuses_bad_values),
        cmocka_unit_test(cfg_shipped_file_loads),
        cmocka_unit_test(batch_offsets_per_partition),
        cmocka_unit_test(batch_full),
        cmocka_unit_test(batch_store_failure_keeps_it),
        cmocka_unit_test(batch_of_malformed_only_skips_the_store),
        cmocka_unit_test(batch_forget_revoked_partition),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
