/* §5.7: notes on contacts. */
#include <string.h>
#include "api/routes.h"
#include "service/notes.h"
#include "service/render.h"

#define FILENAME_MAX_CHARS 255
#define URL_MAX_CHARS 2048

/* note: 1 to 10,000 characters, not only white space. */
static int read_note_text(json_t *body, bool required, note_input *in, crm_err *err)
{
    json_t *v = json_object_get(body, "note");
    int rc;
    if (!v && !required)
        return 0;
    if ((rc = jin_string(body, "note", "note", NOTE_MAX_CHARS, true, &in->note, err)))
        return rc;
    if (strspn(in->note, " \t\r\n") == strlen(in->note))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "note", "note must hold 1 to %d characters, not only spaces",
                        NOTE_MAX_CHARS);
    in->given |= NK_NOTE;
    return 0;
}

/* mentions: an array of user ids (null or absent: none); the same user twice is one mention. */
static int read_mentions(http_req *r, json_t *body, note_input *in, crm_err *err)
{
    json_t *v = json_object_get(body, "mentions");
    if (!v)
        return 0;
    in->given |= NK_MENTIONS;
    if (json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > NOTE_MAX_MENTIONS)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "mentions", "mentions must be an array of at most %d user ids",
                        NOTE_MAX_MENTIONS);
    size_t n = json_array_size(v);
    in->mentions = arena_alloc(http_req_arena(r), (n + 1) * sizeof *in->mentions);
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(v, i));
        if (!id || !objectid_valid(id)) {
            const char *f = arena_printf(http_req_arena(r), "mentions[%zu]", i);
            return crm_fail(err, CRM_E_VALIDATION_FAILED, f, "%s must be a 24-character hex user id", f);
        }
        bool seen = false;
        for (size_t j = 0; j < in->nmentions && !seen; j++)
            seen = strcmp(in->mentions[j], id) == 0;
        if (!seen)
            in->mentions[in->nmentions++] = id;
    }
    return 0;
}

/* attachments: an array of at most 10 {filename, url} (null or absent: none). */
static int read_attachments(http_req *r, json_t *body, note_input *in, crm_err *err)
{
    arena *a = http_req_arena(r);
    json_t *v = json_object_get(body, "attachments");
    if (!v)
        return 0;
    in->given |= NK_ATTACHMENTS;
    if (json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > NOTE_MAX_ATTACHMENTS)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "attachments",
                        "attachments must be an array of at most %d {filename, url}", NOTE_MAX_ATTACHMENTS);
    size_t n = json_array_size(v);
    note_attachment *list = arena_alloc(a, (n + 1) * sizeof *list);
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v, i);
        const char *f = arena_printf(a, "attachments[%zu]", i);
        int rc;
        if (!json_is_object(item))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, f, "%s must be an object {filename, url}", f);
        if ((rc = jin_string(item, "filename", arena_printf(a, "%s.filename", f), FILENAME_MAX_CHARS, true,
                             &list[i].filename, err)) ||
            (rc = jin_string(item, "url", arena_printf(a, "%s.url", f), URL_MAX_CHARS, true, &list[i].url, err)))
            return rc;
        if (!*list[i].filename || !*list[i].url)
            return crm_fail(err, CRM_E_VALIDATION_FAILED, f, "%s needs a non-empty filename and url", f);
    }
    in->attachments = list;
    in->nattachments = n;
    return 0;
}

static void send_note(http_req *r, int status, const char *message, const crm_note *n)
{
    api_send_ok(r, status, message, json_pack("{s:o}", "note", render_note(n)));
}

static void create_note(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    note_input in = { 0 };
    crm_note note;
    if (api_authenticate(r, &me, &err) || require_org_member(me, &err) || api_body_object(r, &body, &err) ||
        jin_objectid(body, "contactId", true, &in.contact_id, &err) || read_note_text(body, true, &in, &err) ||
        read_mentions(r, body, &in, &err) || read_attachments(r, body, &in, &err) ||
        note_create(api_app(), me, &in, http_req_arena(r), &note, &err))
        api_send_error(r, &err);
    else
        send_note(r, 201, "Note created", &note);
    json_decref(body);
}

static void list_notes(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *contact_id, *after;
    int64_t limit;
    crm_note *notes;
    size_t n;
    char *next;
    if (api_authenticate(r, &me, &err) || require_org_member(me, &err) ||
        qin_id(r, "contactId", &contact_id, &err) ||
        (!contact_id && crm_fail(&err, CRM_E_VALIDATION_FAILED, "contactId", "contactId is required")) ||
        qin_text(r, "after", 100, &after, &err) || qin_int(r, "limit", 1, NOTE_LIST_MAX, 20, &limit, &err) ||
        note_list(api_app(), me, contact_id, after, limit, http_req_arena(r), &notes, &n, &next, &err)) {
        api_send_error(r, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_note(&notes[i]));
    api_send_ok(r, 200, "Notes", json_pack("{s:o, s:o}", "notes", arr, "nextCursor", json_str_or_null(next)));
}

static void patch_note(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id;
    note_input in = { 0 };
    crm_note note;
    if (api_authenticate(r, &me, &err) || require_org_member(me, &err) || api_path_id(r, "id", &id, &err) ||
        api_body_object(r, &body, &err) || read_note_text(body, false, &in, &err) ||
        read_mentions(r, body, &in, &err) || read_attachments(r, body, &in, &err) ||
        note_update(api_app(), me, id, &in, http_req_arena(r), &note, &err))
        api_send_error(r, &err);
    else
        send_note(r, 200, "Note updated", &note);
    json_decref(body);
}

static void delete_note(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    crm_note note;
    if (api_authenticate(r, &me, &err) || require_org_member(me, &err) || api_path_id(r, "id", &id, &err) ||
        note_delete(api_app(), me, id, http_req_arena(r), &note, &err))
        api_send_error(r, &err);
    else
        send_note(r, 200, "Note deleted", &note);
}

const http_route api_note_routes[] = {
    { "POST", "/api/contact-notes", create_note },
    { "GET", "/api/contact-notes", list_notes },
    { "PATCH", "/api/contact-notes/:id", patch_note },
    { "DELETE", "/api/contact-notes/:id", delete_note },
};
const size_t api_note_nroutes = sizeof api_note_routes / sizeof api_note_routes[0];
