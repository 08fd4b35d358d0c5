/* The records of crmd as C structs: what the service layer reasons about and the store keeps.
 * Strings are owned by the arena that the record was read into (or by the caller that built it). */
#ifndef CRM_MODEL_H
#define CRM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/objectid.h"
#include "lib/phone.h"

typedef enum crm_role { ROLE_SUPERADMIN, ROLE_ADMIN, ROLE_DEPARTMENT_HEAD, ROLE_SALES_REP } crm_role;

const char *crm_role_name(crm_role r);
bool crm_role_parse(const char *s, crm_role *out);

typedef struct crm_org {
    objectid id;
    char *name, *phone_number, *address, *timezone;   /* phone_number, address may be NULL */
    char default_country[3];
    int64_t created_at, updated_at;                   /* ms since the epoch */
} crm_org;

typedef struct crm_user {
    objectid id;
    objectid org_id;           /* "" for SUPERADMIN */
    char *email, *full_name, *password_hash;
    char *phone_number, *designation, *sinch_phone_number;   /* may be NULL */
    crm_role role;
    bool login_disabled;
    int64_t token_version;     /* bumped by a password change, disable or delete: revokes tokens */
    int64_t created_at, updated_at;
} crm_user;

typedef struct crm_org_phone {
    char e164[PHONE_E164_MAX];
    char *provider;            /* "twilio" | "sinch" | "textgrid" */
    objectid target_user_id;   /* "" when none */
    bool is_default, is_inbound_enabled;
    int64_t created_at;
} crm_org_phone;

typedef struct crm_stage {
    objectid id;
    char *name, *color;
    int position;
    bool is_active;
} crm_stage;

typedef struct crm_pipeline {
    objectid id, org_id;
    char *name, *description;  /* description may be NULL */
    char *type;                /* "Contact" | "Application" */
    bool is_default, is_active;
    crm_stage *stages;         /* ordered by position */
    size_t nstages;
    objectid created_by, updated_by;
    int64_t created_at, updated_at;
} crm_pipeline;

typedef struct crm_phone {
    char e164[PHONE_E164_MAX];
    bool is_primary;
} crm_phone;

typedef struct crm_email {
    char *value;
    bool is_primary;
} crm_email;

/* Who verified a contact or one of its numbers or emails, when, and how (API.md §5.6). */
typedef struct crm_verification {
    int64_t at;                /* ms; 0: not verified (then by and source are empty) */
    objectid by;               /* the user who verified */
    char *source;              /* verificationSource, may be NULL */
} crm_verification;

/* The verification of one number or email of a contact, kept by value: an entry re-entered in
 * another format (the same E.164 number, the same address in other case) stays verified. */
typedef struct crm_method_verification {
    const char *type;          /* "phone" | "email" */
    char *value;               /* E.164, or the lower-cased address */
    crm_verification v;
} crm_method_verification;

typedef struct crm_contact {
    objectid id, org_id, user_id, created_by;
    objectid *assignees;
    size_t nassignees;
    char *first_name, *last_name;          /* may be NULL */
    crm_phone *phones;                     /* phoneNumber: exactly one is_primary */
    size_t nphones;
    crm_phone *secondary;                  /* secondaryPhoneNumber */
    size_t nsecondary;
    crm_email *emails;                     /* the first is_primary one is `email` */
    size_t nemails;
    char *status, *process, *source;       /* process, source may be NULL */
    objectid pipeline_id, stage_id;
    int64_t created_at, updated_at;
    int64_t version;                       /* __v */
    crm_verification verified;             /* isVerified is verified.at != 0 */
    crm_method_verification *methods;      /* verified numbers and emails only, each one the */
    size_t nmethods;                       /* contact holds */
} crm_contact;

/* The verification of ct's number or email (type "phone" | "email") of that value, or NULL. */
const crm_verification *crm_contact_method(const crm_contact *ct, const char *type, const char *value);

/* A note on a contact (API.md §5.7). mentions and attachments are kept as JSON text arrays. */
typedef struct crm_note {
    objectid id, org_id, contact_id, user_id;
    char *note;
    char *mentions_json;       /* ["<user id>", ...] */
    char *attachments_json;    /* [{"filename", "url"}, ...] */
    int64_t created_at, updated_at;
} crm_note;

/* A bulk job (API.md §5.5): today a delete by query, of the contacts matched when it began. */
typedef struct crm_bulk_job {
    objectid id, org_id, user_id;   /* user_id: who started it, the only one who may read it */
    char *kind;                /* "delete" */
    char *state;               /* pending | completed | failed */
    int64_t total, processed;
    char *error;               /* NULL unless failed */
    int64_t lease_until;       /* a server runs a pending job only while its lease holds (ms) */
    int64_t created_at, updated_at;
} crm_bulk_job;
/* A CSV import (API.md §11): the job, and one row of its file with the row's result. */
typedef struct crm_import {
    objectid id, org_id, user_id;
    char *state;               /* running | done | failed */
    char *on_duplicate;        /* skip | update | error */
    bool dry_run;
    char *file_name;           /* the multipart part's filename, or NULL */
    char *error;               /* why a failed import failed, or NULL */
    int64_t total;             /* data rows of the file */
    int64_t created_at, finished_at;   /* finished_at 0: running */
    int64_t lease_until;       /* the server running it holds it until then (ms) */
    /* counts of the rows with a result, by status (filled by import_get) */
    int64_t processed, created, updated, skipped, failed;
} crm_import;

/* The count of crm_import that rows of this status add to (created, updated, skipped; anything
 * else: failed, which the stores' CHECK constraints leave as the only other status). */
int64_t *crm_import_count(crm_import *imp, const char *status);

typedef struct crm_import_row {
    int64_t row;               /* the spreadsheet's row number: the header is row 1 */
    int64_t after_row;         /* an earlier row of the file with one of its numbers; 0: none */
    char *input_json;          /* the row as a POST /api/contact body */
    char *status;              /* created | updated | skipped | failed; NULL: not done yet */
    objectid contact_id;       /* "" when none */
    char *error, *field, *value;   /* a failed (or skipped) row's reason, else NULL */
    char *message;             /* the reason for people */
} crm_import_row;

typedef struct crm_event_log {
    objectid id, org_id, user_id, contact_id;
    char *type;                /* CONTACT_CREATE | CONTACT_UPDATE | CONTACT_DELETE | CONTACT_METHOD_(UN)VERIFIED | NOTE_* */
    char *source;              /* manual | api | import */
    char *changes_json;        /* JSON text, or NULL */
    int64_t created_at;
} crm_event_log;

/* One row of the durable event stream (API.md §7): what Socket.IO, SSE and webhooks deliver. */
typedef struct crm_event {
    int64_t seq;               /* monotonic across the installation */
    objectid org_id;
    char *name;                /* contact_created | contact_updated | contact_removed */
    char *payload_json;        /* {"contact": {...}} */
    int64_t created_at;
} crm_event;

typedef struct crm_webhook {
    objectid id, org_id, created_by;
    char *url;
    char **events;             /* event names it wants */
    size_t nevents;
    char *secret;              /* HMAC key; never rendered */
    int64_t created_at;
} crm_webhook;

typedef enum crm_delivery_state { DELIVERY_PENDING, DELIVERY_SUCCEEDED, DELIVERY_FAILED } crm_delivery_state;

const char *crm_delivery_state_name(crm_delivery_state s);   /* NULL when out of range */
crm_delivery_state crm_delivery_state_parse(const char *s);   /* unknown: DELIVERY_FAILED */

typedef struct crm_delivery {
    objectid id, org_id, webhook_id;
    int64_t event_seq;
    char *event_name;
    char *payload_json;        /* the exact body POSTed */
    crm_delivery_state state;
    int attempts;
    int last_status;           /* HTTP status of the last attempt, 0 when none answered */
    char *last_error;          /* NULL when none */
    int64_t next_attempt_at;   /* ms; meaningful while pending */
    int64_t created_at, updated_at;
} crm_delivery;

#endif
