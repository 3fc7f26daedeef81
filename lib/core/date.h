/* Calendar dates (proleptic Gregorian, UTC), after H. Hinnant's
 * days_from_civil / civil_from_days: for calendar quotas, configuration
 * dates (RFC 3339) and HTTP dates (RFC 9110 IMF-fixdate). */
#ifndef GH_DATE_H
#define GH_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a civil date (month 1..12, day 1..31). */
int64_t gh__days_from_civil(int64_t y, int64_t m, int64_t d);
/* The civil date of a day count since 1970-01-01. */
void gh__civil_from_days(int64_t days, int64_t *y, int64_t *m, int64_t *d);
/* An RFC 3339 date-time ("2026-06-01T00:00:00Z", "...+02:00", fractions
 * dropped) to Unix seconds, within years 1970..9999. false when malformed. */
bool gh__rfc3339_parse(const char *s, size_t n, int64_t *unix_s);
/* Unix milliseconds as RFC 3339 UTC with milliseconds: "2026-11-30T14:05:09.120Z" into out[25]. */
void gh__rfc3339_ms(int64_t unix_ms, char out[25]);
/* An IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT" into out[30]. */
void gh__http_date(int64_t unix_s, char out[30]);

#endif
