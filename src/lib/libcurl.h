/* libcurl, loaded when first needed rather than at start: only webhook deliveries use it, and
 * linking it maps TLS, SSH, LDAP, Kerberos and RTMP libraries (about 5 MB resident) into every
 * server, webhooks or not. The functions are libcurl's own, reached through this table. */
#ifndef CRM_LIBCURL_H
#define CRM_LIBCURL_H

#include <stddef.h>
#include <curl/curl.h>

/* X(member, libcurl function) */
#define LIBCURL_FUNCTIONS(X)                                                                      \
    X(global_init, curl_global_init)                                                              \
    X(easy_init, curl_easy_init)                                                                  \
    X(easy_setopt, curl_easy_setopt)                                                              \
    X(easy_getinfo, curl_easy_getinfo)                                                            \
    X(easy_strerror, curl_easy_strerror)                                                          \
    X(easy_cleanup, curl_easy_cleanup)                                                            \
    X(slist_append, curl_slist_append)                                                            \
    X(slist_free_all, curl_slist_free_all)                                                        \
    X(multi_init, curl_multi_init)                                                                \
    X(multi_add_handle, curl_multi_add_handle)                                                    \
    X(multi_remove_handle, curl_multi_remove_handle)                                              \
    X(multi_perform, curl_multi_perform)                                                          \
    X(multi_poll, curl_multi_poll)                                                                \
    X(multi_wakeup, curl_multi_wakeup)                                                            \
    X(multi_info_read, curl_multi_info_read)                                                      \
    X(multi_cleanup, curl_multi_cleanup)

typedef struct libcurl {
#define LIBCURL_MEMBER(member, fn) __typeof__(fn) *member;
    LIBCURL_FUNCTIONS(LIBCURL_MEMBER)
#undef LIBCURL_MEMBER
} libcurl;

/* Loads and initialises libcurl once per process (any thread); later calls return the same
 * table. NULL, with the reason in err, when it cannot be loaded: that is not retried. */
const libcurl *libcurl_get(char *err, size_t errlen);

#endif
