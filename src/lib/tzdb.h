/* Which time zone names crmd accepts: the zones and links of the IANA tz database as this
 * machine's tzdata lists them (docs/api-decisions.md, "Time zones"). */
#ifndef CRM_TZDB_H
#define CRM_TZDB_H

#include <stdbool.h>

#define TZDB_DIR "/usr/share/zoneinfo/"

/* True for "UTC", and for a Zone or Link name of TZDB_DIR "tzdata.zi" (Europe/Paris, US/Eastern,
 * Etc/GMT+5) except Factory, a placeholder for "local time not set", not a zone. Files of the
 * directory that are no zone (localtime, posixrules, leapseconds, zone.tab, posix/..., right/...)
 * and paths (../, absolute) are not names of the list, so false. Where the machine has no
 * tzdata.zi, a name qualifies if it is a TZif file of TZDB_DIR whose every path part starts with
 * an upper-case letter (every IANA name does; none of the other files does). Thread-safe; the
 * list is read once. */
bool tzdb_zone_valid(const char *name);

#endif
