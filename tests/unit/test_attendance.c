/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "attendance.h"
#include "test_db.h"



#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

static void
test_record_and_reopen(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autofree char *wall = attendance_wall_time_now();
  AttendanceLog *log = attendance_open(f->path, &error);
  assert_non_null(log);

  assert_true(attendance_record(log, "WTPF-0001", "join", "1", wall, 123456, "p-0000abcd", &error));
  assert_true(attendance_record(log, "WTPF-0001", "leave", "1", wall, 223456, "p-0000abcd", &error));
  assert_true(attendance_record(log, "WTPF-0002", "join", NULL, wall, 300000, NULL, &error));
  assert_int_equal(attendance_count(log, &error), 3);
  attendance_close(log);

  /* Visible to another connection and durable after close. */
  g_autofree char *mode = test_db_query_text(f->path, "PRAGMA journal_mode");
  assert_string_equal(mode, "wal");
  g_autofree char *row = test_db_query_text(f->path,
    "SELECT badge || '|' || kind || '|' || agenda_item || '|' || mono_us || '|' || peer"
    " FROM attendance_event WHERE id = 2");
  assert_string_equal(row, "WTPF-0001|leave|1|223456|p-0000abcd");
  g_autofree char *stored_wall = test_db_query_text(f->path,
    "SELECT wall_time FROM attendance_event WHERE id = 1");
  assert_string_equal(stored_wall, wall);

  log = attendance_open(f->path, &error);
  assert_non_null(log);
  assert_int_equal(attendance_count(log, &error), 3);
  assert_true(attendance_record(log, "WTPF-0003", "join", "2", wall, 1, "p-1", &error));
  assert_int_equal(attendance_count(log, &error), 4);
  attendance_close(log);
}

static void
test_bad_kind(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(AttendanceLog) log = attendance_open(f->path, &error);
  assert_non_null(log);
  assert_false(attendance_record(log, "WTPF-0001", "teleport", "1", "x", 1, NULL, &error));
  assert_true(g_error_matches(error, ATTENDANCE_ERROR, ATTENDANCE_ERROR_INVAL));
  assert_int_equal(attendance_count(log, NULL), 0);
}

/* One transaction: all rows, or (one bad event) none. */
static void
test_record_many(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(AttendanceLog) log = attendance_open(f->path, &error);
  assert_non_null(log);
  AttendanceEvent ev[3] = {
    EV("WTPF-0001", "join", "1", "2026-05-12T09:30:00.000Z", 1, "p-1", NULL),
    EV("WTPF-0002", "join", "1", "2026-05-12T09:30:00.001Z", 2, "p-2", NULL),
    EV("WTPF-0001", "leave", "1", "2026-05-12T09:31:00.000Z", 3, "p-1", "left"),
  };
  assert_true(attendance_record_many(log, ev, 3, &error));
  assert_int_equal(attendance_count(log, NULL), 3);
  g_autofree char *last = test_db_query_text(f->path, "SELECT badge || kind FROM attendance_event"
                                              " ORDER BY id DESC LIMIT 1");
  assert_string_equal(last, "WTPF-0001leave");

  ev[1].kind = "teleport"; /* not a kind: the whole batch is refused */
  assert_false(attendance_record_many(log, ev, 3, &error));
  assert_true(g_error_matches(error, ATTENDANCE_ERROR, ATTENDANCE_ERROR_INVAL));
  assert_int_equal(attendance_count(log, NULL), 3);
}

/* A database made before schema versioning (version 0 with the table)
 * is migrated in place: its rows stay, the reason column appears. */
static void
test_migrates_unversioned(void **state)
{
  TestDb *f = *state;
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "CREATE TABLE attendance_event (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                " badge TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('join','leave')),"
                                " agenda_item TEXT, wall_time TEXT NOT NULL, mono_us INTEGER NOT NULL,"
                                " peer TEXT);"
                                "INSERT INTO attendance_event (badge, kind, agenda_item, wall_time, mono_us, peer)"
                                " VALUES ('WTPF-0009', 'join', '1', '2026-05-12T09:30:00.000Z', 1, 'p-9');",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);

  g_autoptr(GError) error = NULL;
  g_autoptr(AttendanceLog) log = attendance_open(f->path, &error);
  assert_non_null(log);
  assert_int_equal(attendance_count(log, NULL), 1);
  AttendanceEvent e = EV("WTPF-0009", "leave", "1", "2026-05-12T09:31:00.000Z", 2, "p-9",
                         ATTENDANCE_REASON_RESTART);
  assert_true(attendance_record_many(log, &e, 1, &error));
  g_autofree char *reason = test_db_query_text(f->path, "SELECT reason FROM attendance_event WHERE id = 2");
  assert_string_equal(reason, "ended_by_restart");
  g_autofree char *version = test_db_query_text(f->path, "PRAGMA user_version");
  assert_string_equal(version, "3");
}

/* Open intervals: peers whose last event is a join. */
static void
test_open_joins(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(AttendanceLog) log = attendance_open(f->path, &error);
  assert_non_null(log);
  AttendanceEvent ev[] = {
    EV("A", "join", "1", "2026-05-12T09:30:00.000Z", 1, "p-a", NULL),
    EV("B", "join", "1", "2026-05-12T09:30:00.000Z", 2, "p-b", NULL),
    EV("A", "leave", "1", "2026-05-12T09:31:00.000Z", 3, "p-a", "left"),
    EV("A", "join", "2", "2026-05-12T09:32:00.000Z", 4, "p-a2", NULL),
    EV("C", "join", "2", "2026-05-12T09:32:00.000Z", 5, NULL, NULL), /* no peer: not a seat */
  };
  assert_true(attendance_record_many(log, ev, G_N_ELEMENTS(ev), &error));
  g_autoptr(GPtrArray) open = attendance_open_joins(log, &error);
  assert_non_null(open);
  assert_int_equal(open->len, 2);
  AttendanceOpenJoin *j0 = open->pdata[0], *j1 = open->pdata[1];
  assert_string_equal(j0->peer, "p-b");
  assert_string_equal(j0->badge, "B");
  assert_string_equal(j1->peer, "p-a2");
  assert_string_equal(j1->agenda_item, "2");
}

static void
test_open_fails(void **state)
{
  g_autoptr(GError) error = NULL;
  assert_null(attendance_open("/nonexistent-dir/x/att.sqlite", &error));
  assert_true(g_error_matches(error, ATTENDANCE_ERROR, ATTENDANCE_ERROR_DB));
}

static void
test_wall_time_format(void **state)
{
  g_autofree char *w = attendance_wall_time_now();
  /* 2026-05-12T09:30:00.123Z */
  assert_int_equal(strlen(w), 24);
  assert_int_equal(w[10], 'T');
  assert_int_equal(w[19], '.');
  assert_int_equal(w[23], 'Z');
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_record_and_reopen, test_db_setup, test_db_teardown),
    cmocka_unit_test_setup_teardown(test_bad_kind, test_db_setup, test_db_teardown),
    cmocka_unit_test_setup_teardown(test_record_many, test_db_setup, test_db_teardown),
    cmocka_unit_test_setup_teardown(test_migrates_unversioned, test_db_setup, test_db_teardown),
    cmocka_unit_test_setup_teardown(test_open_joins, test_db_setup, test_db_teardown),
    cmocka_unit_test(test_open_fails),
    cmocka_unit_test(test_wall_time_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
