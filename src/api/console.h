/* The web console's file serving, exposed for its unit test. */
#ifndef CRM_API_CONSOLE_H
#define CRM_API_CONSOLE_H

#include <stdbool.h>
#include "api/console_assets.h"

const console_asset *console_find(const char *path);   /* NULL if the binary has no such file */
bool console_accepts_gzip(const char *accept_encoding); /* NULL: false */

#endif
