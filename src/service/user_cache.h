/* The users that bearer tokens name, remembered per thread: authenticating a request is then no
 * read at all while no user has changed. An entry is good only while the store's users_version
 * is the one read before the entry was loaded, so a disable, a password change or any other
 * write to a user is seen by the very next request (API.md §2 allows a cache invalidated on
 * those writes). */
#ifndef CRM_USER_CACHE_H
#define CRM_USER_CACHE_H

#include "service/app.h"

#define USER_CACHE_SLOTS 8   /* per thread: a request thread serves few users at a time */

/* Reads user_id like c->ops->user_get (NOT_FOUND, or a store failure), from this thread's
 * cache when it is still good; the strings of out are copies in a. */
int user_cache_get(crm_app *app, store_conn *c, const char *user_id, arena *a, crm_user *out);

#endif
