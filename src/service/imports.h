/* CSV imports (API.md §11): a file becomes a durable job (the import and every row of the file,
 * stored before the client is answered); a worker runs each row through contact_create (or, for
 * a number the organization already has and onDuplicate=update, contact_update) and writes the
 * row's result in the same unit of work as the contact. docs/api-decisions.md has the rules. */
#ifndef CRM_IMPORTS_H
#define CRM_IMPORTS_H

#include <jansson.h>
#include "service/app.h"
#include "service/contacts.h"

#define IMPORT_MAX_BYTES ((size_t)50 * 1024 * 1024)
#define IMPORT_MAX_ROWS 200000
#define IMPORT_ROWS_PAGE_MAX 1000
#define IMPORT_KEEP_MS (7LL * 24 * 3600 * 1000)   /* an ended import and its rows are purged after this */

/* Reads one row, written as a POST /api/contact body, into in, with every check of that
 * endpoint (api_contact_input_read): the worker is given it, so that rows and requests share
 * one reader. Strings point into body and a. */
typedef int (*import_row_reader)(json_t *body, arena *a, contact_input *in, crm_err *err);

typedef struct import_options {
    const char *mapping;        /* JSON object: header → field; NULL: headers matched by name */
    const char *on_duplicate;   /* "skip" (NULL), "update" or "error" */
    bool dry_run;
    const char *file_name;      /* of a multipart upload, or NULL */
} import_options;

/* Reads the CSV file csv[0..len), and stores the import and its rows (running); *out is the
 * import. VALIDATION_FAILED for a bad option, a malformed file (field "file") or a header with
 * no phone column; PAYLOAD_TOO_LARGE past IMPORT_MAX_BYTES or IMPORT_MAX_ROWS. */
int import_start(crm_app *app, const crm_user *me, const import_options *opt, const char *csv, size_t len, arena *a,
                 crm_import *out, crm_err *err);

/* An import its creator or an ADMIN of its organization may see (NOT_FOUND otherwise). */
int import_read(crm_app *app, const crm_user *me, const char *import_id, arena *a, crm_import *out, crm_err *err);
/* The rows done of such an import (status NULL: any), page from 1. */
int import_rows(crm_app *app, const crm_user *me, const char *import_id, const char *status, int64_t page,
                int64_t limit, arena *a, crm_import_row **out, size_t *n, int64_t *total, crm_err *err);

/* `crmd import`: the user of org_id with this email (any case), whom the command acts as;
 * NOT_FOUND when there is none there, or its login is disabled. */
int import_caller(crm_app *app, const char *org_id, const char *email, arena *a, crm_user *out, crm_err *err);

json_t *render_import(const crm_import *imp);
json_t *render_import_row(const crm_import_row *r);

/* The worker: a thread that claims running imports (its own and those of a server that
 * stopped) and runs them, with `runners` threads creating rows at once so that their units
 * commit in groups. import_worker_wake: a new import is waiting. */
typedef struct import_worker import_worker;
import_worker *import_worker_start(crm_app *app, import_row_reader reader, unsigned runners, char *err,
                                   size_t errlen);
void import_worker_wake(import_worker *w);   /* NULL is fine */
void import_worker_stop(import_worker *w);   /* NULL is fine; a running import is left to resume */

#endif
