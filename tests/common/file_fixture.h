/*
 * Files the tests write as their input (rule sets, configs, lexicons): one helper instead of a
 * copy in each test. For the tests only; a failure fails the test (cmocka).
 */
#ifndef TEST_FILE_FIXTURE_H
#define TEST_FILE_FIXTURE_H

/*
 * Write text (NUL-terminated) to dir/name (created or truncated; the path at most 511 bytes),
 * failing the test when the file cannot be opened.
 */
void file_fixture_write(const char *dir, const char *name, const char *text);

#endif
