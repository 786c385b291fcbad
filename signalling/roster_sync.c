/* SPDX-License-Identifier: Apache-2.0 */
#include "roster_sync.h"

#include <gio/gio.h>

struct RosterSync {
  Storage *storage;
  Roster *current;
  gint64 version;
  guint timer;
  RosterSyncFunc changed;
  gpointer user;
};

Roster *
roster_sync_load(Storage *storage, const char *csv_path, const Meeting *meeting, GError **error)
{
  if (csv_path && *csv_path) {
    g_autofree char *text = NULL;
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(Roster) file = NULL;
    gsize len;
    if (!g_file_get_contents(csv_path, &text, &len, error))
      return NULL;
    if (roster_parse_checked(text, len, meeting, 0, &file, &problems) < 0) {
      GString *msg = g_string_new(NULL);
      g_string_printf(msg, "roster %s: %u bad line(s):", csv_path, problems->len);
      for (guint i = 0; i < problems->len; i++) {
        g_autofree char *p = roster_problem_format(problems->pdata[i]);
        g_string_append_printf(msg, "\n  %s", p);
      }
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, msg->str);
      g_string_free(msg, TRUE);
      return NULL;
    }
    if (!storage_participants_import(storage, file, error))
      return NULL;
  }
  return storage_participants_load(storage, FALSE, error);
}

GPtrArray *
roster_sync_gone(const Roster *before, const Roster *after)
{
  GPtrArray *gone = g_ptr_array_new();
  for (guint i = 0; before && i < roster_size(before); i++) {
    const RosterEntry *e = roster_nth(before, i);
    if (!roster_lookup(after, e->badge))
      g_ptr_array_add(gone, e->badge);
  }
  return gone;
}

gboolean
roster_sync_poll(RosterSync *s)
{
  g_autoptr(GError) error = NULL;
  gint64 v = storage_participants_version(s->storage, &error);
  if (v < 0) {
    g_warning("roster: %s", error->message);
    return FALSE;
  }
  if (v == s->version)
    return FALSE;
  Roster *fresh = storage_participants_load(s->storage, FALSE, &error);
  if (!fresh) {
    g_warning("roster: reload: %s", error->message);
    return FALSE;
  }
  s->version = v;
  g_autoptr(GPtrArray) gone = roster_sync_gone(s->current, fresh);
  Roster *old = s->current;
  s->current = fresh;
  if (s->changed)
    s->changed(fresh, gone, s->user);
  roster_free(old); /* after the callback: @gone borrows from it */
  return TRUE;
}

static gboolean
on_timer(gpointer data)
{
  roster_sync_poll(data);
  return G_SOURCE_CONTINUE;
}

RosterSync *
roster_sync_new(Storage *storage, Roster *current, guint interval_ms, RosterSyncFunc changed,
                gpointer user)
{
  RosterSync *s = g_new0(RosterSync, 1);
  s->storage = storage;
  s->current = roster_ref(current);
  s->version = -1; /* the first poll reloads: nothing missed since @current was loaded */
  s->changed = changed;
  s->user = user;
  s->timer = g_timeout_add(interval_ms ? interval_ms : ROSTER_SYNC_INTERVAL_MS, on_timer, s);
  return s;
}

void
roster_sync_free(RosterSync *s)
{
  if (!s)
    return;
  if (s->timer)
    g_source_remove(s->timer);
  roster_free(s->current);
  g_free(s);
}
