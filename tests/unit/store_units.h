/* Units of work shared by the store contract suites (test_store.c, test_store_v3.c): each
 * calls one store operation on the writer connection. */
#ifndef CRM_TEST_STORE_UNITS_H
#define CRM_TEST_STORE_UNITS_H

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

#endif
