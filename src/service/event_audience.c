/* The SALES_REP audience of an event: owner, creator and assignees of its contact. */
#include <string.h>
#include <jansson.h>
#include "service/event_audience.h"

static void add(event_audience *a, const char *id)
{
    if (id && objectid_valid(id) && a->n < EVENT_AUDIENCE_MAX && !event_audience_has(a, id))
        memcpy(a->ids[a->n++], id, sizeof(objectid));
}

void event_audience_read(const char *payload_json, event_audience *a)
{
    event_audience_readn(payload_json, strlen(payload_json), a);
}

void event_audience_readn(const char *payload_json, size_t len, event_audience *a)
{
    json_t *root = json_loadb(payload_json, len, 0, NULL);
    json_t *ct = json_object_get(root, "contact"), *assignees = json_object_get(ct, "assignees"), *v;
    size_t i;
    a->n = 0;
    add(a, json_string_value(json_object_get(ct, "userId")));
    add(a, json_string_value(json_object_get(ct, "createdBy")));
    add(a, json_string_value(json_object_get(json_object_get(root, "import"), "userId")));
    json_array_foreach(assignees, i, v)
        add(a, json_string_value(v));
    json_decref(root);
}

bool event_audience_has(const event_audience *a, const char *user_id)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->ids[i], user_id) == 0)
            return true;
    return false;
}
