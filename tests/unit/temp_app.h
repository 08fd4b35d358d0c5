/* For the unit tests of services: a crm_app on a fresh SQLite file in a temp dir, and its end. */
#ifndef CRM_TEST_TEMP_APP_H
#define CRM_TEST_TEMP_APP_H

#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "service/app.h"
#include "service/orgs.h"
#include "service/users.h"

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

/* An organization (default country US) with its ADMIN, made by a SUPERADMIN of the app, with
 * names of `tag` (admin@<tag>.test); exits the test program (status 1, one TAP failure) when they
 * cannot be made. */
static __attribute__((unused)) void temp_app_org(temp_app *t, const char *tag, arena *a, crm_org *org, crm_user *admin)
{
    char name[64], root_email[64], admin_email[64];
    crm_user root;
    crm_err err = {0};
    snprintf(name, sizeof name, "Org %s", tag);
    snprintf(root_email, sizeof root_email, "root@%s.test", tag);
    snprintf(admin_email, sizeof admin_email, "admin@%s.test", tag);
    org_input oi = {.name = name, .timezone = "UTC", .default_country = "US",
                    .admin = {.full_name = "Test Admin", .email = admin_email, .password = "admin-pass-1"}};
    if (user_create_superadmin(&t->app, root_email, "root-pass-1", &root, a, &err) < 0 ||
        org_create(&t->app, &root, &oi, a, org, admin, &err) != 0) {
        printf("not ok 1 - setup: %s\n1..1\n", err.message);
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
