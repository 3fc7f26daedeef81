#include <stdio.h>

#include "date.h"

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t gh__days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400), yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void gh__civil_from_days(int64_t days, int64_t *y, int64_t *m, int64_t *d) {
  int64_t z = days + 719468, era = floor_div(z, 146097), doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, size_t at, size_t count, int64_t *out) {
  if (at + count > n) return false;
  int64_t v = 0;
  for (size_t i = at; i < at + count; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool gh__rfc3339_parse(const char *s, size_t n, int64_t *unix_s) {
  int64_t y, mo, d, h, mi, se, oh = 0, om = 0;
  if (!digits(s, n, 0, 4, &y) || n < 20 || s[4] != '-' || !digits(s, n, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, n, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s, n, 11, 2, &h) || s[13] != ':' ||
      !digits(s, n, 14, 2, &mi) || s[16] != ':' || !digits(s, n, 17, 2, &se))
    return false;
  size_t i = 19;
  if (s[i] == '.') {
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    }
    if (i == 20) return false;
  }
  int sign = 0;
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    sign = s[i] == '+' ? 1 : -1;
    if (!digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' || !digits(s, n, i + 4, 2, &om)) return false;
    i += 6;
  } else {
    return false;
  }
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (i != n || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
      h > 23 || mi > 59 || se > 60 || oh > 23 || om > 59)
    return false;
  if (se == 60) se = 59; /* a leap second names the last second of its minute */
  int64_t t = gh__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
  if (t < 0) return false;
  *unix_s = t;
  return true;
}

void gh__http_date(int64_t unix_s, char out[30]) {
  static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char *const mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t days = floor_div(unix_s, 86400), secs = unix_s - days * 86400, y, m, d;
  gh__civil_from_days(days, &y, &m, &d);
  int64_t w = ((days % 7) + 7) % 7;
  snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[w], (int)d, mn[m - 1], (int)(y % 10000),
           (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

void gh__rfc3339_ms(int64_t unix_ms, char out[25]) {
  int64_t days = unix_ms / 86400000, in_day = unix_ms % 86400000;
  if (in_day < 0) in_day += 86400000, days--;
  int64_t y, m, d;
  gh__civil_from_days(days, &y, &m, &d);
  int64_t s = in_day / 1000;
  /* written digit by digit: access-log lines are formatted on the completing thread, per request */
  const unsigned fields[7] = {(unsigned)(y % 10000), (unsigned)m,          (unsigned)d,          (unsigned)(s / 3600),
                              (unsigned)(s / 60 % 60), (unsigned)(s % 60), (unsigned)(in_day % 1000)};
  static const unsigned char widths[7] = {4, 2, 2, 2, 2, 2, 3};
  static const char after[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
  char *p = out;
  for (int f = 0; f < 7; f++) {
    unsigned v = fields[f];
    for (int k = widths[f] - 1; k >= 0; k--, v /= 10) p[k] = (char)('0' + v % 10);
    p += widths[f];
    *p++ = after[f];
  }
  *p = 0;
}
