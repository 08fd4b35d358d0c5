/* A fault-injecting SQLite VFS for the unit tests, the way SQLite tests itself: it wraps the
 * default "unix" VFS and, once armed, makes the Nth file operation of the chosen kinds fail —
 * that one only (a transient fault) or it and every later one (a persistent fault, a disk that
 * went away) — until disarmed. A failed write can report a full disk (SQLITE_FULL, as ENOSPC
 * does) rather than an I/O error.
 *
 * fault_vfs_install() registers it as the default VFS, so every connection the code under test
 * opens (writer, readers, checkpointer) goes through it without the store knowing. Counting is
 * global across threads: a fault may land in the checkpoint thread rather than in the request,
 * which is a fault the server has to live with too. */
#ifndef CRM_TEST_FAULT_VFS_H
#define CRM_TEST_FAULT_VFS_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum fault_kind {
    FAULT_READ = 1 << 0,
    FAULT_WRITE = 1 << 1,
    FAULT_SYNC = 1 << 2,
    FAULT_OPEN = 1 << 3,
};

static struct {
    sqlite3_vfs vfs;
    sqlite3_vfs *base;
    atomic_int kinds;        /* enum fault_kind bits armed; 0: disarmed */
    atomic_long countdown;   /* operations of those kinds until the fault */
    atomic_long hits;        /* faults injected since arming */
    bool persistent, full;
} fault_vfs;

typedef struct fault_file {
    sqlite3_file base;       /* our methods */
    sqlite3_file *real;      /* the unix VFS's file, allocated right after this struct */
} fault_file;

/* Whether this operation of kind fails. */
static bool fault_now(int kind)
{
    if (!(atomic_load(&fault_vfs.kinds) & kind))
        return false;
    long left = atomic_fetch_sub(&fault_vfs.countdown, 1) - 1;
    if (left == 0 || (left < 0 && fault_vfs.persistent)) {
        atomic_fetch_add(&fault_vfs.hits, 1);
        return true;
    }
    return false;
}

/* Arms faults of kinds at the nth operation of those kinds from now (n >= 1). */
static __attribute__((unused)) void fault_arm(int kinds, long n, bool persistent, bool full)
{
    atomic_store(&fault_vfs.kinds, 0);
    fault_vfs.persistent = persistent;
    fault_vfs.full = full;
    atomic_store(&fault_vfs.hits, 0);
    atomic_store(&fault_vfs.countdown, n);
    atomic_store(&fault_vfs.kinds, kinds);
}

/* Disarms; returns how many faults were injected since fault_arm. */
static __attribute__((unused)) long fault_disarm(void)
{
    atomic_store(&fault_vfs.kinds, 0);
    return atomic_load(&fault_vfs.hits);
}

#define REAL(f) (((fault_file *)(f))->real)

static int ff_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    return rc;
}

static int ff_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    if (fault_now(FAULT_READ))
        return SQLITE_IOERR_READ;
    return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    if (fault_now(FAULT_WRITE))
        return fault_vfs.full ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    if (fault_now(FAULT_WRITE))
        return SQLITE_IOERR_TRUNCATE;
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
    if (fault_now(FAULT_SYNC))
        return SQLITE_IOERR_FSYNC;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int ff_size(sqlite3_file *f, sqlite3_int64 *size) { return REAL(f)->pMethods->xFileSize(REAL(f), size); }
static int ff_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int ff_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int ff_reserved(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int ff_control(sqlite3_file *f, int op, void *arg) { return REAL(f)->pMethods->xFileControl(REAL(f), op, arg); }
static int ff_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int ff_device(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int ff_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **p)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, p);
}
static int ff_shm_lock(sqlite3_file *f, int off, int n, int flags) { return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags); }
static void ff_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int ff_shm_unmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p) { return REAL(f)->pMethods->xFetch(REAL(f), off, n, p); }
static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) { return REAL(f)->pMethods->xUnfetch(REAL(f), off, p); }

static const sqlite3_io_methods fault_io = {
    3, ff_close, ff_read, ff_write, ff_truncate, ff_sync, ff_size, ff_lock, ff_unlock, ff_reserved,
    ff_control, ff_sector, ff_device, ff_shm_map, ff_shm_lock, ff_shm_barrier, ff_shm_unmap, ff_fetch, ff_unfetch,
};

static int fv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    fault_file *ff = (fault_file *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    ff->base.pMethods = NULL;   /* SQLite calls no method of a file whose open failed */
    if (fault_now(FAULT_OPEN))
        return SQLITE_CANTOPEN;
    int rc = fault_vfs.base->xOpen(fault_vfs.base, name, ff->real, flags, out_flags);
    if (rc == SQLITE_OK)
        ff->base.pMethods = &fault_io;
    return rc;
}

static int fv_delete(sqlite3_vfs *v, const char *name, int sync) { (void)v; return fault_vfs.base->xDelete(fault_vfs.base, name, sync); }
static int fv_access(sqlite3_vfs *v, const char *name, int flags, int *out) { (void)v; return fault_vfs.base->xAccess(fault_vfs.base, name, flags, out); }
static int fv_full(sqlite3_vfs *v, const char *name, int n, char *out) { (void)v; return fault_vfs.base->xFullPathname(fault_vfs.base, name, n, out); }
static void *fv_dlopen(sqlite3_vfs *v, const char *name) { (void)v; return fault_vfs.base->xDlOpen(fault_vfs.base, name); }
static void fv_dlerror(sqlite3_vfs *v, int n, char *out) { (void)v; fault_vfs.base->xDlError(fault_vfs.base, n, out); }
static void (*fv_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void) { (void)v; return fault_vfs.base->xDlSym(fault_vfs.base, h, sym); }
static void fv_dlclose(sqlite3_vfs *v, void *h) { (void)v; fault_vfs.base->xDlClose(fault_vfs.base, h); }
static int fv_random(sqlite3_vfs *v, int n, char *out) { (void)v; return fault_vfs.base->xRandomness(fault_vfs.base, n, out); }
static int fv_sleep(sqlite3_vfs *v, int us) { (void)v; return fault_vfs.base->xSleep(fault_vfs.base, us); }
static int fv_time(sqlite3_vfs *v, double *out) { (void)v; return fault_vfs.base->xCurrentTime(fault_vfs.base, out); }
static int fv_last_error(sqlite3_vfs *v, int n, char *out) { (void)v; return fault_vfs.base->xGetLastError(fault_vfs.base, n, out); }
static int fv_time64(sqlite3_vfs *v, sqlite3_int64 *out) { (void)v; return fault_vfs.base->xCurrentTimeInt64(fault_vfs.base, out); }

/* Registers the VFS "fault" as the default; false when the unix VFS is missing. */
static __attribute__((unused)) bool fault_vfs_install(void)
{
    fault_vfs.base = sqlite3_vfs_find("unix");
    if (!fault_vfs.base)
        return false;
    sqlite3_vfs v = {
        .iVersion = 2, .szOsFile = (int)sizeof(fault_file) + fault_vfs.base->szOsFile,
        .mxPathname = fault_vfs.base->mxPathname, .zName = "fault",
        .xOpen = fv_open, .xDelete = fv_delete, .xAccess = fv_access, .xFullPathname = fv_full,
        .xDlOpen = fv_dlopen, .xDlError = fv_dlerror, .xDlSym = fv_dlsym, .xDlClose = fv_dlclose,
        .xRandomness = fv_random, .xSleep = fv_sleep, .xCurrentTime = fv_time,
        .xGetLastError = fv_last_error, .xCurrentTimeInt64 = fv_time64,
    };
    fault_vfs.vfs = v;
    return sqlite3_vfs_register(&fault_vfs.vfs, 1) == SQLITE_OK;
}

#undef REAL
#endif
