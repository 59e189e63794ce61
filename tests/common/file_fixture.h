/*
 * Input the tests write (rule sets, configs, lexicons as files; long texts) and the removal of
 * their temporary folders: one helper instead of a copy in each test. For the tests only; a
 * failure fails the test (cmocka).
 */
#ifndef TEST_FILE_FIXTURE_H
#define TEST_FILE_FIXTURE_H

#include <stddef.h>

/*
 * Write text (NUL-terminated) to dir/name (created or truncated; the path at most 511 bytes),
 * failing the test when the file cannot be opened.
 */
void file_fixture_write(const char *dir, const char *name, const char *text);

/*
 * n copies of unit (NUL-terminated, e.g. one UTF-8 character or an escaped tag) one after the
 * other: a new NUL-terminated string of n * strlen(unit) bytes (free()). Fails the test when
 * memory runs out.
 */
char *file_fixture_repeat(const char *unit, size_t n);

/*
 * Remove the folder dir (a test's temporary one, NUL-terminated, without a single quote) and
 * everything in it, as `rm -rf` does. Returns system()'s status: 0 when it is gone.
 */
int file_fixture_remove_dir(const char *dir);

#endif
