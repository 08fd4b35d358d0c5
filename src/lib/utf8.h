/* Text checks shared by every validator. */
#ifndef CRM_UTF8_H
#define CRM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t len);          /* well-formed UTF-8, no NUL, no overlongs/surrogates */
size_t utf8_length(const char *s, size_t len);        /* code points in valid UTF-8 */
char *str_trim(char *s);                              /* in place; returns the first non-blank */

#endif
