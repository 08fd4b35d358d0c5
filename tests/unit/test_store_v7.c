/* The storage contract, version 7: a contact's verification and its numbers' and emails' read and
 * written with it, and notes on contacts (insert, get, update, delete, list by contact with a
 * cursor, gone with their contact). Runs through store_ops only, against SQLite in a fresh temp
 * dir and PostgreSQL when CRMD_TEST_PG_URL names a database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "store/store.h"
#include "store_units.h"
#include "tap.h"

static int u_note_insert(store_conn *c, void *arg) { return c->ops->note_insert(c, arg); }
static int u_note_update(store_conn *c, void *arg) { return c->ops->note_update(c, arg); }

static int u_note_delete(store_conn *c, void *arg)
{
    struct pair_arg *p = arg;
    return c->ops->note_delete(c, p->org_id, p->id);
}

/* Fixtures: an org with a one-stage pipeline, and contacts on it with one fresh number each. */
struct fixture {
    crm_org org;
    crm_pipeline pipeline;
    crm_stage stage;
};

static void new_fixture(store *s, struct fixture *f)
{
    memset(f, 0, sizeof *f);
    objectid_new(f->org.id);
    f->org.name = "Org";
    f->org.timezone = "UTC";
    strcpy(f->org.default_country, "US");
    f->org.created_at = f->org.updated_at = 1700000000000;
    objectid_new(f->pipeline.id);
    strcpy(f->pipeline.org_id, f->org.id);
    f->pipeline.name = "Contacts";
    f->pipeline.type = "Contact";
    f->pipeline.is_default = f->pipeline.is_active = true;
    objectid_new(f->stage.id);
    f->stage.name = "New Lead";
    f->stage.color = "#336699";
    f->stage.is_active = true;
    f->pipeline.stages = &f->stage;
    f->pipeline.nstages = 1;
    f->pipeline.created_at = f->pipeline.updated_at = 1700000000000;
    ok(s->ops->write(s, u_org_insert, &f->org) == 0 && s->ops->write(s, u_pipeline_insert, &f->pipeline) == 0,
       "fixture: org and pipeline");
}

static int64_t clock_ms = 1700000000000;

static void new_contact(crm_contact *ct, const struct fixture *f, crm_phone *phone)
{
    static unsigned n;
    memset(ct, 0, sizeof *ct);
    objectid_new(ct->id);
    strcpy(ct->org_id, f->org.id);
    objectid_new(ct->user_id);
    strcpy(ct->created_by, ct->user_id);
    snprintf(phone->e164, sizeof phone->e164, "+1415%03u%04u", (unsigned)(getpid() % 1000), ++n);
    phone->is_primary = true;
    ct->phones = phone;
    ct->nphones = 1;
    ct->status = f->stage.name;
    strcpy(ct->pipeline_id, f->pipeline.id);
    strcpy(ct->stage_id, f->stage.id);
    ct->created_at = ct->updated_at = (clock_ms += 1000);
}

static void is_verification(const crm_verification *got, const crm_verification *want, const char *what)
{
    is_int(got->at, want->at, "%s: at", what);
    is_str(got->by, want->by, "%s: by", what);
    if (want->source)
        is_str(got->source ? got->source : "(null)", want->source, "%s: source", what);
    else
        ok(got->source == NULL, "%s: no source", what);
}

/* The method of ct of that type and value, or NULL. */
static const crm_method_verification *method(const crm_contact *ct, const char *type, const char *value)
{
    for (size_t i = 0; i < ct->nmethods; i++)
        if (strcmp(ct->methods[i].type, type) == 0 && strcmp(ct->methods[i].value, value) == 0)
            return &ct->methods[i];
    return NULL;
}

static void test_verification(store *s)
{
    struct fixture f;
    crm_contact ct, got;
    crm_phone phone;
    crm_email emails[2] = {{"kim@example.com", true}, {"kim@work.example", false}};
    arena *a = arena_new();
    new_fixture(s, &f);
    new_contact(&ct, &f, &phone);
    ct.emails = emails;
    ct.nemails = 2;

    /* A source is free text: spaces, quotes, digits and multi-byte characters survive. */
    crm_verification cv = {1714573800000, "", "id check \"passport\" 12 é"};
    objectid_new(cv.by);
    crm_method_verification m[2] = {{"phone", phone.e164, {1714573800001, "", NULL}},
                                    {"email", "kim@example.com", {1714573800002, "", "link 2 x"}}};
    strcpy(m[0].v.by, cv.by);
    objectid_new(m[1].v.by);
    ct.verified = cv;
    ct.methods = m;
    ct.nmethods = 2;
    is_int(s->ops->write(s, u_contact_insert, &ct), 0, "insert a verified contact with verified entries");

    store_conn *r = s->ops->reader(s);
    is_int(r->ops->contact_get(r, f.org.id, ct.id, a, &got), 0, "contact_get");
    is_verification(&got.verified, &cv, "the contact's verification");
    is_int(got.nmethods, 2, "two verified entries");
    const crm_method_verification *gp = method(&got, "phone", phone.e164), *ge = method(&got, "email", "kim@example.com");
    ok(gp && ge, "the phone and the email, by value");
    if (gp && ge) {
        is_verification(&gp->v, &m[0].v, "the phone's");
        is_verification(&ge->v, &m[1].v, "the email's");
    }
    contact_query q = {.limit = 10};
    crm_contact *rows;
    size_t n;
    int64_t total;
    is_int(r->ops->contact_list(r, f.org.id, &q, a, &rows, &n, &total), 0, "contact_list");
    ok(n == 1 && rows[0].nmethods == 2 && rows[0].verified.at == cv.at, "a list reads the verification too");
    if (n == 1)
        is_str(rows[0].verified.source ? rows[0].verified.source : "(null)", cv.source, "with its source");

    /* An update writes them whole: one entry dropped, the contact unverified. */
    crm_contact next = got;
    memset(&next.verified, 0, sizeof next.verified);
    next.methods = (crm_method_verification *)ge;
    next.nmethods = 1;
    next.version = got.version + 1;
    struct update_arg u = {&next, got.version};
    is_int(s->ops->write(s, u_contact_update, &u), 0, "update");
    is_int(r->ops->contact_get(r, f.org.id, ct.id, a, &got), 0, "read back");
    is_int(got.verified.at, 0, "the contact is no longer verified");
    ok(got.verified.by[0] == '\0' && got.verified.source == NULL, "by and source cleared");
    is_int(got.nmethods, 1, "one verified entry left");
    ok(got.nmethods == 1 && strcmp(got.methods[0].type, "email") == 0, "the email");

    /* A contact without any has none; deleting takes the rows with it (the number is free). */
    crm_contact plain;
    crm_phone plain_phone;
    new_contact(&plain, &f, &plain_phone);
    is_int(s->ops->write(s, u_contact_insert, &plain), 0, "insert a plain contact");
    is_int(r->ops->contact_get(r, f.org.id, plain.id, a, &got), 0, "read it");
    ok(got.nmethods == 0 && got.verified.at == 0, "nothing verified");
    struct pair_arg d = {f.org.id, ct.id};
    is_int(s->ops->write(s, u_contact_delete, &d), 0, "delete the verified contact");
    is_int(r->ops->contact_get(r, f.org.id, ct.id, a, &got), -CRM_E_NOT_FOUND, "gone");
    crm_contact again = ct;
    objectid_new(again.id);
    again.methods = NULL;
    again.nmethods = 0;
    is_int(s->ops->write(s, u_contact_insert, &again), 0, "its number and values are free again");
    arena_destroy(a);
}

static void new_note(crm_note *nt, const struct fixture *f, const char *contact_id, const char *text)
{
    memset(nt, 0, sizeof *nt);
    objectid_new(nt->id);
    strcpy(nt->org_id, f->org.id);
    strcpy(nt->contact_id, contact_id);
    objectid_new(nt->user_id);
    nt->note = (char *)text;
    nt->mentions_json = "[]";
    nt->attachments_json = "[{\"filename\":\"a.pdf\",\"url\":\"https://x.example/a.pdf\"}]";
    nt->created_at = nt->updated_at = (clock_ms += 1000);
}

static void test_notes(store *s)
{
    struct fixture f, other;
    crm_contact ct, ct2;
    crm_phone p1, p2;
    crm_note notes[3], extra, got, *list;
    size_t n;
    arena *a = arena_new();
    new_fixture(s, &f);
    new_fixture(s, &other);
    new_contact(&ct, &f, &p1);
    new_contact(&ct2, &f, &p2);
    is_int(s->ops->write(s, u_contact_insert, &ct), 0, "contact");
    is_int(s->ops->write(s, u_contact_insert, &ct2), 0, "another contact");
    static const char *const texts[3] = {"first", "second\nline", "third ü"};
    for (int i = 0; i < 3; i++) {
        new_note(&notes[i], &f, ct.id, texts[i]);
        is_int(s->ops->write(s, u_note_insert, &notes[i]), 0, "note_insert %d", i);
    }
    new_note(&extra, &f, ct2.id, "on the other contact");
    is_int(s->ops->write(s, u_note_insert, &extra), 0, "a note on the other contact");
    crm_note orphan;
    char missing[25];
    objectid_new(missing);
    new_note(&orphan, &f, missing, "nobody");
    ok(s->ops->write(s, u_note_insert, &orphan) != 0, "a note on a contact that does not exist is refused");

    store_conn *r = s->ops->reader(s);
    is_int(r->ops->note_get(r, f.org.id, notes[1].id, a, &got), 0, "note_get");
    is_str(got.id, notes[1].id, "id");
    is_str(got.contact_id, ct.id, "contactId");
    is_str(got.user_id, notes[1].user_id, "userId");
    is_str(got.note, "second\nline", "text");
    is_str(got.mentions_json, "[]", "mentions");
    is_str(got.attachments_json, notes[1].attachments_json, "attachments");
    is_int(got.created_at, notes[1].created_at, "createdAt");
    is_int(r->ops->note_get(r, other.org.id, notes[1].id, a, &got), -CRM_E_NOT_FOUND, "another org: NOT_FOUND");
    is_int(r->ops->note_get(r, f.org.id, missing, a, &got), -CRM_E_NOT_FOUND, "unknown: NOT_FOUND");

    is_int(r->ops->note_list(r, f.org.id, ct.id, NULL, 10, a, &list, &n), 0, "note_list");
    is_int(n, 3, "the contact's three notes");
    ok(n == 3 && strcmp(list[0].id, notes[2].id) == 0 && strcmp(list[2].id, notes[0].id) == 0, "newest first");
    is_int(r->ops->note_list(r, f.org.id, ct.id, NULL, 2, a, &list, &n), 0, "a page of 2");
    is_int(n, 2, "two");
    note_cursor cur = {list[1].created_at, ""};
    strcpy(cur.id, list[1].id);
    is_int(r->ops->note_list(r, f.org.id, ct.id, &cur, 2, a, &list, &n), 0, "after the page");
    ok(n == 1 && strcmp(list[0].id, notes[0].id) == 0, "the oldest, once");
    is_int(r->ops->note_list(r, other.org.id, ct.id, NULL, 10, a, &list, &n), 0, "another org's list");
    is_int(n, 0, "is empty");

    crm_note changed = notes[0];
    changed.note = "first, edited";
    changed.mentions_json = "[\"0123456789abcdef01234567\"]";
    changed.attachments_json = "[]";
    changed.updated_at = notes[0].updated_at + 5;
    is_int(s->ops->write(s, u_note_update, &changed), 0, "note_update");
    is_int(r->ops->note_get(r, f.org.id, notes[0].id, a, &got), 0, "read back");
    is_str(got.note, "first, edited", "new text");
    is_str(got.mentions_json, changed.mentions_json, "new mentions");
    is_str(got.attachments_json, "[]", "new attachments");
    is_int(got.updated_at, changed.updated_at, "updatedAt");
    is_int(got.created_at, notes[0].created_at, "createdAt kept");
    crm_note foreign = changed;
    strcpy(foreign.org_id, other.org.id);
    is_int(s->ops->write(s, u_note_update, &foreign), -CRM_E_NOT_FOUND, "update in another org: NOT_FOUND");

    struct pair_arg d = {f.org.id, notes[1].id};
    is_int(s->ops->write(s, u_note_delete, &d), 0, "note_delete");
    is_int(s->ops->write(s, u_note_delete, &d), -CRM_E_NOT_FOUND, "again: NOT_FOUND");
    struct pair_arg dx = {other.org.id, notes[2].id};
    is_int(s->ops->write(s, u_note_delete, &dx), -CRM_E_NOT_FOUND, "another org's: NOT_FOUND");

    struct pair_arg dc = {f.org.id, ct.id};
    is_int(s->ops->write(s, u_contact_delete, &dc), 0, "delete the contact");
    is_int(r->ops->note_get(r, f.org.id, notes[0].id, a, &got), -CRM_E_NOT_FOUND, "its notes are gone");
    is_int(r->ops->note_get(r, f.org.id, notes[2].id, a, &got), -CRM_E_NOT_FOUND, "all of them");
    is_int(r->ops->note_get(r, f.org.id, extra.id, a, &got), 0, "another contact's note stays");
    arena_destroy(a);
}

static void run_contract(const char *url)
{
    char err[512] = "";
    store *s = store_open(url, err, sizeof err);
    ok(s != NULL, "store_open %s", url);
    if (!s) {
        fprintf(stderr, "# %s\n", err);
        return;
    }
    is_int(s->ops->version, STORE_OPS_VERSION, "ops version");
    is_int(s->ops->migrate(s), 0, "migrate");
    test_verification(s);
    test_notes(s);
    s->ops->close(s);
}

int main(void)
{
    return run_on_each_backend(run_contract) ? 1 : tap_done();
}
