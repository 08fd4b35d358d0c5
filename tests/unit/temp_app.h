/* For the unit tests of services: a crm_app on a fresh SQLite file in a temp dir, and its end. */
#ifndef CRM_TEST_TEMP_APP_H
#define CRM_TEST_TEMP_APP_H

#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "service/app.h"

typedef struct temp_app {
    crm_app app;
    char dir[64];
    char path[128];   /* the database file */
} temp_app;

/* Exits the test program (status 1) when the app cannot be opened. */
static __attribute__((unused)) void temp_app_open(temp_app *t)
{
    char url[160], err[256];
    snprintf(t->dir, sizeof t->dir, "/tmp/crmd-test-XXXXXX");
    if (!mkdtemp(t->dir)) {
        perror("mkdtemp");
        exit(1);
    }
    log_set_quiet(1);
    snprintf(t->path, sizeof t->path, "%s/test.db", t->dir);
    snprintf(url, sizeof url, "sqlite:%s", t->path);
    if (app_open(&t->app, url, "test-secret", err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

/* Closes the app and removes its directory; false when the directory could not be removed. */
static __attribute__((unused)) bool temp_app_close(temp_app *t)
{
    char cmd[160];
    app_close(&t->app);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    return system(cmd) == 0;
}

#endif
