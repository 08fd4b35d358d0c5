/* The rules a contact's fields obey whether it is created or updated (API.md §5.2 steps 1–6). */
#ifndef CRM_CONTACT_RULES_H
#define CRM_CONTACT_RULES_H

#include "service/contacts.h"

/* Applies the keys given in `in` to ct: phone lists and emails normalized (E.164 with region,
 * one primary, no repeats across both lists), strings copied, assignees replaced (none given on
 * a new contact: the caller). Keys not given leave ct as it is. */
int contact_apply_input(const contact_input *in, const char *region, const crm_user *me, arena *a, crm_contact *ct,
                        crm_err *err);

/* Inside a unit of work: assignees are users of the org, and every number is free (neither
 * provisioned nor held by another contact than ct itself). */
int contact_check_refs(store_conn *c, const crm_contact *ct, arena *a, crm_err *err);

/* Inside a unit of work: resolves the pipeline and stage keys of `in` (when any is given, or
 * when ct has no pipeline yet) and sets ct's pipeline, stage and status. */
int contact_apply_stage(store_conn *c, const contact_input *in, arena *a, crm_contact *ct, crm_err *err);

/* Whether ct holds the normalized value (E.164, or a lower-cased address) as a phone ("phone",
 * either list) or an email ("email"). */
bool contact_holds_value(const crm_contact *ct, const char *type, const char *value);

/* The field name API errors use for the i-th number of ct (primary list, then secondary). */
const char *contact_phone_field(const crm_contact *ct, size_t i, arena *a);

#endif
