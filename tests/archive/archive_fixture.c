#include "archive_fixture.h"
#include "db_fixture.h"
#include "file_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void archive_fixture_open(struct archive_fixture *f)
{
    char err[512] = "";

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/yq-archive-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    db_fixture_new(f->loc, sizeof(f->loc), f->dir);
    if (archive_init(f->loc, err, sizeof(err)) != 0) {
        fail_msg("archive_init %s: %s", f->loc, err);
    }
    if (archive_open(f->loc, NULL, &f->a, err, sizeof(err)) != 0) {
        fail_msg("archive_open %s: %s", f->loc, err);
    }
}

void archive_fixture_close(struct archive_fixture *f)
{
    archive_close(f->a);
    f->a = NULL;
    db_fixture_drop(f->loc);
    assert_int_equal(file_fixture_remove_dir(f->dir), 0);
}

int archive_fixture_setup(void **state)
{
    struct archive_fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    archive_fixture_open(f);
    *state = f;
    return 0;
}

int archive_fixture_teardown(void **state)
{
    archive_fixture_close(*state);
    free(*state);
    return 0;
}
