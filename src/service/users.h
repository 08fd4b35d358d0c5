/* Users of an organization: creation by an ADMIN, listing, and profile edits. */
#ifndef CRM_USERS_H
#define CRM_USERS_H

#include "service/app.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

typedef struct user_input {
    const char *full_name, *email, *password;       /* required on create */
    const char *phone_number, *designation, *sinch_phone_number;   /* optional, may be NULL */
    const char *access_role;                        /* required on create by an ADMIN */
} user_input;

/* Validates and normalizes in into u (fresh id, hashed password, timestamps) for org_id.
 * `prefix` names fields in errors ("adminDetails." or ""). region reads phone numbers. */
int user_build(const user_input *in, const char *org_id, crm_role role, const char *region,
               const char *prefix, arena *a, crm_user *u, crm_err *err);

int user_create(crm_app *app, const crm_user *me, const user_input *in, arena *a, crm_user *out, crm_err *err);
int user_list(crm_app *app, const crm_user *me, arena *a, crm_user **out, size_t *n, crm_err *err);

typedef struct profile_input {
    const char *id;                          /* NULL: the caller */
    const char *full_name, *email, *password, *phone_number, *designation, *sinch_phone_number;
    const char *access_role;                 /* ADMIN only */
    int login_disabled;                      /* -1: unchanged; ADMIN only */
    bool clear_phone, clear_designation, clear_sinch;   /* explicit null */
} profile_input;

int user_profile_get(crm_app *app, const crm_user *me, arena *a, crm_user *out, crm_err *err);
int user_profile_update(crm_app *app, const crm_user *me, const profile_input *in, arena *a,
                        crm_user *out, crm_err *err);



/* For `crmd init`: creates the SUPERADMIN unless that email exists. Returns 0 when created,
 * 1 when a SUPERADMIN with this email already exists, or a negative error. */
int user_create_superadmin(crm_app *app, const char *email, const char *password, crm_user *out, arena *a,
                           crm_err *err);
#endif
