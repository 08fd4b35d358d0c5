/* Contacts: creation with every rule of API.md §5.2, and reads with role-based visibility. */
#ifndef CRM_CONTACTS_H
#define CRM_CONTACTS_H

#include "service/app.h"

#define CONTACT_MAX_PHONES 20
#define CONTACT_MAX_EMAILS 20

/* One phone or email entry as the client wrote it; `field` names it in errors. */
typedef struct contact_value_input {
    const char *value;
    int is_primary;        /* -1: not given */
    const char *field;     /* "phoneNumber[1].value", "email", "email[0]" ... */
} contact_value_input;

typedef struct contact_input {
    contact_value_input *phones, *secondary, *emails;
    size_t nphones, nsecondary, nemails;
    const char *first_name, *last_name, *process, *source;   /* NULL: not given */
    const char *status, *stage_id, *pipeline_id;
    const char **assignees;
    size_t nassignees;
    bool has_assignees;
} contact_input;

/* Creates the contact, its CONTACT_CREATE log entry and its contact_created event in one
 * transaction. *out is the stored contact (arena). */
int contact_create(crm_app *app, const crm_user *me, const contact_input *in, arena *a,
                   crm_contact *out, crm_err *err);

/* Reads a contact the caller may see (NOT_FOUND otherwise). */
int contact_read(crm_app *app, const crm_user *me, const char *contact_id, arena *a,
                 crm_contact *out, crm_err *err);

bool contact_visible_to(const crm_contact *ct, const crm_user *me);

#endif
