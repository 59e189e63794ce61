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

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/* Read all of f (closed here) as yq_fs_read_file() does. */
static int read_all(FILE *f, size_t max_bytes, char **out, size_t *out_len)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int err = 0;

    *out = NULL;
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf;
            /* room for max_bytes, one more byte to detect a larger file, and the NUL */
            if (ncap > max_bytes + 2) {
                ncap = max_bytes + 2;
            }
            if (ncap <= len + 1) {
                err = ERR_TOO_BIG;
                break;
            }
            nbuf = realloc(buf, ncap);
            if (!nbuf) {
                err = ERR_NOMEM;
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                err = ERR_IO;
            }
            break;
        }
    }
    fclose(f);
    if (err == 0 && len > max_bytes) {
        err = ERR_TOO_BIG;
    }
    if (err) {
        free(buf);
        return err;
    }
    if (!buf) {
        buf = malloc(1);
        if (!buf) {
            return ERR_NOMEM;
        }
    }
    buf[len] = '\0';
    *out = buf;
    if (out_len) {
        *out_len = len;
    }
    return 0;
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
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    bool found = false;

    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        h = (h ^ *p) * 1099511628211ULL;
    }
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
