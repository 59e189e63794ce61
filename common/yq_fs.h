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
 * Write len bytes to path atomically (write path.tmp, fsync, rename).
 * Returns 0 or ERR_IO.
 */
int yq_fs_write_file_atomic(const char *path, const char *data, size_t len);

#endif
