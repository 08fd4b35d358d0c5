/* Who is calling: password login, bearer tokens (JWT or API key), and API key rotation. */
#ifndef CRM_AUTH_H
#define CRM_AUTH_H

#include "service/app.h"

/* On success *user is the logged-in user and *token a JWT in the arena. A wrong email, a wrong
 * password and a disabled user fail alike (UNAUTHORIZED) after the same Argon2id work. */
int auth_login(crm_app *app, const char *email, const char *password, arena *a,
               crm_user *user, char **token, crm_err *err);

/* Resolves "Authorization: Bearer <token>" (header value as sent) to the current user record.
 * Checks signature, expiry, the user's existence, loginDisabled and token version. */
int auth_authenticate(crm_app *app, const char *authorization, arena *a, crm_user *me, crm_err *err);

/* Whether a connection opened by a user (a Socket.IO socket, an SSE stream) may stay open: the
 * user still exists in that organization, is enabled and holds the token version it connected
 * with (a disable, a password change or a deletion ends it). A storage failure answers yes: a
 * hiccup of the database must not close every live connection. */
bool auth_still_valid(crm_app *app, const char *user_id, const char *org_id, int64_t token_version);

/* Whether an Authorization header value carries an API key rather than a JWT. */
bool auth_is_apikey(const char *authorization);

/* Issues a fresh API key for the caller, replacing the old one; *key in the arena. */
int auth_regenerate_apikey(crm_app *app, const crm_user *me, arena *a, char **key, crm_err *err);

#endif
