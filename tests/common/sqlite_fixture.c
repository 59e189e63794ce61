#include "sqlite_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

int64_t sqlite_fixture_scalar(struct yq_db *db, const char *sql)
{
    struct yq_stmt *st = NULL;
    int64_t v = -1;

    if (yq_stmt_prepare(db, sql, &st) != YQ_DB_OK) {
        fail_msg("'%s': %s", sql, yq_db_errmsg(db));
    }
    if (yq_stmt_step(st) == YQ_DB_ROW) {
        v = yq_stmt_column_int64(st, 0);
    }
    yq_stmt_finalize(st);
    return v;
}

void sqlite_fixture_exec(struct yq_db *db, const char *sql)
{
    if (yq_db_exec_raw(db, sql) != YQ_DB_OK) {
        fail_msg("%s: %s", sql, yq_db_errmsg(db));
    }
}

void sqlite_fixture_exec_at(const char *location, const char *sql)
{
    struct yq_db *db = NULL;

    assert_int_equal(yq_db_open(location, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
    sqlite_fixture_exec(db, sql);
    yq_db_close(db);
}

void sqlite_fixture_text_is(struct yq_db *db, const char *sql, const char *want)
{
    struct yq_stmt *st = NULL;

    if (yq_stmt_prepare(db, sql, &st) != YQ_DB_OK) {
        fail_msg("'%s': %s", sql, yq_db_errmsg(db));
    }
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    assert_string_equal(yq_stmt_column_text(st, 0), want);
    yq_stmt_finalize(st);
}

void sqlite_fixture_remove(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[512];

    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* --- a full disk (sqlite_fixture_disk_full()) ------------------------------------------------ */

static atomic_bool disk_full;
static sqlite3_vfs full_vfs;
static sqlite3_io_methods full_io;

/* A file of the VFS: the default VFS's file right after it. */
struct full_file {
    sqlite3_file base;
    sqlite3_file *real;
};

#define REAL(f) (((struct full_file *)(f))->real)

static int full_close(sqlite3_file *f)
{
    return REAL(f)->pMethods->xClose(REAL(f));
}

static int full_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

/* The one change: a write past the end fails while the disk is full. */
static int full_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    sqlite3_int64 size = 0;

    if (atomic_load(&disk_full) &&
        (REAL(f)->pMethods->xFileSize(REAL(f), &size) != SQLITE_OK || off + n > size)) {
        return SQLITE_FULL;
    }
    return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int full_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int full_sync(sqlite3_file *f, int flags)
{
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int full_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int full_lock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int full_unlock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int full_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int full_file_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int full_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int full_device(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int full_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}

static int full_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void full_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int full_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int full_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    sqlite3_vfs *real_vfs = vfs->pAppData;
    struct full_file *ff = (struct full_file *)f;
    int rc;

    ff->real = (sqlite3_file *)(ff + 1);
    rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
    /* SQLite calls xClose when pMethods is set, even after a failed open */
    ff->base.pMethods = rc == SQLITE_OK && ff->real->pMethods ? &full_io : NULL;
    return rc;
}

/* xDelete, xAccess, ... of the default VFS, called with it. */
static int full_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xDelete(r, name, sync_dir);
}

static int full_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xAccess(r, name, flags, out);
}

static int full_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xFullPathname(r, name, n, out);
}

static void *full_dl_open(sqlite3_vfs *vfs, const char *name)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xDlOpen(r, name);
}

static void full_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    sqlite3_vfs *r = vfs->pAppData;
    r->xDlError(r, n, out);
}

static void (*full_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xDlSym(r, h, sym);
}

static void full_dl_close(sqlite3_vfs *vfs, void *h)
{
    sqlite3_vfs *r = vfs->pAppData;
    r->xDlClose(r, h);
}

static int full_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xRandomness(r, n, out);
}

static int full_sleep(sqlite3_vfs *vfs, int us)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xSleep(r, us);
}

static int full_current_time(sqlite3_vfs *vfs, double *out)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xCurrentTime(r, out);
}

static int full_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    sqlite3_vfs *r = vfs->pAppData;
    return r->xGetLastError(r, n, out);
}

void sqlite_fixture_disk_full(bool full)
{
    if (!full_vfs.zName) {
        sqlite3_vfs *real_vfs = sqlite3_vfs_find(NULL);

        assert_non_null(real_vfs);
        full_io = (sqlite3_io_methods){
            .iVersion = 2, /* no xFetch: memory-mapped reads stay off */
            .xClose = full_close,
            .xRead = full_read,
            .xWrite = full_write,
            .xTruncate = full_truncate,
            .xSync = full_sync,
            .xFileSize = full_file_size,
            .xLock = full_lock,
            .xUnlock = full_unlock,
            .xCheckReservedLock = full_check_reserved,
            .xFileControl = full_file_control,
            .xSectorSize = full_sector_size,
            .xDeviceCharacteristics = full_device,
            .xShmMap = full_shm_map,
            .xShmLock = full_shm_lock,
            .xShmBarrier = full_shm_barrier,
            .xShmUnmap = full_shm_unmap,
        };
        full_vfs = (sqlite3_vfs){
            .iVersion = 1,
            .szOsFile = (int)sizeof(struct full_file) + real_vfs->szOsFile,
            .mxPathname = real_vfs->mxPathname,
            .zName = "yq_full_disk",
            .pAppData = real_vfs,
            .xOpen = full_open,
            .xDelete = full_delete,
            .xAccess = full_access,
            .xFullPathname = full_full_pathname,
            .xDlOpen = full_dl_open,
            .xDlError = full_dl_error,
            .xDlSym = full_dl_sym,
            .xDlClose = full_dl_close,
            .xRandomness = full_randomness,
            .xSleep = full_sleep,
            .xCurrentTime = full_current_time,
            .xGetLastError = full_last_error,
        };
        assert_int_equal(sqlite3_vfs_register(&full_vfs, 0), SQLITE_OK);
    }
    atomic_store(&disk_full, full);
}
