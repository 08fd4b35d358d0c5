/* The tz database's list of zone names (see tzdb.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/tzdb.h"
#include "lib/xalloc.h"

#define TZDB_NAME_MAX 64

static char **names;   /* sorted; NULL when tzdata.zi could not be read */
static size_t nnames;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_name(const char *name, size_t *cap)
{
    if (nnames == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        names = xrealloc(names, *cap * sizeof *names);
    }
    names[nnames++] = xstrdup(name);
}

/* tzdata.zi is zic's input in compact form: "Z NAME ..." opens a zone, "L TARGET NAME" is a
 * link (a backward-compatible or alternative name). */
static void load(void)
{
    FILE *f = fopen(TZDB_DIR "tzdata.zi", "r");
    char line[512], a[TZDB_NAME_MAX + 1], b[TZDB_NAME_MAX + 1];
    size_t cap = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == 'Z' && sscanf(line, "Z %64s", a) == 1)
            add_name(a, &cap);
        else if (line[0] == 'L' && sscanf(line, "L %64s %64s", a, b) == 2)
            add_name(b, &cap);
    }
    fclose(f);
    if (nnames == 0) {
        free(names);
        names = NULL;
        return;
    }
    qsort(names, nnames, sizeof *names, compare_names);
}

/* Without the list: a TZif file whose every path part starts upper-case. */
static bool zone_file(const char *name)
{
    char path[sizeof TZDB_DIR + TZDB_NAME_MAX], magic[4];
    struct stat st;
    for (const char *p = name; *p; p++) {
        bool part_start = p == name || p[-1] == '/';
        if (part_start && !(*p >= 'A' && *p <= 'Z'))
            return false;
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '/' ||
              *p == '_' || *p == '-' || *p == '+'))
            return false;
    }
    snprintf(path, sizeof path, TZDB_DIR "%s", name);
    FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
    bool tzif = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    if (f)
        fclose(f);
    return tzif;
}

bool tzdb_zone_valid(const char *name)
{
    if (!name || !*name || strlen(name) > TZDB_NAME_MAX)
        return false;
    if (strcmp(name, "UTC") == 0)
        return true;
    if (strcmp(name, "Factory") == 0)
        return false;
    pthread_once(&loaded, load);
    if (!names)
        return zone_file(name);
    return bsearch(&name, names, nnames, sizeof *names, compare_names) != NULL;
}
