/* Notes on contacts (API.md §5.7): who may write them, the mentions they may hold, and their
 * place in the contact's timeline (event log) and the event stream. */
#ifndef CRM_NOTES_H
#define CRM_NOTES_H

#include "service/app.h"

#define NOTE_MAX_CHARS 10000
#define NOTE_MAX_MENTIONS 50
#define NOTE_MAX_ATTACHMENTS 10
#define NOTE_LIST_MAX 100

typedef struct note_attachment {
    const char *filename, *url;
} note_attachment;

/* Which keys a request carried. */
enum note_key { NK_NOTE = 1 << 0, NK_MENTIONS = 1 << 1, NK_ATTACHMENTS = 1 << 2 };

typedef struct note_input {
    unsigned given;                /* enum note_key bits */
    const char *contact_id;        /* create only */
    const char *note;
    const char **mentions;         /* user ids, each once */
    size_t nmentions;
    const note_attachment *attachments;
    size_t nattachments;
} note_input;

/* POST /api/contact-notes: the caller must see the contact (NOT_FOUND otherwise); mentions must
 * be users of the organization. Logs NOTE_CREATE and emits note_created. */
int note_create(crm_app *app, const crm_user *me, const note_input *in, arena *a, crm_note *out, crm_err *err);

/* GET /api/contact-notes: the notes of a contact the caller sees, newest first; after is a
 * cursor from *next (arena; NULL when no note follows the page). */
int note_list(crm_app *app, const crm_user *me, const char *contact_id, const char *after, int64_t limit, arena *a,
              crm_note **out, size_t *n, char **next, crm_err *err);

/* PATCH and DELETE /api/contact-notes/{id}: by the author or an ADMIN (FORBIDDEN otherwise), of a
 * note on a contact the caller sees (NOT_FOUND otherwise). An update that changes nothing writes
 * nothing. *out is the note after the update, or as it was before the delete. */
int note_update(crm_app *app, const crm_user *me, const char *note_id, const note_input *in, arena *a,
                crm_note *out, crm_err *err);
int note_delete(crm_app *app, const crm_user *me, const char *note_id, arena *a, crm_note *out, crm_err *err);

#endif
