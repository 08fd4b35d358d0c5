/* The users that bearer tokens and API keys name and the organizations that requests act in, remembered per
 * thread: authenticating a request, or reading the organization a contact is created in, is then
 * no read at all while no account has changed. An entry is good only while the store's
 * accounts_version is the one read before the entry was loaded, so a disable, a password change,
 * a timezone change or any other write to a user or an organization is seen by the very next
 * request (API.md §2 allows a cache invalidated on those writes). Only for reads outside a unit
 * of work: a unit reads through its own connection. */
#ifndef CRM_ACCOUNT_CACHE_H
#define CRM_ACCOUNT_CACHE_H

#include "service/app.h"

/* per thread and kind, the records it read last: a thread that serves many clients (a waiting
 * thread takes any connection's write) reads the others again */
#define ACCOUNT_CACHE_SLOTS 8

/* Read like c->ops->user_get / org_get (NOT_FOUND, or a store failure), from this thread's
 * cache when it is still good; the strings of out are copies in a. */
int account_cache_user(crm_app *app, store_conn *c, const char *user_id, arena *a, crm_user *out);
int account_cache_org(crm_app *app, store_conn *c, const char *org_id, arena *a, crm_org *out);
/* The user an API key names (by the key's hash), like c->ops->user_get_by_apikey: which user a
 * key names is remembered as the records are, and a key that names no one is not remembered. */
int account_cache_apikey_user(crm_app *app, store_conn *c, const char *apikey_hash, arena *a, crm_user *out);

#endif
