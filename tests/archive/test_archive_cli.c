/*
 * `yuqingctl archive init | status | prune` (archive_cli.h) over a real archive: init makes it
 * (and a second init is harmless), status counts matched and unmatched items per month and
 * lists the newest with their rules, prune --dry-run names the expired month and removes
 * nothing, prune removes it; a missing archive names the first-run command.
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

#include "archive_cli.h"
#include "archiver_fixture.h"
#include "capture.h"
#include "file_fixture.h"
#include "test_expect.h"
#include "yq_time.h"

#define OUT_BYTES 16384

static char dir[128];
static char out[OUT_BYTES], errout[OUT_BYTES];

/* Run `yuqingctl archive ARGS...` (argv[0] = "archive"); its stdout and stderr into out, errout. */
static int cli(int argc, const char **argv)
{
    char *copy[16], out_path[128], err_path[128];
    int saved_out, saved_err, rc;

    assert_true(argc < 16);
    for (int i = 0; i < argc; i++) {
        copy[i] = (char *)argv[i];
    }
    copy[argc] = NULL;
    snprintf(out_path, sizeof(out_path), "/tmp/yq-test-archive-cli-%d.out", (int)getpid());
    snprintf(err_path, sizeof(err_path), "/tmp/yq-test-archive-cli-%d.err", (int)getpid());
    saved_out = capture_begin(1, out_path);
    saved_err = capture_begin(2, err_path);
    rc = archive_cli_main(argc, copy);
    capture_end(2, saved_err, err_path, errout, sizeof(errout));
    capture_end(1, saved_out, out_path, out, sizeof(out));
    unlink(out_path);
    unlink(err_path);
    return rc;
}

/* Store items (ids, published at times) and one alert of the first into dir's archive. */
static void fill(void)
{
    struct archive *a = NULL;
    struct yq_item items[3];
    const struct yq_item *ptrs[3];
    struct yq_alert al;
    const struct yq_alert *aptr = &al;
    char json[1024], err[512] = "", *alert;
    size_t alen = 0;
    static const struct {
        const char *id, *published, *title;
    } rows[] = {
        {"rss:new-1", "2026-11-29T08:00:00Z", "安康市汉江水位上涨"},
        /* a title with a terminal escape (OSC "set title", BEL) and a C1 NEL */
        {"rss:new-2", "2026-11-29T09:00:00Z", "汉江\\u001b]0;x\\u0007水位\\u0085上涨"},
        {"rss:old-1", "2025-01-10T08:00:00Z", "安康市汉江水位上涨"},
    };

    assert_int_equal(archive_open(dir, NULL, &a, err, sizeof(err)), 0);
    for (size_t i = 0; i < 3; i++) {
        size_t len = fix_item_json(json, sizeof(json), rows[i].id, rows[i].title);
        char *p = strstr(json, "2026-11-29T08:00:00Z"); /* published_at of the fixture */
        assert_non_null(p);
        memcpy(p, rows[i].published, strlen(rows[i].published));
        assert_int_equal(yq_item_decode(json, len, &items[i], err, sizeof(err)), 0);
        ptrs[i] = &items[i];
    }
    alert = fix_alert_json("rss:new-1", "land-01", "ev-1", &alen);
    assert_int_equal(yq_alert_decode(alert, alen, &al, err, sizeof(err)), 0);
    if (archive_put(a, ptrs, 3, &aptr, 1, NULL, err, sizeof(err)) != 0) {
        fail_msg("archive_put: %s", err);
    }
    for (size_t i = 0; i < 3; i++) {
        yq_item_release(&items[i]);
    }
    yq_alert_release(&al);
    free(alert);
    archive_close(a);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/yq-test-archive-cli-%d", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return file_fixture_remove_dir(dir) == 0 ? 0 : -1;
}

static void init_status_prune(void **state)
{
    const char *init[] = {"archive", "init", dir};
    const char *status[] = {"archive", "status", "--dir", dir, "--recent", "2"};
    const char *json[] = {"archive", "status", "--dir", dir, "--json"};
    const char *dry[] = {"archive", "prune", "--dir", dir, "--dry-run", "--now",
                         "2026-12-01T00:00:00Z", "--retention-days", "180"};
    const char *prune[] = {"archive", "prune", "--dir", dir, "--now", "2026-12-01T00:00:00Z",
                           "--retention-days", "180"};

    (void)state;
    assert_int_equal(cli(3, init), 0);
    assert_non_null(strstr(out, dir));
    assert_int_equal(cli(3, init), 0); /* a second init leaves it alone */
    fill();

    assert_int_equal(cli(6, status), 0);
    {
        const char *present[] = {"条目 (items) 3", "命中 (matched) 1", "未命中 (unmatched) 2",
                                 "2026-11", "2025-01", "rss:new-2", "rss:new-1",
                                 "命中 (matched) land-01", "未命中 (no rule)",
                                 "汉江\xEF\xBF\xBD]0;x\xEF\xBF\xBD水位\xEF\xBF\xBD上涨  [rss:new-2]"};
        /* --recent 2: the two newest only; no control character reaches the terminal */
        const char *absent[] = {"rss:old-1", "\x1b", "\x07", "\xC2\x85"};
        test_expect_text("archive status", out, present, 10, absent, 4);
    }
    assert_int_equal(cli(5, json), 0);
    {
        const char *present[] = {"\"items\":3", "\"matched\":1", "\"backend\":\"sqlite\"",
                                 "\"recent\":[{\"id\":\"rss:new-2\"", "\"rules\":[\"land-01\"]"};
        test_expect_text("archive status --json", out, present, 5, NULL, 0);
    }

    /* 2025-01 ended 2025-01-31T16:00Z, more than 180 days before 2026-12-01 */
    assert_int_equal(cli(9, dry), 0);
    {
        const char *present[] = {"would remove month 2025-01 items 1", "dry run: 1 month file"};
        const char *absent[] = {"2026-11"};
        test_expect_text("archive prune --dry-run", out, present, 2, absent, 1);
    }
    assert_int_equal(cli(5, json), 0);
    assert_non_null(strstr(out, "\"items\":3")); /* nothing removed */
    assert_int_equal(cli(8, prune), 0);
    assert_non_null(strstr(out, "removed 1 month file"));
    assert_int_equal(cli(5, json), 0);
    assert_non_null(strstr(out, "\"items\":2"));
    assert_null(strstr(out, "rss:old-1"));
}

static void missing_archive_and_usage(void **state)
{
    char missing[160];
    const char *status[] = {"archive", "status", "--dir", missing};
    const char *bad[] = {"archive", "status", "--recent", "x", "--dir", missing};
    const char *unknown[] = {"archive", "compact"};
    const char *prune[] = {"archive", "prune", "--dir", missing, "--retention-days", "0"};
    const char *bad_now[] = {"archive", "prune", "--dir", missing, "--now", "2026-12-32"};

    (void)state;
    snprintf(missing, sizeof(missing), "%s-missing", dir);
    assert_int_equal(cli(4, status), 1);
    assert_non_null(strstr(errout, "yuqingctl archive init"));
    assert_int_equal(access(missing, F_OK), -1); /* never created implicitly */
    assert_int_equal(cli(6, bad), 2);
    /* yq_cli's one form for a bad value (option and value named), then the usage */
    assert_non_null(strstr(errout,
                           "yuqingctl archive: 选项 '--recent' 的取值 'x' 须为 0..1000 的整数 "
                           "(needs a whole number in 0..1000)\nusage: yuqingctl archive"));
    assert_int_equal(cli(2, unknown), 2);
    assert_int_equal(cli(6, prune), 2);
    assert_non_null(strstr(errout, "选项 '--retention-days' 的取值 '0' 须为 1..36500 的整数"));
    assert_int_equal(cli(6, bad_now), 2);
    assert_non_null(strstr(errout, "yuqingctl archive: 选项 '--now' 的取值 '2026-12-32' 不是 RFC "
                                   "3339 时间 (not an RFC 3339 time)\n"));
}

static void month_expiry(void **state)
{
    int64_t t = 0;

    (void)state;
    /* November 2026 ends 2026-11-30T16:00:00Z (Beijing midnight) */
    assert_int_equal(yq_time_parse_iso("2026-12-01T16:00:00Z", &t, NULL), 0);
    assert_false(archive_month_expired(2026, 11, t, 1)); /* exactly one day: kept */
    assert_true(archive_month_expired(2026, 11, t + 1, 1));
    assert_false(archive_month_expired(2026, 12, t, 1));
    /* December rolls into the next year */
    assert_int_equal(yq_time_parse_iso("2027-01-01T16:00:00Z", &t, NULL), 0);
    assert_false(archive_month_expired(2026, 12, t, 1));
    assert_true(archive_month_expired(2026, 12, t + 1, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(init_status_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_archive_and_usage, setup, teardown),
        cmocka_unit_test(month_expiry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
