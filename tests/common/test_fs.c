/* Secret files (issue #10): world-readable ones are refused, group-readable ones warned about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yq_err.h"
#include "yq_fs.h"

static void write_mode(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_issue_10_world_readable_secret_is_refused(void **state)
{
    char path[] = "/tmp/yq-fs-secret-XXXXXX", err[256] = "", *text = NULL;
    size_t len = 0;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    write_mode(path, "s3cret\n", 0644);
    assert_int_equal(yq_fs_read_secret(path, 4096, &text, &len, err, sizeof(err)), ERR_INVALID);
    assert_null(text);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "0644"));
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "s3cret"));
    /* group-readable: read (with a warning) */
    write_mode(path, "s3cret\n", 0640);
    assert_int_equal(yq_fs_read_secret(path, 4096, &text, &len, err, sizeof(err)), 0);
    assert_string_equal(text, "s3cret\n");
    free(text);
    /* owner-only: read */
    write_mode(path, "s3cret\n", 0600);
    assert_int_equal(yq_fs_read_secret(path, 4096, &text, &len, NULL, 0), 0);
    assert_int_equal(len, 7);
    free(text);
    assert_int_equal(yq_fs_read_secret(path, 3, &text, &len, NULL, 0), ERR_TOO_BIG);
    unlink(path);
    assert_int_equal(yq_fs_read_secret(path, 4096, &text, &len, NULL, 0), ERR_NOT_FOUND);
    /* a device is not a file anyone configures by mistake: not checked */
    assert_int_equal(yq_fs_read_secret("/dev/null", 4096, &text, &len, NULL, 0), 0);
    assert_int_equal(len, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_10_world_readable_secret_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
