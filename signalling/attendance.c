/* SPDX-License-Identifier: Apache-2.0 */
/* Stage 1's attendance API over storage.h. */
#include "attendance.h"

#include <string.h>

G_DEFINE_QUARK(rostrum-attendance-error-quark, attendance_error)

struct AttendanceLog {
  Storage *storage;
};

/* Storage errors in this layer's domain: bad arguments stay INVAL. */
static gboolean
translate(GError *inner, GError **error)
{
  if (inner) {
    g_set_error_literal(error, ATTENDANCE_ERROR,
                        g_error_matches(inner, STORAGE_ERROR, STORAGE_ERROR_INVAL)
                          ? ATTENDANCE_ERROR_INVAL
                          : ATTENDANCE_ERROR_DB,
                        inner->message);
    g_error_free(inner);
  }
  return FALSE;
}

AttendanceLog *
attendance_open(const char *path, GError **error)
{
  GError *inner = NULL;
  Storage *s = storage_open(path, &inner);
  if (!s) {
    translate(inner, error);
    return NULL;
  }
  AttendanceLog *log = g_new0(AttendanceLog, 1);
  log->storage = s;
  return log;
}

void
attendance_close(AttendanceLog *log)
{
  if (!log)
    return;
  storage_close(log->storage);
  g_free(log);
}

Storage *
attendance_storage(AttendanceLog *log)
{
  return log->storage;
}

gboolean
attendance_record_many(AttendanceLog *log, const AttendanceEvent *events, gsize n,
                       GError **error)
{
  GError *inner = NULL;
  if (storage_record_events(log->storage, events, n, &inner))
    return TRUE;
  return translate(inner, error);
}

gboolean
attendance_record(AttendanceLog *log, const char *badge, const char *kind,
                  const char *agenda_item, const char *wall_time, gint64 mono_us,
                  const char *peer, GError **error)
{
  AttendanceEvent e = {.badge = badge,
                       .kind = kind,
                       .agenda_item = agenda_item,
                       .wall_time = wall_time,
                       .mono_us = mono_us,
                       .peer = peer};
  return attendance_record_many(log, &e, 1, error);
}

GPtrArray *
attendance_open_joins(AttendanceLog *log, GError **error)
{
  GError *inner = NULL;
  g_autoptr(GPtrArray) rows = storage_open_joins(log->storage, &inner);
  if (!rows) {
    translate(inner, error);
    return NULL;
  }
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)attendance_open_join_free);
  for (guint i = 0; i < rows->len; i++) {
    const StorageEventRow *r = rows->pdata[i];
    AttendanceOpenJoin *j = g_new0(AttendanceOpenJoin, 1);
    j->badge = g_strdup(r->e.badge);
    j->peer = g_strdup(r->e.peer);
    j->agenda_item = g_strdup(r->e.agenda_item);
    j->meeting = g_strdup(r->e.meeting);
    j->session = g_strdup(r->e.session);
    j->role = g_strdup(r->e.role);
    j->channel = g_strdup(r->e.channel);
    j->where = g_strdup(r->e.where);
    g_ptr_array_add(out, j);
  }
  return out;
}

void
attendance_open_join_free(AttendanceOpenJoin *j)
{
  if (!j)
    return;
  g_free(j->badge);
  g_free(j->peer);
  g_free(j->agenda_item);
  g_free(j->meeting);
  g_free(j->session);
  g_free(j->role);
  g_free(j->channel);
  g_free(j->where);
  g_free(j);
}

char *
attendance_wall_time_now(void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *base = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%03dZ", base, g_date_time_get_microsecond(now) / 1000);
}

gint64
attendance_count(AttendanceLog *log, GError **error)
{
  GError *inner = NULL;
  gint64 n = storage_event_count(log->storage, &inner);
  if (n < 0)
    translate(inner, error);
  return n;
}
