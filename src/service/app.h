/* The running application as the service layer sees it: the store and the token secret.
 * Every service function takes the app, the authenticated caller (a user read for this request),
 * an arena for what it returns, and a crm_err for what went wrong. */
#ifndef CRM_APP_H
#define CRM_APP_H

#include <stdatomic.h>
#include <stdint.h>
#include "lib/errors.h"
#include "lib/histogram.h"
#include "lib/jwt.h"
#include "model/model.h"
#include "store/store.h"

typedef struct crm_app {
    store *st;
    histogram write_ms;        /* units of work, from hand-over to the writer until committed */
    unsigned char jwt_secret[JWT_SECRET_LEN];
    int64_t token_ttl_s;
    atomic_bool draining;      /* stopping soon: /readyz says 503 so that a proxy sends no more */
} crm_app;

/* Opens the store named by db_url, migrates it, and loads the token secret: SHA-256 of
 * secret_override when given, else the one kept in the database (created on first use).
 * Returns 0, or -1 with one human line in err. */
int app_open(crm_app *app, const char *db_url, const char *secret_override, char *err, size_t errlen);
void app_close(crm_app *app);

/* This thread's read connection, or -CRM_E_UNAVAILABLE through err. */
int app_reader(crm_app *app, store_conn **c, crm_err *err);
/* Runs fn as one unit of work on the writer; maps a bare storage failure onto err. */
int app_write(crm_app *app, store_work_fn fn, void *arg, crm_err *err);

/* Role checks shared by the services. */
bool caller_is_admin_of(const crm_user *me, const char *org_id);  /* ADMIN of org_id, or SUPERADMIN */
int require_org_member(const crm_user *me, crm_err *err);          /* FORBIDDEN for SUPERADMIN */

#endif
