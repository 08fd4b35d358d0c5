/* The web console's files, compiled into the binary from a file that web/build.mjs generates
 * under build/ (docs/console.md). The table lives as long as the program. */
#ifndef CRM_API_CONSOLE_ASSETS_H
#define CRM_API_CONSOLE_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct console_asset {
    const char *path;           /* "/" for the page, "/assets/<stem>.<hash>.<ext>" for the rest */
    const char *content_type;
    const char *etag;           /* from the content, unquoted */
    bool immutable;             /* fingerprinted: cached for a year */
    const unsigned char *body;
    size_t len;
    const unsigned char *gz;    /* the same bytes, gzipped at build time */
    size_t gzlen;
} console_asset;

extern const console_asset console_assets[];
extern const size_t console_nassets;

#endif
