/* SPDX-License-Identifier: Apache-2.0 */
#include "meeting_lex.h"

#include <string.h>


/* Ids of days, sessions, items: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64. */
gboolean
meeting_lex_id_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > MEETING_MAX_ID || !g_ascii_isalnum(s[0]))
    return FALSE;
  for (size_t i = 1; i < n; i++)
    if (!g_ascii_isalnum(s[i]) && !strchr("._-", s[i]))
      return FALSE;
  return TRUE;
}

/* Meeting ids (file names): lower-case words joined by '-'. */
gboolean
meeting_lex_slug_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > MEETING_MAX_ID || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!(g_ascii_islower(s[i]) || g_ascii_isdigit(s[i]) || s[i] == '-'))
      return FALSE;
  return TRUE;
}

/* Category ids: [a-z][a-z0-9_]*, at most 64. */
gboolean
meeting_lex_category_id_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > MEETING_MAX_ID || !g_ascii_islower(s[0]))
    return FALSE;
  for (size_t i = 1; i < n; i++)
    if (!(g_ascii_islower(s[i]) || g_ascii_isdigit(s[i]) || s[i] == '_'))
      return FALSE;
  return TRUE;
}

/* BCP 47-like: a 2–3 letter lower-case primary subtag, then subtags of 1–8
 * letters or digits ("zh", "zh-Hans", "es-419"); at most 35 characters. */
gboolean
meeting_lex_language_ok(const char *s)
{
  size_t n = strlen(s), i = 0;
  if (n > 35)
    return FALSE;
  while (i < n && g_ascii_islower(s[i]))
    i++;
  if (i < 2 || i > 3)
    return FALSE;
  while (i < n) {
    if (s[i] != '-')
      return FALSE;
    size_t start = ++i;
    while (i < n && g_ascii_isalnum(s[i]))
      i++;
    if (i - start < 1 || i - start > 8)
      return FALSE;
  }
  return TRUE;
}

/* A tz database name: words of [A-Za-z0-9_+-] joined by '/', the first
 * beginning with a letter; no "." so that nothing outside the database is
 * ever opened. */
gboolean
meeting_lex_timezone_syntax_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > 64 || !g_ascii_isalpha(s[0]) || s[n - 1] == '/' || strstr(s, "//"))
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum(s[i]) && !strchr("_+-/", s[i]))
      return FALSE;
  return TRUE;
}

static int
digits(const char *s, int n)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!g_ascii_isdigit(s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* "YYYY-MM-DD", a real calendar day. */
gboolean
meeting_lex_date_parse(const char *s, GDate *out)
{
  if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return FALSE;
  int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1 ||
      !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
    return FALSE;
  g_date_clear(out, 1);
  g_date_set_dmy(out, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
  return TRUE;
}

/* "hh:mm" or "hh:mm:ss", then nothing, "Z" or "±hh:mm" (ISO 8601 extended). */
gboolean
meeting_lex_time_parse(const char *s, MeetingTime *t)
{
  size_t n = strlen(s);
  int h, m, sec = 0;
  size_t i;
  if (n < 5 || s[2] != ':' || (h = digits(s, 2)) < 0 || (m = digits(s + 3, 2)) < 0)
    return FALSE;
  i = 5;
  if (i < n && s[i] == ':') {
    if (n < 8 || (sec = digits(s + 6, 2)) < 0)
      return FALSE;
    i = 8;
  }
  if (h > 23 || m > 59 || sec > 59)
    return FALSE;
  t->seconds = h * 3600 + m * 60 + sec;
  t->has_offset = FALSE;
  t->offset = 0;
  if (i == n)
    return TRUE;
  if (s[i] == 'Z' && i + 1 == n) {
    t->has_offset = TRUE;
    return TRUE;
  }
  int oh, om;
  if ((s[i] != '+' && s[i] != '-') || n - i != 6 || s[i + 3] != ':' ||
      (oh = digits(s + i + 1, 2)) < 0 || (om = digits(s + i + 4, 2)) < 0 || om > 59)
    return FALSE;
  int off = oh * 3600 + om * 60;
  if (s[i] == '-')
    off = -off;
  if (off < -12 * 3600 || off > 14 * 3600)
    return FALSE;
  t->has_offset = TRUE;
  t->offset = off;
  return TRUE;
}

char *
meeting_lex_offset_text(int off)
{
  if (off == 0)
    return g_strdup("Z");
  int a = off < 0 ? -off : off;
  return g_strdup_printf("%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

