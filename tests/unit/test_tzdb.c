/* lib/tzdb: only IANA zone and link names are time zones, not every file of the zoneinfo
 * directory. Runs against this machine's tzdata. */
#include <string.h>

#include "lib/tzdb.h"
#include "tap.h"

int main(void)
{
    static const char *const zones[] = {
        "UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Africa/Abidjan",
        "America/Argentina/Buenos_Aires", "America/Indiana/Indianapolis", "Etc/GMT+5", "Etc/GMT-14", "Etc/UTC",
        "EST5EDT", "CET",
        /* links (backward-compatible names) */
        "US/Eastern", "Asia/Calcutta", "GMT", "Etc/Universal", "Europe/Kiev", "Japan", "Zulu",
    };
    static const char *const not_zones[] = {
        /* files of the directory that are no zone */
        "leapseconds", "localtime", "posixrules", "zone.tab", "zone1970.tab", "iso3166.tab", "tzdata.zi",
        "leap-seconds.list", "Factory", "posix/Europe/London", "right/Europe/London", "posix", "right",
        /* directories, paths and near misses */
        "Europe", "America/", "/Europe/London", "/etc/passwd", "../../etc/passwd", "Europe/../Europe/London",
        "./UTC", "Europe//London", "europe/london", "UTC ", " UTC", "utc", "Mars/Olympus", "Europe/London\t",
        "", "America/Argentina", "Etc/GMT+15",
    };
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        ok(tzdb_zone_valid(zones[i]), "'%s' is a zone", zones[i]);
    for (size_t i = 0; i < sizeof not_zones / sizeof not_zones[0]; i++)
        ok(!tzdb_zone_valid(not_zones[i]), "'%s' is not", not_zones[i]);
    ok(!tzdb_zone_valid(NULL), "NULL is not");
    char longname[200];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ok(!tzdb_zone_valid(longname), "nor 199 letters");
    return tap_done();
}
