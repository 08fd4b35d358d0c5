/* Email address normalization: trim, lower-case, and a strict syntax check. */
#ifndef CRM_EMAIL_H
#define CRM_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#define EMAIL_MAX 254

/* Writes the trimmed, lower-cased address into out (EMAIL_MAX + 1 bytes) and returns true,
 * or returns false when it is not a plausible address (empty, too long, no '@', bad local
 * part or domain, spaces, control characters, consecutive dots, domain without a dot...). */
bool email_normalize(const char *input, char out[EMAIL_MAX + 1]);

#endif
