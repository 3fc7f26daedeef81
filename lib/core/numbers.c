/* Numbers from outside become integers here, range-checked: a cast of a
 * double outside int64's range is undefined behaviour, and a time near
 * INT64_MAX wraps as soon as a period is added to it. */
#include <math.h>

#include "core.h"

bool gh__double_to_int64(double v, int64_t *out) {
  /* -2^63 is exact as a double; 2^63 is the first value out of range */
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0) || v != floor(v)) return false;
  *out = (int64_t)v;
  return true;
}

bool gh__seconds_to_ms(double seconds, int64_t *ms) {
  if (!(seconds >= 0 && seconds * 1000.0 <= (double)GH_TIME_MAX_MS)) return false; /* NaN fails too */
  *ms = llround(seconds * 1000.0);
  return *ms <= GH_TIME_MAX_MS;
}

size_t gh__u64_to_dec(uint64_t v, char *out) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}
