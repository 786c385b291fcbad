/* SPDX-License-Identifier: Apache-2.0 */
/* The lexical checks of meeting files (meeting.c): ids, language tags,
 * time zones, ISO 8601 dates and times with their UTC offsets. Pure. */
#pragma once

#include <glib.h>

#include "meeting.h"

#define MEETING_MAX_ID 64

/* Ids of days, sessions, items: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64. */
gboolean meeting_lex_id_ok(const char *s);
/* Meeting ids (file names): lower-case words joined by '-'. */
gboolean meeting_lex_slug_ok(const char *s);
/* Category ids: [a-z][a-z0-9_]*, at most 64. */
gboolean meeting_lex_category_id_ok(const char *s);
/* BCP 47-like: a 2–3 letter lower-case primary subtag, then subtags of 1–8
 * letters or digits ("zh", "zh-Hans", "es-419"); at most 35 characters. */
gboolean meeting_lex_language_ok(const char *s);
/* A tz database name: words of [A-Za-z0-9_+-] joined by '/', the first
 * beginning with a letter; no "." so that nothing outside the database is
 * ever opened. */
gboolean meeting_lex_timezone_syntax_ok(const char *s);
/* "YYYY-MM-DD", a real calendar day. */
gboolean meeting_lex_date_parse(const char *s, GDate *out);
/* "hh:mm" or "hh:mm:ss", then nothing, "Z" or "±hh:mm" (ISO 8601 extended). */
gboolean meeting_lex_time_parse(const char *s, MeetingTime *t);
/* "+02:00" for 7200 s, "Z" for 0 (transfer full). */
char *meeting_lex_offset_text(int off);
