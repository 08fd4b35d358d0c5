/* The janitor (service/janitor.c) on a real SQLite file: it purges Idempotency-Key records past
 * their 24 hours, in batches, keeps the live ones, and its thread does so on its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "lib/timefmt.h"
#include "service/contacts.h"
#include "service/janitor.h"
#include "tap.h"
#include "temp_app.h"

struct put { const char *key; int64_t at; };
static objectid org, user;

static int put_unit(store_conn *c, void *arg)
{
    const struct put *p = arg;
    return c->ops->idempotency_put(c, org, user, p->key, "hash", 201, "{}", p->at);
}

static void put(crm_app *app, const char *key, int64_t at)
{
    crm_err err = {0};
    struct put p = {key, at};
    if (app_write(app, put_unit, &p, &err) != 0)
        fprintf(stderr, "# cannot put %s\n", key);
}

static bool present(crm_app *app, const char *key)
{
    store_conn *c;
    crm_err err = {0};
    arena *a = arena_new();
    char *hash, *body;
    int status;
    bool found = app_reader(app, &c, &err) == 0 &&
                 c->ops->idempotency_get(c, org, user, key, 0, a, &hash, &status, &body) == 0;
    arena_destroy(a);
    return found;
}

int main(void)
{
    temp_app t;
    temp_app_open(&t);
    crm_app *app = &t.app;
    char err[256];
    objectid_new(org);
    objectid_new(user);
    int64_t now = time_now_ms();

    /* More expired records than one batch, one just expired, one still live. */
    char key[32];
    for (int i = 0; i < JANITOR_BATCH + 3; i++) {
        snprintf(key, sizeof key, "old-%d", i);
        put(app, key, now - IDEMPOTENCY_TTL_MS - 60000 - i);
    }
    put(app, "just-expired", now - IDEMPOTENCY_TTL_MS - 1000);
    put(app, "live", now - IDEMPOTENCY_TTL_MS + 60000);
    ok(present(app, "old-0") && present(app, "live"), "the records are there");

    is_int(janitor_run_once(app), JANITOR_BATCH + 4, "one pass purges every expired record, over several batches");
    ok(!present(app, "old-0") && !present(app, "old-502") && !present(app, "just-expired"), "they are gone");
    ok(present(app, "live"), "the live one stays");
    is_int(janitor_run_once(app), 0, "a second pass finds nothing");

    /* The thread works on its own, at start and then every interval. */
    put(app, "later", now - IDEMPOTENCY_TTL_MS - 5000);
    janitor *j = janitor_start(app, 20, err, sizeof err);
    ok(j != NULL, "janitor_start");
    for (int i = 0; i < 200 && present(app, "later"); i++)
        usleep(10000);
    ok(!present(app, "later"), "the thread purged an expired record");
    put(app, "later-still", now - IDEMPOTENCY_TTL_MS - 5000);
    for (int i = 0; i < 200 && present(app, "later-still"); i++)
        usleep(10000);
    ok(!present(app, "later-still"), "and another one, on a later round");
    ok(present(app, "live"), "never a live one");
    janitor_stop(j);
    janitor_stop(NULL);

    ok(temp_app_close(&t), "the temp dir is removed");
    return tap_done();
}
