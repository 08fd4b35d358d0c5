/* CSV export of contacts (API.md §11): the contacts GET /api/contacts would list for the same
 * filters and caller, newest first, read from the store a page at a time, so that memory stays
 * flat however many there are. */
#ifndef CRM_SERVICE_CONTACT_EXPORT_H
#define CRM_SERVICE_CONTACT_EXPORT_H

#include "service/contacts.h"

typedef struct contact_export contact_export;

/* Checks the filters (page, size and after are ignored) and prepares the header. Errors as
 * contact_list's, before anything is written. */
int contact_export_open(crm_app *app, const crm_user *me, const contact_list_input *in, contact_export **out,
                        crm_err *err);
/* Tether's export (API.md §5.5): columns First Name, Last Name, Phone, Email (the primary ones),
 * Pipeline, Stage, Created Date, for the matches of each query in turn (each newest first). The
 * queries' strings are copied. */
int contact_export_open_tether(crm_app *app, const crm_user *me, const contact_query *qs, size_t nq,
                               contact_export **out, crm_err *err);
/* The next bytes of the CSV into buf (at most max): how many, 0 at the end, -1 when the store
 * failed (the CSV is then incomplete). */
long contact_export_read(contact_export *x, char *buf, size_t max);
int64_t contact_export_rows(const contact_export *x);   /* contacts written so far */
void contact_export_close(contact_export *x);           /* NULL is fine */

#endif
