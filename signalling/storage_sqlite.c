/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite backend of storage.h: WAL, synchronous=FULL, one transaction
 * per batch, migrations by PRAGMA user_version. */
#include "storage_backend.h"

#include <sqlite3.h>
#include <string.h>

typedef struct {
  sqlite3 *db;
  sqlite3_stmt *insert_event;
} Sqlite;

/* Versioned migrations: migrations[i] takes the schema from version i to
 * i + 1 (PRAGMA user_version). Append, never edit a released step. */
static const char *const migrations[] = {
    /* 0 → 1: the event log */
    "CREATE TABLE IF NOT EXISTS attendance_event ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  badge TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('join','leave')),"
    "  agenda_item TEXT,"
    "  wall_time TEXT NOT NULL,"
    "  mono_us INTEGER NOT NULL,"
    "  peer TEXT"
    ");"
    "CREATE INDEX IF NOT EXISTS attendance_event_badge ON attendance_event(badge);",
    /* 1 → 2: why an interval ended; open joins by peer */
    "ALTER TABLE attendance_event ADD COLUMN reason TEXT;"
    "CREATE INDEX IF NOT EXISTS attendance_event_peer ON attendance_event(peer);",
    /* 2 → 3: every event kind of the meeting (the CHECK can only change by
     * rebuilding the table), meeting/session/role/channel/place columns;
     * participants, audit, and a version counter of the participants */
    "CREATE TABLE attendance_event_v3 ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  badge TEXT,"
    "  kind TEXT NOT NULL CHECK (kind IN ('join','leave','reconnect','role','channel',"
    "    'check_in','check_out','item','session_open','session_close','session_restrict')),"
    "  agenda_item TEXT,"
    "  wall_time TEXT NOT NULL,"
    "  mono_us INTEGER NOT NULL,"
    "  peer TEXT,"
    "  reason TEXT,"
    "  meeting TEXT,"
    "  session TEXT,"
    "  role TEXT,"
    "  channel TEXT,"
    "  place TEXT CHECK (place IN ('remote','onsite'))"
    ");"
    "INSERT INTO attendance_event_v3 (id, badge, kind, agenda_item, wall_time, mono_us, peer, "
    "reason)"
    "  SELECT id, badge, kind, agenda_item, wall_time, mono_us, peer, reason FROM attendance_event;"
    "DROP TABLE attendance_event;"
    "ALTER TABLE attendance_event_v3 RENAME TO attendance_event;"
    "CREATE INDEX attendance_event_badge ON attendance_event(badge);"
    "CREATE INDEX attendance_event_peer ON attendance_event(peer);"
    "CREATE INDEX attendance_event_session ON attendance_event(session);"
    "CREATE TABLE participant ("
    "  badge TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  family_name TEXT NOT NULL,"
    "  given_name TEXT NOT NULL,"
    "  entity TEXT NOT NULL,"
    "  category TEXT NOT NULL,"
    "  roles TEXT NOT NULL,"
    "  email TEXT NOT NULL,"
    "  ldc INTEGER NOT NULL DEFAULT 0,"
    "  code_hash TEXT,"
    "  revoked INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT,"
    "  detail TEXT,"
    "  wall_time TEXT NOT NULL"
    ");"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO meta VALUES ('participants_version', 0);",
};

#define SCHEMA_VERSION ((int)G_N_ELEMENTS(migrations))
G_STATIC_ASSERT(SCHEMA_VERSION == STORAGE_SCHEMA_VERSION);

static gboolean
db_fail(Sqlite *s, const char *what, GError **error)
{
  g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_DB, "storage: %s: %s", what,
              s->db ? sqlite3_errmsg(s->db) : "out of memory");
  return FALSE;
}

static gboolean
exec(Sqlite *s, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_DB, "storage: %.80s: %s", sql,
                msg ? msg : "error");
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

static gint64
query_int(Sqlite *s, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  gint64 v = -1;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  else
    db_fail(s, sql, error);
  sqlite3_finalize(st);
  return v;
}

static int
sq_schema_version(void *impl)
{
  return (int)query_int(impl, "PRAGMA user_version", NULL);
}

/* Brings the schema to SCHEMA_VERSION, each step in its own transaction. */
static gboolean
migrate(Sqlite *s, GError **error)
{
  int v = sq_schema_version(s);
  if (v < 0)
    return db_fail(s, "read user_version", error);
  if (v > SCHEMA_VERSION) {
    g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_VERSION,
                "storage: the database has schema version %d, newer than this program's %d", v,
                SCHEMA_VERSION);
    return FALSE;
  }
  for (; v < SCHEMA_VERSION; v++) {
    g_autofree char *sql = g_strdup_printf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                                           migrations[v], v + 1);
    if (!exec(s, sql, error)) {
      exec(s, "ROLLBACK;", NULL);
      return FALSE;
    }
  }
  return TRUE;
}

static void
sq_close(void *impl)
{
  Sqlite *s = impl;
  if (!s)
    return;
  sqlite3_finalize(s->insert_event);
  sqlite3_close(s->db);
  g_free(s);
}

static void *
sq_open(const char *path, GError **error)
{
  Sqlite *s = g_new0(Sqlite, 1);

  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK) {
    db_fail(s, path, error);
    goto fail;
  }
  sqlite3_busy_timeout(s->db, 5000);
  if (!exec(s, "PRAGMA journal_mode=WAL;", error) || !exec(s, "PRAGMA synchronous=FULL;", error) ||
      !migrate(s, error))
    goto fail;
  if (sqlite3_prepare_v2(s->db,
                         "INSERT INTO attendance_event (badge, kind, agenda_item, wall_time,"
                         " mono_us, peer, reason, meeting, session, role, channel, place)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                         -1, &s->insert_event, NULL) != SQLITE_OK) {
    db_fail(s, "prepare insert", error);
    goto fail;
  }
  return s;

fail:
  sq_close(s);
  return NULL;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
  if (v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static char *
col_text(sqlite3_stmt *st, int i)
{
  return g_strdup((const char *)sqlite3_column_text(st, i));
}

static gboolean
insert_event(Sqlite *s, const StorageEvent *e, GError **error)
{
  sqlite3_stmt *st = s->insert_event;
  bind_text(st, 1, e->badge);
  bind_text(st, 2, e->kind);
  bind_text(st, 3, e->agenda_item);
  bind_text(st, 4, e->wall_time);
  sqlite3_bind_int64(st, 5, e->mono_us);
  bind_text(st, 6, e->peer);
  bind_text(st, 7, e->reason);
  bind_text(st, 8, e->meeting);
  bind_text(st, 9, e->session);
  bind_text(st, 10, e->role);
  bind_text(st, 11, e->channel);
  bind_text(st, 12, e->where);
  gboolean ok = sqlite3_step(st) == SQLITE_DONE;
  if (!ok)
    db_fail(s, "insert event", error);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return ok;
}

/* @n events in one transaction (autocommit for one: the same single flush
 * without the BEGIN/COMMIT round trips). */
static gboolean
sq_record_events(void *impl, const StorageEvent *events, gsize n, GError **error)
{
  Sqlite *s = impl;
  if (n == 1)
    return insert_event(s, &events[0], error);
  if (!exec(s, "BEGIN IMMEDIATE;", error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!insert_event(s, &events[i], error))
      goto fail;
  if (exec(s, "COMMIT;", error))
    return TRUE;
fail:
  exec(s, "ROLLBACK;", NULL);
  return FALSE;
}

#define EVENT_COLUMNS                                                                              \
  "e.id, e.badge, e.kind, e.agenda_item, e.wall_time, e.mono_us, e.peer, e.reason,"                \
  " e.meeting, e.session, e.role, e.channel, e.place"

static void *
event_row(sqlite3_stmt *st)
{
  StorageEventRow *r = g_new0(StorageEventRow, 1);
  r->id = sqlite3_column_int64(st, 0);
  r->e.badge = col_text(st, 1);
  r->e.kind = col_text(st, 2);
  r->e.agenda_item = col_text(st, 3);
  r->e.wall_time = col_text(st, 4);
  r->e.mono_us = sqlite3_column_int64(st, 5);
  r->e.peer = col_text(st, 6);
  r->e.reason = col_text(st, 7);
  r->e.meeting = col_text(st, 8);
  r->e.session = col_text(st, 9);
  r->e.role = col_text(st, 10);
  r->e.channel = col_text(st, 11);
  r->e.where = col_text(st, 12);
  return r;
}

/* Rows of @sql (with ?1 bound to @arg when not NULL) through @row. */
static GPtrArray *
select_rows(Sqlite *s, const char *sql, const char *arg, void *(*row)(sqlite3_stmt *),
            GDestroyNotify free_row, GError **error)
{
  sqlite3_stmt *st = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func(free_row);
  int rc;

  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    goto fail;
  if (arg)
    bind_text(st, 1, arg);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(out, row(st));
  if (rc != SQLITE_DONE)
    goto fail;
  sqlite3_finalize(st);
  return out;

fail:
  db_fail(s, "select", error);
  sqlite3_finalize(st);
  g_ptr_array_unref(out);
  return NULL;
}

static GPtrArray *
sq_events(void *impl, const char *session, GError **error)
{
  return select_rows(impl,
                     session ? "SELECT " EVENT_COLUMNS " FROM attendance_event e"
                               " WHERE e.session = ?1 ORDER BY e.id"
                             : "SELECT " EVENT_COLUMNS " FROM attendance_event e ORDER BY e.id",
                     session, event_row, (GDestroyNotify)storage_event_row_free, error);
}

static GPtrArray *
sq_open_joins(void *impl, GError **error)
{
  /* the last event of each peer, when it is not its leave (a join, a
   * reconnect, or a channel or role change of the open interval) */
  return select_rows(impl,
                     "SELECT " EVENT_COLUMNS " FROM attendance_event e"
                     " JOIN (SELECT peer, max(id) AS last FROM attendance_event"
                     "       WHERE peer IS NOT NULL GROUP BY peer) l ON e.id = l.last"
                     " WHERE e.kind IN ('join', 'reconnect', 'channel', 'role') ORDER BY e.id",
                     NULL, event_row, (GDestroyNotify)storage_event_row_free, error);
}

static gboolean
sq_current_session(void *impl, char **session, char **item, GError **error)
{
  Sqlite *s = impl;
  sqlite3_stmt *st = NULL;
  gboolean open = FALSE;
  /* the last session event, and the last item event after it */
  static const char sql[] =
      "SELECT o.kind, o.session,"
      "  (SELECT i.agenda_item FROM attendance_event i WHERE i.kind = 'item' AND i.id > o.id"
      "     AND (i.session = o.session OR i.session IS NULL) ORDER BY i.id DESC LIMIT 1),"
      "  o.agenda_item"
      " FROM attendance_event o WHERE o.kind IN ('session_open', 'session_close')"
      " ORDER BY o.id DESC LIMIT 1";

  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_fail(s, "current session", error);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "session_open") == 0 &&
      sqlite3_column_text(st, 1)) {
    *session = col_text(st, 1);
    *item = sqlite3_column_text(st, 2) ? col_text(st, 2) : col_text(st, 3);
    open = TRUE;
  } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    db_fail(s, "current session", error);
  }
  sqlite3_finalize(st);
  return open;
}

static gint64
sq_event_count(void *impl, GError **error)
{
  return query_int(impl, "SELECT count(*) FROM attendance_event", error);
}

/* ---- participants ---- */

static gboolean
bump_participants(Sqlite *s, GError **error)
{
  return exec(s, "UPDATE meta SET value = value + 1 WHERE key = 'participants_version';", error);
}

static gboolean
sq_participants_import(void *impl, const Roster *roster, GError **error)
{
  Sqlite *s = impl;
  sqlite3_stmt *st = NULL;
  static const char sql[] =
      "INSERT INTO participant (badge, name, family_name, given_name, entity, category, roles,"
      " email, ldc, code_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
      " ON CONFLICT(badge) DO UPDATE SET name = excluded.name, family_name = excluded.family_name,"
      " given_name = excluded.given_name, entity = excluded.entity, category = excluded.category,"
      " roles = excluded.roles, email = excluded.email, ldc = excluded.ldc,"
      " code_hash = coalesce(excluded.code_hash, participant.code_hash)";

  if (!exec(s, "BEGIN IMMEDIATE;", error))
    return FALSE;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_fail(s, "prepare import", error);
    goto fail;
  }
  for (guint i = 0; i < roster_size(roster); i++) {
    const RosterEntry *e = roster_nth(roster, i);
    g_autofree char *roles = roster_entry_roles_text(e);
    bind_text(st, 1, e->badge);
    bind_text(st, 2, e->name);
    bind_text(st, 3, e->family_name);
    bind_text(st, 4, e->given_name);
    bind_text(st, 5, e->entity);
    bind_text(st, 6, e->category_id);
    bind_text(st, 7, roles);
    bind_text(st, 8, e->email);
    sqlite3_bind_int(st, 9, e->ldc ? 1 : 0);
    bind_text(st, 10, e->code_hash);
    if (sqlite3_step(st) != SQLITE_DONE) {
      db_fail(s, "import", error);
      goto fail;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (bump_participants(s, error) && exec(s, "COMMIT;", error))
    return TRUE;
fail:
  sqlite3_finalize(st);
  exec(s, "ROLLBACK;", NULL);
  return FALSE;
}

static Roster *
sq_participants_load(void *impl, gboolean with_revoked, GError **error)
{
  Sqlite *s = impl;
  sqlite3_stmt *st = NULL;
  Roster *roster = roster_new();
  int rc;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT badge, name, family_name, given_name, entity, category, roles,"
                         " email, ldc, code_hash, revoked FROM participant"
                         " WHERE ?1 OR revoked = 0 ORDER BY badge",
                         -1, &st, NULL) != SQLITE_OK)
    goto fail;
  sqlite3_bind_int(st, 1, with_revoked ? 1 : 0);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    RosterEntry *e = g_new0(RosterEntry, 1);
    e->badge = col_text(st, 0);
    e->name = col_text(st, 1);
    e->family_name = col_text(st, 2);
    e->given_name = col_text(st, 3);
    e->entity = col_text(st, 4);
    e->category_id = col_text(st, 5);
    e->category = roster_category_from_id(e->category_id);
    e->roles = g_strsplit((const char *)sqlite3_column_text(st, 6), ";", -1);
    e->email = col_text(st, 7);
    e->ldc = sqlite3_column_int(st, 8) != 0;
    e->code_hash = col_text(st, 9);
    e->revoked = sqlite3_column_int(st, 10) != 0;
    roster_add(roster, e);
  }
  if (rc != SQLITE_DONE)
    goto fail;
  sqlite3_finalize(st);
  return roster;

fail:
  db_fail(s, "load participants", error);
  sqlite3_finalize(st);
  roster_free(roster);
  return NULL;
}

/* One UPDATE of one participant plus the version bump, in a transaction. */
static gboolean
update_participant(Sqlite *s, const char *sql, const char *badge, const char *text, int num,
                   GError **error)
{
  sqlite3_stmt *st = NULL;
  if (!exec(s, "BEGIN IMMEDIATE;", error))
    return FALSE;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_fail(s, "prepare update", error);
    goto fail;
  }
  bind_text(st, 1, badge);
  bind_text(st, 2, text);
  sqlite3_bind_int(st, 3, num);
  if (sqlite3_step(st) != SQLITE_DONE) {
    db_fail(s, "update participant", error);
    goto fail;
  }
  if (sqlite3_changes(s->db) == 0) {
    g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_NOT_FOUND, "no participant with badge '%s'",
                badge);
    goto fail;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (bump_participants(s, error) && exec(s, "COMMIT;", error))
    return TRUE;
fail:
  sqlite3_finalize(st);
  exec(s, "ROLLBACK;", NULL);
  return FALSE;
}

static gboolean
sq_participant_set_code_hash(void *impl, const char *badge, const char *hash, GError **error)
{
  return update_participant(impl, "UPDATE participant SET code_hash = ?2 WHERE badge = ?1", badge,
                            hash, 1, error);
}

static gboolean
sq_participant_set_revoked(void *impl, const char *badge, gboolean revoked, GError **error)
{
  return update_participant(impl, "UPDATE participant SET revoked = ?3 WHERE badge = ?1", badge,
                            NULL, revoked ? 1 : 0, error);
}

static gint64
sq_participants_version(void *impl, GError **error)
{
  return query_int(impl, "SELECT value FROM meta WHERE key = 'participants_version'", error);
}

/* ---- audit ---- */

static gboolean
sq_audit(void *impl, const StorageAudit *a, GError **error)
{
  Sqlite *s = impl;
  sqlite3_stmt *st = NULL;
  gboolean ok;
  if (sqlite3_prepare_v2(s->db,
                         "INSERT INTO audit (actor, action, target, detail, wall_time)"
                         " VALUES (?1, ?2, ?3, ?4, ?5)",
                         -1, &st, NULL) != SQLITE_OK)
    return db_fail(s, "prepare audit", error);
  bind_text(st, 1, a->actor);
  bind_text(st, 2, a->action);
  bind_text(st, 3, a->target);
  bind_text(st, 4, a->detail);
  bind_text(st, 5, a->wall_time);
  ok = sqlite3_step(st) == SQLITE_DONE;
  if (!ok)
    db_fail(s, "audit", error);
  sqlite3_finalize(st);
  return ok;
}

static void *
audit_row(sqlite3_stmt *st)
{
  StorageAuditRow *r = g_new0(StorageAuditRow, 1);
  r->id = sqlite3_column_int64(st, 0);
  r->a.actor = col_text(st, 1);
  r->a.action = col_text(st, 2);
  r->a.target = col_text(st, 3);
  r->a.detail = col_text(st, 4);
  r->a.wall_time = col_text(st, 5);
  return r;
}

static GPtrArray *
sq_audit_list(void *impl, GError **error)
{
  return select_rows(impl,
                     "SELECT id, actor, action, target, detail, wall_time FROM audit"
                     " ORDER BY id",
                     NULL, audit_row, (GDestroyNotify)storage_audit_row_free, error);
}

const StorageOps storage_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_schema_version,
    .record_events = sq_record_events,
    .events = sq_events,
    .open_joins = sq_open_joins,
    .current_session = sq_current_session,
    .event_count = sq_event_count,
    .participants_import = sq_participants_import,
    .participants_load = sq_participants_load,
    .participant_set_code_hash = sq_participant_set_code_hash,
    .participant_set_revoked = sq_participant_set_revoked,
    .participants_version = sq_participants_version,
    .audit = sq_audit,
    .audit_list = sq_audit_list,
};
