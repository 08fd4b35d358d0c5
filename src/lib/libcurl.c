/* Loading libcurl with dlopen (see libcurl.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/libcurl.h"

#define LIBCURL_SONAME "libcurl-gnutls.so.4"   /* the library of Debian's libcurl4-gnutls-dev */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static libcurl table;
static const libcurl *loaded;
static char failure[256];

static void load(void)
{
    void *so = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!so) {
        snprintf(failure, sizeof failure, "cannot load %s: %s", LIBCURL_SONAME, dlerror());
        return;
    }
#define LIBCURL_RESOLVE(member, fn)                                                               \
    if (!(*(void **)&table.member = dlsym(so, #fn))) {                                           \
        snprintf(failure, sizeof failure, "%s has no %s", LIBCURL_SONAME, #fn);                  \
        return;                                                                                   \
    }
    LIBCURL_FUNCTIONS(LIBCURL_RESOLVE)
#undef LIBCURL_RESOLVE
    if (table.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(failure, sizeof failure, "cannot initialise %s", LIBCURL_SONAME);
        return;
    }
    loaded = &table;   /* never unloaded: libcurl keeps global state */
}

const libcurl *libcurl_get(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (!loaded && err && errlen)
        snprintf(err, errlen, "%s", failure);
    return loaded;
}
