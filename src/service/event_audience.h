/* Who may see the contact an event carries (API.md §5.3): a SALES_REP sees the contacts it
 * owns, created or is assigned to; the other roles see their whole organization. Read once per
 * event from its payload, then checked per SALES_REP connection. */
#ifndef CRM_EVENT_AUDIENCE_H
#define CRM_EVENT_AUDIENCE_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/objectid.h"

#define EVENT_AUDIENCE_MAX 52   /* owner, creator and at most 50 assignees */

typedef struct event_audience {
    objectid ids[EVENT_AUDIENCE_MAX];
    size_t n;
} event_audience;

/* Fills a from the {"contact": {userId, createdBy, assignees}} payload, or from an
 * {"import": {userId}} one (import_progress: its creator); an unreadable payload gives an empty
 * audience (no SALES_REP sees it). */
void event_audience_read(const char *payload_json, event_audience *a);
void event_audience_readn(const char *payload_json, size_t len, event_audience *a);   /* not NUL-ended */
bool event_audience_has(const event_audience *a, const char *user_id);

#endif
