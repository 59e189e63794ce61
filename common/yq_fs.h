/* Small file helpers. */
#ifndef YQ_FS_H
#define YQ_FS_H

#include <stddef.h>

/*
 * Read the whole file path into a new NUL-terminated buffer (*out, free()); *out_len gets its
 * length in bytes (may be NULL). Files larger than max_bytes fail with ERR_TOO_BIG.
 * Returns 0, ERR_NOT_FOUND, ERR_IO, ERR_TOO_BIG or ERR_NOMEM.
 */
int yq_fs_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len);

/*
 * Read a secret file (a robot key, SMTP or Redis password, a cookie) like yq_fs_read_file(),
 * checking its permissions on the opened file first: a regular file readable by every user
 * (mode o+r) is refused; one readable by its group (g+r) is read, with one warning per path
 * and process. Devices and other non-regular files are not checked (e.g. /dev/null).
 * errbuf: on ERR_INVALID one line naming the path and the fix (the content never appears);
 * may be NULL. Returns 0, ERR_INVALID (world-readable), ERR_NOT_FOUND, ERR_IO, ERR_TOO_BIG or
 * ERR_NOMEM. Thread-safe.
 */
int yq_fs_read_secret(const char *path, size_t max_bytes, char **out, size_t *out_len,
                      char *errbuf, size_t errlen);

/*
 * Write len bytes to path atomically (write path.tmp, fsync, rename).
 * Returns 0 or ERR_IO.
 */
int yq_fs_write_file_atomic(const char *path, const char *data, size_t len);

#endif
