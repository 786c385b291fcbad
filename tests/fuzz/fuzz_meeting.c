/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the meeting config parser and validator. */
#include <stddef.h>
#include <errno.h>
#include <stdint.h>

#include "meeting.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static GTimeZone *keep;
  Meeting *m = NULL;
  GPtrArray *errors = NULL;
  /* GLib caches a zone while it is referenced: keep the samples' one, or
   * every run reads it from the tz database again */
  if (!keep)
    keep = g_time_zone_new_identifier("Europe/Zurich");
  int rc = meeting_parse((const char *)data, size, "fuzz.json", &m, &errors);
  if (rc == 0) {
    /* a loaded meeting is whole: every reference resolves */
    if (!m || errors->len || !m->id || !m->days->len || !m->languages->len)
      __builtin_trap();
    for (guint i = 0; i < m->sessions->len; i++) {
      const MeetingSession *s = m->sessions->pdata[i];
      if (!s->day || !s->id || meeting_find_session(m, s->id) != s)
        __builtin_trap();
      for (char **b = s->booths; *b; b++)
        if (!meeting_has_booth(m, *b))
          __builtin_trap();
    }
    for (char **c = m->closed_session_categories; *c; c++)
      if (!meeting_find_category(m, *c) || !meeting_may_attend_closed(m, *c, 0))
        __builtin_trap();
    meeting_free(m);
  } else {
    /* a refusal loads nothing and explains itself, each error in full */
    if (m || rc != -EINVAL || !errors->len)
      __builtin_trap();
    for (guint i = 0; i < errors->len; i++) {
      char *line = meeting_error_format(errors->pdata[i]);
      if (!line || !*((MeetingError *)errors->pdata[i])->reason)
        __builtin_trap();
      g_free(line);
    }
  }
  g_ptr_array_unref(errors);
  return 0;
}
