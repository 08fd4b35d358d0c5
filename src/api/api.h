/* The HTTP API of API.md: the route table and the shared request/reply helpers of the handlers. */
#ifndef CRM_API_H
#define CRM_API_H

#include <jansson.h>
#include "http/http.h"
#include "lib/json_writer.h"
#include "lib/netaddr.h"
#include "service/app.h"
#include "service/contacts.h"

/* The route table and the error hook for http_config; api_init must run first. */
void api_init(crm_app *app);
const http_route *api_route_table(size_t *n);
void api_on_http_error(http_req *r, int status);
crm_app *api_app(void);
/* The Socket.IO server behind GET /socket.io/ (NULL: that endpoint answers 503). */
typedef struct realtime realtime;
void api_set_realtime(realtime *rt);
typedef struct sse sse;
void api_set_sse(sse *s);                        /* GET /api/events serves through s; NULL: 503 */
/* CSV imports: the worker that POST /api/contacts/import wakes (NULL: none, the import waits for
 * one), the reader of a row it runs with, and the routes whose bodies may pass HTTP_BODY_MAX. */
typedef struct import_worker import_worker;
void api_set_import_worker(import_worker *w);
int api_import_row_read(json_t *body, arena *a, contact_input *in, crm_err *err);
const http_body_limit *api_body_limits(size_t *n);
/* The routes whose handlers may run for seconds (routes.c), run off the server's threads. */
const http_route_ref *api_slow_routes(size_t *n);
/* The other routes that write (routes.c): their handlers wait for a commit; after api_init. */
const http_route_ref *api_wait_routes(size_t *n);
/* The abuse limits that login and api_authenticate apply (service/throttle.h); NULL: none. */
typedef struct throttle throttle;
void api_set_throttle(throttle *t);
throttle *api_throttle(void);

/* Replies. Each takes ownership of the json_t it is given. */
void api_send_json(http_req *r, int status, json_t *body);
void api_send_ok(http_req *r, int status, const char *message, json_t *data);  /* success envelope */
void api_send_error(http_req *r, const crm_err *err);                          /* error envelope */
/* The success envelope printed straight into the request's arena (lib/json_writer.h), the same
 * bytes as api_send_ok's: api_ok_begin prints {"success":true,"message":…,"data": into w (cap:
 * the expected length), the caller prints the data value into w, and api_ok_send closes the
 * envelope and sends it without a copy. When w is refused (a string jansson would not take),
 * api_ok_send sends nothing and returns false: answer through api_send_ok then, which answers
 * such a record in jansson's own way. */
void api_ok_begin(http_req *r, jw_writer *w, const char *message, size_t cap);
bool api_ok_send(http_req *r, int status, jw_writer *w);
/* {"contact": ct} in the success envelope with status 200, printed by service/render_text.h. */
void api_send_contact(http_req *r, const char *message, const crm_contact *ct);
void api_send_code(http_req *r, int code, const char *field, const char *message);

/* Request helpers; each fills err and returns -code on failure. */
int api_body_object(http_req *r, json_t **body, crm_err *err);   /* 415 / invalid_json; caller decrefs */
/* Bearer JWT or API key; then the credential's request rate limit, whose RateLimit-* headers
 * (and Retry-After, when it refuses with RATE_LIMITED) go on the reply. */
int api_authenticate(http_req *r, crm_user **me, crm_err *err);
/* The key that counts r's client address for abuse limits (lib/netaddr.h). */
void api_client_key(http_req *r, char out[NETADDR_KEY_MAX]);
int api_path_id(http_req *r, const char *param, const char **id, crm_err *err);  /* ObjectId check */

/* Typed field readers over a JSON object. A missing key or JSON null leaves *out NULL / the
 * default and is not an error unless `required`. Strings must be valid UTF-8 without NUL and at
 * most max_chars code points (0: no limit beyond the body's). `field` is the name errors use. */
int jin_string(json_t *obj, const char *key, const char *field, size_t max_chars, bool required,
               const char **out, crm_err *err);
int jin_bool(json_t *obj, const char *key, bool *out, bool *given, crm_err *err);
int jin_objectid(json_t *obj, const char *key, bool required, const char **out, crm_err *err);
int jin_check_string(json_t *v, const char *field, size_t max_chars, const char **out, crm_err *err);
/* The contact keys of a POST /api/contact (phones_required) or PATCH body, with every check of
 * their shapes and limits; strings point into body and a. Imports read each row with it too. */
int api_contact_input_read(json_t *body, bool phones_required, arena *a, contact_input *in, crm_err *err);
/* Query parameters: an optional ObjectId, optional UTF-8 text of at most max characters. */
int qin_id(http_req *r, const char *name, const char **out, crm_err *err);
int qin_text(http_req *r, const char *name, size_t max, const char **out, crm_err *err);
/* page & size (or limit) of an offset-paged list; (page-1)*size may not pass API_OFFSET_MAX. */
#define API_OFFSET_MAX 100000
int qin_page(http_req *r, const char *size_name, int64_t def_size, int64_t *page, int64_t *size, crm_err *err);
/* Query parameter as a bounded integer; absent → def. */
int qin_int(http_req *r, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out, crm_err *err);

#endif
