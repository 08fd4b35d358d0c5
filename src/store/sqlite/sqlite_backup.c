/* `crmd backup` of a SQLite file while servers write to it, with SQLite's online backup API.
 *
 * The copy is one snapshot: the source connection opens a read transaction before the first
 * step and holds it to the last, so every step copies pages of the same snapshot and the backup
 * never restarts (without it, each step would read the newest data and a commit by the server
 * between two steps would start the copy over, forever under a steady stream of writes). In WAL
 * mode a reader never blocks the writer; what the snapshot holds back is the checkpointer, so the
 * WAL grows by the writes made during the copy and is checkpointed after it.
 *
 * Why not VACUUM INTO: it takes the same snapshot but rebuilds every table and index row by row
 * (the search index included), which costs far more CPU than copying pages on a machine whose
 * cores also serve requests; the page copy is also an exact image of the live file.
 *
 * The copy goes to a temporary file beside dest, is checked (PRAGMA integrity_check and
 * foreign_key_check, the schema version of the source) and synced, and only then renamed to
 * dest, so a failed or interrupted backup never leaves a file at dest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/sqlite.h"
#include "store/sqlite/sqlite_impl.h"

#define BACKUP_STEP_PAGES 256       /* 1 MiB of 4 KiB pages per step: a chance to stop between */
#define BACKUP_BUSY_TIMEOUT_MS 10000

typedef struct backup {
    const char *path, *dest;
    char tmp[4096];
    int tmp_fd;
    sqlite3 *src, *dst;
    char *err;
    size_t errlen;
} backup;

static int fail_db(backup *b, sqlite3 *db, const char *what)
{
    int sys = sqlite3_system_errno(db);
    if (sys)
        snprintf(b->err, b->errlen, "%s: %s (%s)", what, sqlite3_errmsg(db), strerror(sys));
    else
        snprintf(b->err, b->errlen, "%s: %s", what, sqlite3_errmsg(db));
    return -1;
}

static int int_of(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

/* The source, in a read transaction that fixes the snapshot the copy is of. */
static int open_source(backup *b, store_backup_stats *stats, int64_t *version)
{
    char what[512];
    snprintf(what, sizeof what, "cannot read database '%s'", b->path);
    if (sqlite3_open_v2(b->path, &b->src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL) != SQLITE_OK)
        return fail_db(b, b->src, what);
    sqlite3_busy_timeout(b->src, BACKUP_BUSY_TIMEOUT_MS);
    if (sqlite3_exec(b->src, "PRAGMA query_only = ON; BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        int_of(b->src, "PRAGMA user_version", version))
        return fail_db(b, b->src, what);
    if (*version == 0) {
        snprintf(b->err, b->errlen, "'%s' is not a crmd database (no schema)", b->path);
        return -1;
    }
    /* The snapshot starts with this read, and includes these. */
    if (int_of(b->src, "SELECT coalesce(max(seq), 0) FROM events", &stats->last_event_seq) ||
        int_of(b->src, "SELECT count(*) FROM contacts", &stats->contacts))
        return fail_db(b, b->src, what);
    return 0;
}

/* dest must not exist yet: a backup never replaces a file (least of all the database itself). */
static int dest_is_new(backup *b)
{
    struct stat st;
    if (lstat(b->dest, &st) == 0) {
        snprintf(b->err, b->errlen, "'%s' already exists: give the backup a new name", b->dest);
        return -1;
    }
    if (errno != ENOENT) {
        snprintf(b->err, b->errlen, "cannot write '%s': %s", b->dest, strerror(errno));
        return -1;
    }
    return 0;
}

/* An empty file of our own beside dest, mode 0600 (the copy holds password hashes and the token
 * secret), on dest's file system so that the rename is atomic. */
static int create_tmp(backup *b)
{
    if ((size_t)snprintf(b->tmp, sizeof b->tmp, "%s.tmp-XXXXXX", b->dest) >= sizeof b->tmp) {
        snprintf(b->err, b->errlen, "cannot write '%s': the path is too long", b->dest);
        return -1;
    }
    if ((b->tmp_fd = mkstemp(b->tmp)) < 0) {
        snprintf(b->err, b->errlen, "cannot write the backup '%s': %s", b->dest, strerror(errno));
        b->tmp[0] = '\0';
        return -1;
    }
    return 0;
}

static void remove_tmp(backup *b)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    char path[4200];
    if (!b->tmp[0])
        return;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", b->tmp, suffixes[i]);
        unlink(path);
    }
}

/* The pages of the source's snapshot into the temporary file, BACKUP_STEP_PAGES at a time. */
static int copy_pages(backup *b, volatile sig_atomic_t *stop, store_backup_stats *stats)
{
    if (sqlite3_open_v2(b->tmp, &b->dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL) != SQLITE_OK)
        return fail_db(b, b->dst, "cannot write the backup");
    /* The temporary file needs no journal: a failure discards it, and it is synced at the end. */
    if (sqlite3_exec(b->dst, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL, NULL) != SQLITE_OK)
        return fail_db(b, b->dst, "cannot write the backup");
    sqlite3_backup *bk = sqlite3_backup_init(b->dst, "main", b->src, "main");
    if (!bk)
        return fail_db(b, b->dst, "cannot start the backup");
    int rc;
    while ((rc = sqlite3_backup_step(bk, BACKUP_STEP_PAGES)) == SQLITE_OK || rc == SQLITE_BUSY ||
           rc == SQLITE_LOCKED) {
        if (stop && *stop)
            break;
        if (rc != SQLITE_OK)
            sqlite3_sleep(10);
    }
    stats->pages = sqlite3_backup_pagecount(bk);
    sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE) {
        if (stop && *stop) {
            snprintf(b->err, b->errlen, "the backup was interrupted");
            return -1;
        }
        /* backup_step's error is left on the destination connection. */
        return fail_db(b, b->dst, "the backup failed");
    }
    if (sqlite3_close(b->dst) != SQLITE_OK)
        return fail_db(b, b->dst, "cannot write the backup");
    b->dst = NULL;
    return 0;
}

/* Opens the copy afresh, as a restore would, and checks it is a sound database of the source's
 * schema version. */
static int verify_copy(backup *b, int64_t version)
{
    sqlite3_stmt *st = NULL;
    int64_t copied = -1;
    int rc, problems = 0;
    if (sqlite3_open_v2(b->tmp, &b->dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL) != SQLITE_OK ||
        int_of(b->dst, "PRAGMA user_version", &copied))
        return fail_db(b, b->dst, "cannot open the copy");
    if (copied != version) {
        snprintf(b->err, b->errlen, "the copy has schema version %lld, the database %lld", (long long)copied,
                 (long long)version);
        return -1;
    }
    if ((rc = sqlite3_prepare_v2(b->dst, "PRAGMA integrity_check(10)", -1, &st, NULL)) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0 && !problems++)
                snprintf(b->err, b->errlen, "the copy fails its integrity check: %s", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == SQLITE_DONE && !problems &&
        (rc = sqlite3_prepare_v2(b->dst, "PRAGMA foreign_key_check", -1, &st, NULL)) == SQLITE_OK) {
        if ((rc = sqlite3_step(st)) == SQLITE_ROW && !problems++)
            snprintf(b->err, b->errlen, "the copy fails its foreign key check: a row of %s refers to a missing %s",
                     sqlite3_column_text(st, 0), sqlite3_column_text(st, 2));
        sqlite3_finalize(st);
        if (rc == SQLITE_ROW)
            rc = SQLITE_DONE;
    }
    if (problems)
        return -1;
    if (rc != SQLITE_DONE)
        return fail_db(b, b->dst, "cannot check the copy");
    if (sqlite3_close(b->dst) != SQLITE_OK)
        return fail_db(b, b->dst, "cannot close the copy");
    b->dst = NULL;
    return 0;
}

/* rename(2) that never replaces: a file that appeared at `to` since we looked stays. A file
 * system without RENAME_NOREPLACE gets a plain rename after another look. */
static int rename_new(const char *from, const char *to)
{
    struct stat st;
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

/* The copy on disk under its name: data synced, renamed, the directory entry synced. */
static int publish(backup *b, store_backup_stats *stats)
{
    struct stat st;
    if (fsync(b->tmp_fd) != 0 || fstat(b->tmp_fd, &st) != 0) {
        snprintf(b->err, b->errlen, "cannot write the backup '%s': %s", b->dest, strerror(errno));
        return -1;
    }
    stats->bytes = (int64_t)st.st_size;
    if (rename_new(b->tmp, b->dest) != 0) {
        snprintf(b->err, b->errlen, "cannot name the backup '%s': %s", b->dest,
                 errno == EEXIST ? "a file of that name appeared meanwhile" : strerror(errno));
        return -1;
    }
    b->tmp[0] = '\0';   /* it is dest now */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", b->dest);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir] = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

int store_sqlite_backup(const char *path, const char *dest, volatile sig_atomic_t *stop,
                        store_backup_stats *stats, char *err, size_t errlen)
{
    backup b = {.path = path, .dest = dest, .tmp_fd = -1, .err = err, .errlen = errlen};
    int64_t version = 0;
    int rc = -1;
    if (!path || !*path || !dest || !*dest) {
        snprintf(err, errlen, "backup needs the path of a database and of the copy");
        return -1;
    }
    if (dest_is_new(&b) || open_source(&b, stats, &version) || create_tmp(&b) || copy_pages(&b, stop, stats))
        goto done;
    /* The snapshot is copied: let the server's checkpoints past it. */
    sqlite3_exec(b.src, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(b.src);
    b.src = NULL;
    if (verify_copy(&b, version) || publish(&b, stats))
        goto done;
    rc = 0;
done:
    if (b.src) {
        sqlite3_exec(b.src, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(b.src);
    }
    sqlite3_close(b.dst);
    if (b.tmp_fd >= 0)
        close(b.tmp_fd);
    remove_tmp(&b);
    return rc;
}
