/* Notes on contacts. Each write is one unit of work that reads the contact first (on PostgreSQL
 * that locks its row, so a note never lands on a contact being deleted), checks who may write,
 * and logs the note in the contact's timeline with its event. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/contacts.h"
#include "service/event_logs.h"
#include "service/notes.h"
#include "service/render.h"
#include "lib/timefmt.h"

static char *mentions_text(const note_input *in, arena *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < in->nmentions; i++)
        json_array_append_new(arr, json_string(in->mentions[i]));
    char *text = json_dumps_arena(arr, a);
    json_decref(arr);
    return text;
}

static char *attachments_text(const note_input *in, arena *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < in->nattachments; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "filename", in->attachments[i].filename, "url",
                                             in->attachments[i].url));
    char *text = json_dumps_arena(arr, a);
    json_decref(arr);
    return text;
}

/* The contact of a note, when the caller may see it. */
static int visible_contact(store_conn *c, const crm_user *me, const char *contact_id, arena *a, crm_contact *ct,
                           crm_err *err)
{
    int rc = c->ops->contact_get(c, me->org_id, contact_id, a, ct);
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && !contact_visible_to(ct, me)))
        return crm_fail(err, CRM_E_NOT_FOUND, "contactId", "No such contact");
    return rc;
}

static int check_mentions(store_conn *c, const crm_user *me, const note_input *in, arena *a, crm_err *err)
{
    for (size_t i = 0; i < in->nmentions; i++) {
        crm_user u;
        int rc = c->ops->user_get(c, in->mentions[i], a, &u);
        if (rc == -CRM_E_NOT_FOUND || (rc == 0 && strcmp(u.org_id, me->org_id) != 0)) {
            const char *field = arena_printf(a, "mentions[%zu]", i);
            return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s is not a user of your organization", field);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* The log entry and the event of a note write: the event carries the note and its contact (whose
 * owner, creator and assignees are the SALES_REPs that hear of it). */
static int record(store_conn *c, const crm_user *me, const crm_contact *ct, const crm_note *n, const char *type,
                  json_t *changes, const char *event_name, arena *a)
{
    char *text = json_dumps_arena(changes, a);
    json_decref(changes);
    return event_log_append(c, me, ct->org_id, ct->id, type, text, event_name,
                            json_pack("{s:o, s:o}", "note", render_note(n), "contact", render_contact(ct)));
}

struct note_work {
    const crm_user *me;
    const char *note_id;
    const note_input *in;
    arena *a;
    crm_note *out;
    crm_err *err;
};

static int create_unit(store_conn *c, void *arg)
{
    struct note_work *w = arg;
    crm_contact ct;
    int rc;
    if ((rc = visible_contact(c, w->me, w->in->contact_id, w->a, &ct, w->err)) ||
        (rc = check_mentions(c, w->me, w->in, w->a, w->err)) || (rc = c->ops->note_insert(c, w->out)))
        return rc;
    return record(c, w->me, &ct, w->out, "NOTE_CREATE", json_pack("{s:o}", "note", render_note(w->out)),
                  "note_created", w->a);
}

int note_create(crm_app *app, const crm_user *me, const note_input *in, arena *a, crm_note *out, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    objectid_new(out->id);
    memcpy(out->org_id, me->org_id, sizeof out->org_id);
    memcpy(out->contact_id, in->contact_id, sizeof out->contact_id);
    memcpy(out->user_id, me->id, sizeof out->user_id);
    out->note = (char *)in->note;
    out->mentions_json = mentions_text(in, a);
    out->attachments_json = attachments_text(in, a);
    out->created_at = out->updated_at = time_now_ms();
    struct note_work w = { me, NULL, in, a, out, err };
    return app_write(app, create_unit, &w, err);
}

/* The note and its contact, when the caller sees both and may change the note. */
static int writable(store_conn *c, struct note_work *w, crm_note *n, crm_contact *ct)
{
    int rc = c->ops->note_get(c, w->me->org_id, w->note_id, w->a, n);
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(w->err, CRM_E_NOT_FOUND, NULL, "No such note");
    if (rc)
        return rc;
    rc = visible_contact(c, w->me, n->contact_id, w->a, ct, w->err);
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(w->err, CRM_E_NOT_FOUND, NULL, "No such note");
    if (rc)
        return rc;
    if (w->me->role != ROLE_ADMIN && strcmp(n->user_id, w->me->id) != 0)
        return crm_fail(w->err, CRM_E_FORBIDDEN, NULL, "Only the note's author or an ADMIN may change it");
    return 0;
}

/* {"from", "to"} of a key whose values are JSON text (raw) or plain text. */
static void diff(json_t *changes, const char *key, const char *from, const char *to, bool raw)
{
    if (strcmp(from, to) == 0)
        return;
    json_t *f = raw ? json_loads(from, 0, NULL) : json_string(from);
    json_t *t = raw ? json_loads(to, 0, NULL) : json_string(to);
    json_object_set_new(changes, key, json_pack("{s:o, s:o}", "from", f ? f : json_null(), "to", t ? t : json_null()));
}

static int update_unit(store_conn *c, void *arg)
{
    struct note_work *w = arg;
    crm_note before;
    crm_contact ct;
    int rc = writable(c, w, &before, &ct);
    if (rc)
        return rc;
    crm_note *n = w->out;
    *n = before;
    if (w->in->given & NK_NOTE)
        n->note = (char *)w->in->note;
    if (w->in->given & NK_MENTIONS) {
        n->mentions_json = mentions_text(w->in, w->a);
        if ((rc = check_mentions(c, w->me, w->in, w->a, w->err)))
            return rc;
    }
    if (w->in->given & NK_ATTACHMENTS)
        n->attachments_json = attachments_text(w->in, w->a);

    json_t *changes = json_object();
    diff(changes, "note", before.note, n->note, false);
    diff(changes, "mentions", before.mentions_json, n->mentions_json, true);
    diff(changes, "attachments", before.attachments_json, n->attachments_json, true);
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        return 0;   /* nothing changes: nothing is written */
    }
    json_object_set_new(changes, "noteId", json_string(n->id));
    n->updated_at = time_now_ms();
    if ((rc = c->ops->note_update(c, n))) {
        json_decref(changes);
        return rc;
    }
    return record(c, w->me, &ct, n, "NOTE_UPDATE", changes, "note_updated", w->a);
}

int note_update(crm_app *app, const crm_user *me, const char *note_id, const note_input *in, arena *a,
                crm_note *out, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc)
        return rc;
    struct note_work w = { me, note_id, in, a, out, err };
    return app_write(app, update_unit, &w, err);
}

static int delete_unit(store_conn *c, void *arg)
{
    struct note_work *w = arg;
    crm_contact ct;
    int rc = writable(c, w, w->out, &ct);
    if (rc || (rc = c->ops->note_delete(c, w->me->org_id, w->note_id)))
        return rc;
    return record(c, w->me, &ct, w->out, "NOTE_DELETE", json_pack("{s:o}", "note", render_note(w->out)),
                  "note_removed", w->a);
}

int note_delete(crm_app *app, const crm_user *me, const char *note_id, arena *a, crm_note *out, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc)
        return rc;
    struct note_work w = { me, note_id, NULL, a, out, err };
    return app_write(app, delete_unit, &w, err);
}

/* A page cursor: "<created_at ms>_<note id>" of the last note sent. */
static bool parse_cursor(const char *s, note_cursor *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return false;
    long long ms = strtoll(s, &end, 10);
    if (*end != '_' || ms < 0 || !objectid_valid(end + 1))
        return false;
    out->created_at = ms;
    memcpy(out->id, end + 1, sizeof out->id);
    return true;
}

int note_list(crm_app *app, const crm_user *me, const char *contact_id, const char *after, int64_t limit, arena *a,
              crm_note **out, size_t *n, char **next, crm_err *err)
{
    store_conn *c;
    crm_contact ct;
    note_cursor cur;
    int rc;
    *next = NULL;
    if (after && !parse_cursor(after, &cur))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "after", "after must be a cursor from nextCursor");
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = visible_contact(c, me, contact_id, a, &ct, err)) == 0)
        rc = c->ops->note_list(c, me->org_id, contact_id, after ? &cur : NULL, limit, a, out, n);
    if (rc)
        return err->code ? rc : crm_fail(err, -rc, NULL, NULL);
    if (*n == (size_t)limit) {
        const crm_note *last = &(*out)[*n - 1];
        *next = arena_printf(a, "%" PRId64 "_%s", last->created_at, last->id);
    }
    return 0;
}
