/* Files embedded in the binary at build time (src/api/assets.c): the OpenAPI document and the
 * renderer of /api/docs. One table, so that other embedded files can join it. */
#ifndef CRM_API_ASSETS_H
#define CRM_API_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct api_asset {
    const char *name;           /* "openapi.json", "redoc.standalone.js" */
    const char *content_type;
    const char *data;           /* lives as long as the process; NUL-terminated */
    size_t len;
} api_asset;

/* Fills *out with the asset of that name; false if there is none. */
bool api_asset_get(const char *name, api_asset *out);

#endif
