/* One-line logs on stderr: "2026-05-01T14:30:00.000Z level message". Thread-safe. */
#ifndef CRM_LOG_H
#define CRM_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_quiet(int quiet);   /* 1: info lines are dropped (warnings and errors stay) */

#endif
