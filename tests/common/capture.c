#include "capture.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

int capture_begin(int fd, const char *path)
{
    int saved, file;

    fflush(stdout);
    fflush(stderr);
    saved = dup(fd);
    assert_true(saved >= 0);
    file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(file >= 0);
    assert_int_not_equal(dup2(file, fd), -1);
    close(file);
    return saved;
}

void capture_end(int fd, int saved, const char *path, char *out, size_t len)
{
    FILE *f;
    size_t n;

    fflush(stdout);
    fflush(stderr);
    assert_int_not_equal(dup2(saved, fd), -1);
    close(saved);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

int capture_run(int (*main_fn)(int, char **), char *const *argv, size_t max_words, int fd,
                const char *path, char *out, size_t len)
{
    char *words[16];
    int argc = 0, saved, rc;

    assert_true(max_words <= 16);
    for (; (size_t)argc < max_words && argv[argc]; argc++) {
        words[argc] = argv[argc];
    }
    saved = capture_begin(fd, path);
    rc = main_fn(argc, words);
    capture_end(fd, saved, path, out, len);
    return rc;
}

void capture_tmp_begin(struct capture_tmp *c, int fd)
{
    c->fd = fd;
    c->file = tmpfile();
    assert_non_null(c->file);
    fflush(stdout);
    fflush(stderr);
    c->saved = dup(fd);
    assert_true(c->saved >= 0);
    assert_int_not_equal(dup2(fileno(c->file), fd), -1);
}

void capture_tmp_end(struct capture_tmp *c, char *out, size_t len)
{
    size_t n;

    fflush(stdout);
    fflush(stderr);
    assert_int_not_equal(dup2(c->saved, c->fd), -1);
    close(c->saved);
    rewind(c->file);
    n = fread(out, 1, len - 1, c->file);
    out[n] = '\0';
    fclose(c->file);
}
