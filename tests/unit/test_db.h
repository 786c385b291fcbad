/* SPDX-License-Identifier: Apache-2.0 */
/* For the tests of storage and the attendance log (include after
 * cmocka.h): a database in a temporary folder, removed with its -wal and
 * -shm; a one-value query on a connection of its own. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

/* Stage 1's seven fields, designated (AttendanceEvent has more since schema 3). */
#define EV(b, k, i, w, m, p, r)                                                              \
  {                                                                                          \
    .badge = (b), .kind = (k), .agenda_item = (i), .wall_time = (w), .mono_us = (m),         \
    .peer = (p), .reason = (r)                                                               \
  }

static inline void
test_db_remove(const char *dir, const char *path)
{
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_autofree char *shm = g_strconcat(path, "-shm", NULL);
  g_unlink(path);
  g_unlink(wal);
  g_unlink(shm);
  g_rmdir(dir);
}

typedef struct {
  char *dir;
  char *path;
} TestDb;

static inline int
test_db_setup(void **state)
{
  TestDb *f = g_new0(TestDb, 1);
  f->dir = g_dir_make_tmp("rostrum-db-XXXXXX", NULL);
  f->path = g_build_filename(f->dir, "rostrum.sqlite", NULL);
  *state = f;
  return f->dir ? 0 : -1;
}

static inline int
test_db_teardown(void **state)
{
  TestDb *f = *state;
  test_db_remove(f->dir, f->path);
  g_free(f->path);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* The first column of the first row of @sql on @path, or NULL (transfer full). */
static inline char *
test_db_query_text(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}
