#include "yq_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yq_err.h"
#include "yq_banned.h"

int yq_fs_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int err = 0;

    *out = NULL;
    if (!f) {
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
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
