#include "yq_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "yq_buf.h"
#include "yq_hash.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/* Read all of f (closed here) as yq_fs_read_file() does, into a buffer bounded by max_bytes. */
static int read_all(FILE *f, size_t max_bytes, char **out, size_t *out_len)
{
    struct yq_buf b;
    char chunk[65536];
    int err = 0;

    *out = NULL;
    yq_buf_init(&b, max_bytes);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0 && (err = yq_buf_add(&b, chunk, n)) != 0) {
            break; /* ERR_TOO_BIG: the file is larger than max_bytes; or ERR_NOMEM */
        }
        if (n < sizeof(chunk)) {
            err = ferror(f) ? ERR_IO : 0;
            break;
        }
    }
    fclose(f);
    explicit_bzero(chunk, sizeof(chunk)); /* secret files pass through here too */
    if (!err) {
        *out = yq_buf_steal(&b, out_len);
        err = *out ? 0 : ERR_NOMEM;
    }
    yq_buf_release(&b);
    return err;
}

int yq_fs_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");

    *out = NULL;
    if (!f) {
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    return read_all(f, max_bytes, out, out_len);
}

/* Whether path was already warned about (remembers up to 64 paths by hash). Thread-safe. */
static bool warned_once(const char *path)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t seen[64];
    static size_t n_seen;
    uint64_t h = yq_fnv1a64(path);
    bool found = false;

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_seen && !found; i++) {
        found = seen[i] == h;
    }
    if (!found && n_seen < sizeof(seen) / sizeof(seen[0])) {
        seen[n_seen++] = h;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

int yq_fs_read_secret(const char *path, size_t max_bytes, char **out, size_t *out_len,
                      char *errbuf, size_t errlen)
{
    struct stat st;
    FILE *f;
    int fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ERR_IO;
    }
    if (S_ISREG(st.st_mode) && (st.st_mode & S_IROTH)) {
        if (errbuf && errlen) {
            snprintf(errbuf, errlen,
                     "secret file '%s' is readable by every user (mode %04o): chmod 600 it",
                     path, (unsigned)(st.st_mode & 07777));
        }
        close(fd);
        return ERR_INVALID;
    }
    if (S_ISREG(st.st_mode) && (st.st_mode & S_IRGRP) && !warned_once(path)) {
        LOG_WARN("secret file readable by its group path='%s' mode=%04o (chmod 600 it)", path,
                 (unsigned)(st.st_mode & 07777));
    }
    /* read what was checked: the open descriptor, not the path again */
    f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return ERR_NOMEM;
    }
    return read_all(f, max_bytes, out, out_len);
}

int yq_fs_write_file_atomic(const char *path, const char *data, size_t len)
{
    char tmp[4096];
    int fd;
    size_t off = 0;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        return ERR_IO;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return ERR_IO;
    }
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            close(fd);
            unlink(tmp);
            return ERR_IO;
        }
        off += (size_t)w;
    }
    int sync_failed = fsync(fd) != 0;
    if (close(fd) != 0 || sync_failed) {
        unlink(tmp);
        return ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return ERR_IO;
    }
    return 0;
}
