/* SPDX-License-Identifier: Apache-2.0 */
#include "attendance.h"

#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK(rostrum-attendance-error-quark, attendance_error)

struct AttendanceLog {
  sqlite3 *db;
  sqlite3_stmt *insert;
};

#define SCHEMA_VERSION ((int)G_N_ELEMENTS(migrations))

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
};

static gboolean
db_fail(AttendanceLog *log, const char *what, GError **error)
{
  g_set_error(error, ATTENDANCE_ERROR, ATTENDANCE_ERROR_DB, "attendance: %s: %s", what,
              log->db ? sqlite3_errmsg(log->db) : "out of memory");
  return FALSE;
}

static gboolean
exec(AttendanceLog *log, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(log->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, ATTENDANCE_ERROR, ATTENDANCE_ERROR_DB, "attendance: %s: %s", sql,
                msg ? msg : "error");
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

static int
user_version(AttendanceLog *log)
{
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(log->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Brings the schema to SCHEMA_VERSION, each step in its own transaction.
 * A database from before versioning (version 0 but the table present)
 * has the version-1 schema. */
static gboolean
migrate(AttendanceLog *log, GError **error)
{
  int v = user_version(log);
  if (v < 0)
    return db_fail(log, "read user_version", error);
  if (v > SCHEMA_VERSION) {
    g_set_error(error, ATTENDANCE_ERROR, ATTENDANCE_ERROR_DB,
                "attendance: the database has schema version %d, newer than this program's %d",
                v, SCHEMA_VERSION);
    return FALSE;
  }
  for (; v < SCHEMA_VERSION; v++) {
    g_autofree char *sql = g_strdup_printf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                                           migrations[v], v + 1);
    if (!exec(log, sql, error)) {
      exec(log, "ROLLBACK;", NULL);
      return FALSE;
    }
  }
  return TRUE;
}

AttendanceLog *
attendance_open(const char *path, GError **error)
{
  AttendanceLog *log = g_new0(AttendanceLog, 1);

  if (sqlite3_open_v2(path, &log->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK) {
    db_fail(log, path, error);
    goto fail;
  }
  sqlite3_busy_timeout(log->db, 2000);
  if (!exec(log, "PRAGMA journal_mode=WAL;", error) ||
      !exec(log, "PRAGMA synchronous=FULL;", error) || !migrate(log, error))
    goto fail;
  if (sqlite3_prepare_v2(log->db,
                         "INSERT INTO attendance_event"
                         " (badge, kind, agenda_item, wall_time, mono_us, peer, reason)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         -1, &log->insert, NULL) != SQLITE_OK) {
    db_fail(log, "prepare insert", error);
    goto fail;
  }
  return log;

fail:
  attendance_close(log);
  return NULL;
}

void
attendance_close(AttendanceLog *log)
{
  if (!log)
    return;
  sqlite3_finalize(log->insert);
  sqlite3_close(log->db);
  g_free(log);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static gboolean
valid_event(const AttendanceEvent *e, GError **error)
{
  if (e->badge && e->wall_time && e->kind &&
      (strcmp(e->kind, "join") == 0 || strcmp(e->kind, "leave") == 0))
    return TRUE;
  g_set_error(error, ATTENDANCE_ERROR, ATTENDANCE_ERROR_INVAL,
              "attendance: kind must be 'join' or 'leave', badge and time set");
  return FALSE;
}

static gboolean
insert(AttendanceLog *log, const AttendanceEvent *e, GError **error)
{
  bind_text(log->insert, 1, e->badge);
  bind_text(log->insert, 2, e->kind);
  bind_text(log->insert, 3, e->agenda_item);
  bind_text(log->insert, 4, e->wall_time);
  sqlite3_bind_int64(log->insert, 5, e->mono_us);
  bind_text(log->insert, 6, e->peer);
  bind_text(log->insert, 7, e->reason);
  gboolean ok = sqlite3_step(log->insert) == SQLITE_DONE;
  if (!ok)
    db_fail(log, "insert", error);
  sqlite3_reset(log->insert);
  sqlite3_clear_bindings(log->insert);
  return ok;
}

gboolean
attendance_record_many(AttendanceLog *log, const AttendanceEvent *events, gsize n,
                       GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (!valid_event(&events[i], error))
      return FALSE;
  if (n == 1) /* autocommit: the same one flush */
    return insert(log, &events[0], error);
  if (!exec(log, "BEGIN IMMEDIATE;", error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!insert(log, &events[i], error)) {
      exec(log, "ROLLBACK;", NULL);
      return FALSE;
    }
  if (exec(log, "COMMIT;", error))
    return TRUE;
  exec(log, "ROLLBACK;", NULL);
  return FALSE;
}

gboolean
attendance_record(AttendanceLog *log, const char *badge, const char *kind,
                  const char *agenda_item, const char *wall_time, gint64 mono_us,
                  const char *peer, GError **error)
{
  AttendanceEvent e = {badge, kind, agenda_item, wall_time, mono_us, peer, NULL};
  return attendance_record_many(log, &e, 1, error);
}

GPtrArray *
attendance_open_joins(AttendanceLog *log, GError **error)
{
  /* the last event of each peer, when it is a join */
  static const char sql[] =
    "SELECT e.badge, e.peer, e.agenda_item FROM attendance_event e"
    " JOIN (SELECT peer, max(id) AS last FROM attendance_event WHERE peer IS NOT NULL"
    "       GROUP BY peer) l ON e.id = l.last"
    " WHERE e.kind = 'join' ORDER BY e.id";
  sqlite3_stmt *st = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)attendance_open_join_free);
  int rc;

  if (sqlite3_prepare_v2(log->db, sql, -1, &st, NULL) != SQLITE_OK)
    goto fail;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    AttendanceOpenJoin *j = g_new0(AttendanceOpenJoin, 1);
    j->badge = g_strdup((const char *)sqlite3_column_text(st, 0));
    j->peer = g_strdup((const char *)sqlite3_column_text(st, 1));
    j->agenda_item = g_strdup((const char *)sqlite3_column_text(st, 2));
    g_ptr_array_add(out, j);
  }
  if (rc != SQLITE_DONE)
    goto fail;
  sqlite3_finalize(st);
  return out;

fail:
  db_fail(log, "open joins", error);
  sqlite3_finalize(st);
  g_ptr_array_unref(out);
  return NULL;
}

void
attendance_open_join_free(AttendanceOpenJoin *j)
{
  if (!j)
    return;
  g_free(j->badge);
  g_free(j->peer);
  g_free(j->agenda_item);
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
  sqlite3_stmt *st = NULL;
  gint64 n = -1;

  if (sqlite3_prepare_v2(log->db, "SELECT count(*) FROM attendance_event", -1, &st, NULL) !=
      SQLITE_OK) {
    db_fail(log, "count", error);
    return -1;
  }
  if (sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  else
    db_fail(log, "count", error);
  sqlite3_finalize(st);
  return n;
}
