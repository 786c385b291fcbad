/* SPDX-License-Identifier: Apache-2.0 */
/* The storage front: picks the backend from the URI, checks arguments,
 * dispatches through StorageOps. */
#include "storage.h"

#include "storage_backend.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(rostrum - storage - error - quark, storage_error)

struct Storage {
  const StorageOps *ops;
  void *impl;
};

static const char *const kinds[] = {
    STORAGE_KIND_JOIN,
    STORAGE_KIND_LEAVE,
    STORAGE_KIND_RECONNECT,
    STORAGE_KIND_ROLE,
    STORAGE_KIND_CHANNEL,
    STORAGE_KIND_CHECK_IN,
    STORAGE_KIND_CHECK_OUT,
    STORAGE_KIND_ITEM,
    STORAGE_KIND_SESSION_OPEN,
    STORAGE_KIND_SESSION_CLOSE,
    STORAGE_KIND_SESSION_RESTRICT,
};

gboolean
storage_kind_valid(const char *kind)
{
  for (guint i = 0; kind && i < G_N_ELEMENTS(kinds); i++)
    if (strcmp(kind, kinds[i]) == 0)
      return TRUE;
  return FALSE;
}

Storage *
storage_open(const char *uri, GError **error)
{
  const StorageOps *ops = &storage_sqlite_ops;
  const char *target = uri;

  if (!uri || !*uri) {
    g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_INVAL, "storage: no database given");
    return NULL;
  }
  if (g_str_has_prefix(uri, "postgresql:") || g_str_has_prefix(uri, "postgres:")) {
    g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_UNSUPPORTED,
                "storage: %s: this build has no PostgreSQL backend (only sqlite)", uri);
    return NULL;
  }
  if (g_str_has_prefix(uri, "sqlite:"))
    target = uri + strlen("sqlite:");
  void *impl = ops->open(target, error);
  if (!impl)
    return NULL;
  Storage *s = g_new0(Storage, 1);
  s->ops = ops;
  s->impl = impl;
  return s;
}

void
storage_close(Storage *s)
{
  if (!s)
    return;
  s->ops->close(s->impl);
  g_free(s);
}

int
storage_schema_version(Storage *s)
{
  return s->ops->schema_version(s->impl);
}

static gboolean G_GNUC_PRINTF(2, 3) inval(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, STORAGE_ERROR, STORAGE_ERROR_INVAL, msg);
  return FALSE;
}

static const char *
or_null(const char *s)
{
  return s ? s : "(null)";
}

static gboolean
event_valid(const StorageEvent *e, GError **error)
{
  if (!storage_kind_valid(e->kind))
    return inval(error, "storage: unknown event kind '%s'", or_null(e->kind));
  if (!e->wall_time || !*e->wall_time)
    return inval(error, "storage: %s event without a wall time", e->kind);
  gboolean session_level =
      strcmp(e->kind, STORAGE_KIND_ITEM) == 0 || g_str_has_prefix(e->kind, "session_");
  if (!session_level && (!e->badge || !*e->badge))
    return inval(error, "storage: %s event without a badge", e->kind);
  if (e->where && strcmp(e->where, "remote") != 0 && strcmp(e->where, "onsite") != 0)
    return inval(error, "storage: where must be 'remote' or 'onsite', not '%s'", e->where);
  return TRUE;
}

gboolean
storage_record_events(Storage *s, const StorageEvent *events, gsize n, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (!event_valid(&events[i], error))
      return FALSE;
  return n == 0 || s->ops->record_events(s->impl, events, n, error);
}

GPtrArray *
storage_events(Storage *s, const char *session, GError **error)
{
  return s->ops->events(s->impl, session, error);
}

GPtrArray *
storage_open_joins(Storage *s, GError **error)
{
  return s->ops->open_joins(s->impl, error);
}

gboolean
storage_current_session(Storage *s, char **session, char **item, GError **error)
{
  *session = NULL;
  *item = NULL;
  return s->ops->current_session(s->impl, session, item, error);
}

gint64
storage_event_count(Storage *s, GError **error)
{
  return s->ops->event_count(s->impl, error);
}

gboolean
storage_participants_import(Storage *s, const Roster *roster, GError **error)
{
  return s->ops->participants_import(s->impl, roster, error);
}

Roster *
storage_participants_load(Storage *s, gboolean with_revoked, GError **error)
{
  return s->ops->participants_load(s->impl, with_revoked, error);
}

gboolean
storage_participant_set_code_hash(Storage *s, const char *badge, const char *code_hash,
                                  GError **error)
{
  if (!badge || !roster_badge_valid(badge))
    return inval(error, "storage: bad badge '%s'", or_null(badge));
  return s->ops->participant_set_code_hash(s->impl, badge, code_hash, error);
}

gboolean
storage_participant_set_revoked(Storage *s, const char *badge, gboolean revoked, GError **error)
{
  if (!badge || !roster_badge_valid(badge))
    return inval(error, "storage: bad badge '%s'", or_null(badge));
  return s->ops->participant_set_revoked(s->impl, badge, revoked, error);
}

gint64
storage_participants_version(Storage *s, GError **error)
{
  return s->ops->participants_version(s->impl, error);
}

gboolean
storage_audit(Storage *s, const StorageAudit *a, GError **error)
{
  if (!a->actor || !*a->actor || !a->action || !*a->action)
    return inval(error, "storage: audit entry without actor or action");
  if (!a->wall_time || !*a->wall_time)
    return inval(error, "storage: audit entry %s without a wall time", a->action);
  return s->ops->audit(s->impl, a, error);
}

GPtrArray *
storage_audit_list(Storage *s, GError **error)
{
  return s->ops->audit_list(s->impl, error);
}

void
storage_event_row_free(StorageEventRow *row)
{
  if (!row)
    return;
  const char **strs[] = {&row->e.badge, &row->e.kind,    &row->e.agenda_item, &row->e.wall_time,
                         &row->e.peer,  &row->e.reason,  &row->e.meeting,     &row->e.session,
                         &row->e.role,  &row->e.channel, &row->e.where};
  for (guint i = 0; i < G_N_ELEMENTS(strs); i++)
    g_free((char *)*strs[i]);
  g_free(row);
}

void
storage_audit_row_free(StorageAuditRow *row)
{
  if (!row)
    return;
  g_free((char *)row->a.actor);
  g_free((char *)row->a.action);
  g_free((char *)row->a.target);
  g_free((char *)row->a.detail);
  g_free((char *)row->a.wall_time);
  g_free(row);
}
