/* The embedded files of api/assets.h. The Makefile names the files (ASSET_OPENAPI_JSON,
 * ASSET_REDOC_JS) and makes this object depend on them; the assembler copies them in whole. */
#include <string.h>
#include "api/assets.h"

#if !defined(ASSET_OPENAPI_JSON) || !defined(ASSET_REDOC_JS)
#error "build this file through the Makefile: it names the files to embed"
#endif

/* Each file becomes [start, end) in .rodata, followed by a NUL. */
#define EMBED(sym, path)                                 \
    __asm__(".section .rodata\n"                         \
            ".balign 16\n"                               \
            ".globl " #sym "\n"                          \
            ".hidden " #sym "\n"                         \
            #sym ":\n"                                   \
            ".incbin \"" path "\"\n"                     \
            ".globl " #sym "_end\n"                      \
            ".hidden " #sym "_end\n"                     \
            #sym "_end:\n"                               \
            ".byte 0\n"                                  \
            ".previous\n");                              \
    extern const char sym[], sym##_end[];

EMBED(crm_asset_openapi_json, ASSET_OPENAPI_JSON)
EMBED(crm_asset_redoc_js, ASSET_REDOC_JS)

bool api_asset_get(const char *name, api_asset *out)
{
    /* The sizes are differences of link-time addresses, so the table is built on each call. */
    const api_asset all[] = {
        { "openapi.json", "application/json", crm_asset_openapi_json,
          (size_t)(crm_asset_openapi_json_end - crm_asset_openapi_json) },
        { "redoc.standalone.js", "text/javascript; charset=utf-8", crm_asset_redoc_js,
          (size_t)(crm_asset_redoc_js_end - crm_asset_redoc_js) },
    };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(name, all[i].name) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}
