/*
 * A fresh, empty archive for the archive tests (issue #14): embedded in a new temporary
 * directory, or in a fresh PostgreSQL schema in a -pg run (db_fixture.h), opened read-write;
 * removed with its files or its schema afterwards. Failures end the test (cmocka).
 */
#ifndef TEST_ARCHIVE_ARCHIVE_FIXTURE_H
#define TEST_ARCHIVE_ARCHIVE_FIXTURE_H

#include "archive.h"

struct archive_fixture {
    char dir[64];      /* the temporary directory (empty of months in a -pg run) */
    char loc[512];     /* the archive's location: dir, or a PostgreSQL schema (db_fixture.h) */
    struct archive *a; /* read-write handle */
};

/* Make the directory, archive_init() and archive_open() the archive. f: caller storage. */
void archive_fixture_open(struct archive_fixture *f);

/* Close the handle (may be NULL), drop the schema and remove the directory with its files. */
void archive_fixture_close(struct archive_fixture *f);

/* cmocka setup and teardown: *state is a new struct archive_fixture, opened; then closed, freed. */
int archive_fixture_setup(void **state);
int archive_fixture_teardown(void **state);

#endif
