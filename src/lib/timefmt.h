/* Wall-clock time as milliseconds since the Unix epoch, and its ISO-8601 UTC form. */
#ifndef CRM_TIMEFMT_H
#define CRM_TIMEFMT_H

#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#define TIMEFMT_ISO_LEN 24  /* "2026-05-01T14:30:00.000Z" */

int64_t time_now_ms(void);
int64_t time_now_us(void);   /* monotonic microseconds, for durations */
/* The time ms from now on clock, as pthread_cond_timedwait wants it. */
struct timespec time_deadline(clockid_t clock, int64_t ms);
void time_iso8601(int64_t ms, char out[TIMEFMT_ISO_LEN + 1]);
/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.mmm]Z" or with "+HH:MM"/"-HH:MM" offset. */
bool time_parse_iso8601(const char *s, int64_t *ms);

#endif
