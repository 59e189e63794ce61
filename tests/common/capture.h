/*
 * Capture what a test's code under test writes to stdout or stderr (a CLI's messages). For the
 * tests only; not thread-safe (it swaps the process's descriptor).
 */
#ifndef TEST_CAPTURE_H
#define TEST_CAPTURE_H

#include <stdio.h>

/*
 * Send fd (STDOUT_FILENO or STDERR_FILENO) to the file at path (created 0600 or truncated)
 * until capture_end(). Flushes stdio first. Returns the saved descriptor for capture_end();
 * a failure fails the test.
 */
int capture_begin(int fd, const char *path);

/*
 * Put fd back (saved from capture_begin()) and read what was written into out: NUL-terminated,
 * at most len - 1 bytes (the rest is dropped). The file stays for the caller to remove.
 */
void capture_end(int fd, int saved, const char *path, char *out, size_t len);

/*
 * Run main_fn (a CLI's main) on the words of argv up to a NULL or max_words (at most 16), with
 * fd captured through the file at path into out (as capture_end()). Returns main_fn's result.
 */
int capture_run(int (*main_fn)(int, char **), char *const *argv, size_t max_words, int fd,
                const char *path, char *out, size_t len);

/* fd sent to an anonymous temporary file between capture_tmp_begin() and capture_tmp_end(). */
struct capture_tmp {
    int fd;     /* the descriptor captured (STDOUT_FILENO or STDERR_FILENO) */
    int saved;  /* its own file, put back by capture_tmp_end() */
    FILE *file; /* tmpfile(), closed (and so removed) by capture_tmp_end() */
};

/*
 * Send fd (STDOUT_FILENO or STDERR_FILENO) to a new temporary file until capture_tmp_end(),
 * when the test needs no path for it. Flushes stdio first; a failure fails the test.
 */
void capture_tmp_begin(struct capture_tmp *c, int fd);

/*
 * Put c's descriptor back (flushing stdio first) and read what was written into out:
 * NUL-terminated, at most len - 1 bytes (the rest is dropped). The temporary file goes.
 */
void capture_tmp_end(struct capture_tmp *c, char *out, size_t len);

#endif
