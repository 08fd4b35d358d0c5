/* Units of work shared by the store contract suites (test_store.c, test_store_v3.c): each
 * calls one store operation on the writer connection. */
#ifndef CRM_TEST_STORE_UNITS_H
#define CRM_TEST_STORE_UNITS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/log.h"
#include "store/store.h"

#define UNIT_FN static __attribute__((unused)) int

UNIT_FN u_org_insert(store_conn *c, void *arg) { return c->ops->org_insert(c, arg); }
UNIT_FN u_pipeline_insert(store_conn *c, void *arg) { return c->ops->pipeline_insert(c, arg); }
UNIT_FN u_contact_insert(store_conn *c, void *arg) { return c->ops->contact_insert(c, arg); }

struct append_arg { const char *org_id, *name, *payload; int64_t seq; };
UNIT_FN u_event_append(store_conn *c, void *arg)
{
    struct append_arg *a = arg;
    return c->ops->event_append(c, a->org_id, a->name, a->payload, &a->seq);
}

struct update_arg { const crm_contact *ct; int64_t expected; };
UNIT_FN u_contact_update(store_conn *c, void *arg)
{
    struct update_arg *u = arg;
    return c->ops->contact_update(c, u->ct, u->expected);
}

/* Operations on (organization, id). */
struct pair_arg { const char *org_id, *id; };
UNIT_FN u_contact_delete(store_conn *c, void *arg)
{
    struct pair_arg *p = arg;
    return c->ops->contact_delete(c, p->org_id, p->id);
}

/* Arrays as plain pointers, for is_str. */
static __attribute__((unused)) const char *str(const char *s) { return s; }

/* Runs a contract suite on SQLite (a fresh file in a temp dir, removed afterwards) and then on
 * PostgreSQL when CRMD_TEST_PG_URL names a database. 0, or -1 when the temp dir cannot be made. */
static __attribute__((unused)) int run_on_each_backend(void (*run)(const char *url))
{
    char dir[] = "/tmp/crmd-test-store-XXXXXX", url[1100], path[1100];
    log_set_quiet(1);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(url, sizeof url, "sqlite:%s/crm.db", dir);
    run(url);
    const char *pg = getenv("CRMD_TEST_PG_URL");
    if (pg && *pg)
        run(pg);
    static const char *const files[] = {"crm.db", "crm.db-wal", "crm.db-shm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

#endif
