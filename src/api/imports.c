/* §11: CSV imports — the upload (a text/csv body or a multipart/form-data "file" part) and the
 * job's reads. The file is read whole, within this route's own body limit (api_body_limits). */
#include <string.h>
#include <strings.h>
#include "api/routes.h"
#include "lib/multipart.h"
#include "service/imports.h"

#define MAPPING_MAX_CHARS 16384

static import_worker *the_worker;

void api_set_import_worker(import_worker *w)
{
    the_worker = w;
}

int api_import_row_read(json_t *body, arena *a, contact_input *in, crm_err *err)
{
    return api_contact_input_read(body, true, a, in, err);
}

static bool csv_type(const char *type)
{
    static const char *const types[] = { "text/csv", "application/csv", "text/plain" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t n = strlen(types[i]);
        if (strncasecmp(type, types[i], n) == 0 && (type[n] == '\0' || type[n] == ';' || type[n] == ' '))
            return true;
    }
    return false;
}

/* The file: the body itself, or the "file" part of a form. */
static int read_file(http_req *r, const char **data, size_t *len, const char **file_name, crm_err *err)
{
    const char *type = http_req_header(r, "Content-Type");
    char boundary[71];
    *data = http_req_body(r, len);
    *file_name = NULL;
    if (type && csv_type(type))
        return 0;
    if (!type || !multipart_boundary(type, boundary))
        return crm_fail(err, CRM_E_UNSUPPORTED_MEDIA_TYPE, NULL,
                        "Send the file as text/csv, or as the part \"file\" of multipart/form-data");
    multipart_part part;
    const char *why;
    int rc = multipart_find(*data, *len, boundary, "file", http_req_arena(r), &part, &why);
    if (rc < 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "file", "The form cannot be read: %s", why);
    if (rc == 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "file", "The form has no part named \"file\"");
    *data = part.data;
    *len = part.len;
    *file_name = part.filename;
    return 0;
}

static int read_options(http_req *r, import_options *opt, crm_err *err)
{
    const char *dry = http_req_query(r, "dryRun");
    int rc;
    if ((rc = qin_text(r, "mapping", MAPPING_MAX_CHARS, &opt->mapping, err)) ||
        (rc = qin_text(r, "onDuplicate", 16, &opt->on_duplicate, err)))
        return rc;
    if (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "dryRun", "dryRun must be true or false");
    opt->dry_run = dry && strcmp(dry, "true") == 0;
    return 0;
}

static void start_import(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    import_options opt = { 0 };
    crm_import imp;
    const char *data;
    size_t len;
    if (api_authenticate(r, &me, &err) || require_org_member(me, &err) || read_options(r, &opt, &err) ||
        read_file(r, &data, &len, &opt.file_name, &err) ||
        import_start(api_app(), me, &opt, data, len, http_req_arena(r), &imp, &err)) {
        api_send_error(r, &err);
        return;
    }
    import_worker_wake(the_worker);
    http_reply_header(r, "Location", arena_printf(http_req_arena(r), "/api/contacts/imports/%s", imp.id));
    api_send_ok(r, 202, "Import started", json_pack("{s:o}", "import", render_import(&imp)));
}

static void get_import(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    crm_import imp;
    if (api_authenticate(r, &me, &err) || api_path_id(r, "id", &id, &err) ||
        import_read(api_app(), me, id, http_req_arena(r), &imp, &err)) {
        api_send_error(r, &err);
        return;
    }
    api_send_ok(r, 200, "Import", json_pack("{s:o}", "import", render_import(&imp)));
}

static void list_rows(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id, *status;
    int64_t page, limit, total;
    crm_import_row *rows;
    size_t n;
    if (api_authenticate(r, &me, &err) || api_path_id(r, "id", &id, &err) ||
        qin_text(r, "status", 16, &status, &err) || qin_int(r, "page", 1, IMPORT_MAX_ROWS, 1, &page, &err) ||
        qin_int(r, "limit", 1, IMPORT_ROWS_PAGE_MAX, 100, &limit, &err) ||
        import_rows(api_app(), me, id, status, page, limit, http_req_arena(r), &rows, &n, &total, &err)) {
        api_send_error(r, &err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, render_import_row(&rows[i]));
    api_send_ok(r, 200, "Import rows", json_pack("{s:o, s:I, s:I, s:I}", "rows", list, "total", (json_int_t)total,
                                                 "page", (json_int_t)page, "limit", (json_int_t)limit));
}

const http_route api_import_routes[] = {
    { "POST", "/api/contacts/import", start_import },
    { "GET", "/api/contacts/imports/:id", get_import },
    { "GET", "/api/contacts/imports/:id/rows", list_rows },
};
const size_t api_import_nroutes = sizeof api_import_routes / sizeof api_import_routes[0];

/* A multipart body carries a few hundred bytes of headers and boundaries besides the file. */
static const http_body_limit limits[] = {
    { "POST", "/api/contacts/import", IMPORT_MAX_BYTES + 64 * 1024 },
};

const http_body_limit *api_body_limits(size_t *n)
{
    *n = sizeof limits / sizeof limits[0];
    return limits;
}
