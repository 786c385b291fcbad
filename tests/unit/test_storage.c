/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "storage.h"
#include "test_db.h"

#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
exec_sql(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    fail_msg("%s", msg);
  sqlite3_close(db);
}

/* A stage 1 database (schema 2) with rows in it migrates in place. */
static void
test_migrates_v2(void **state)
{
  TestDb *f = *state;
  exec_sql(
      f->path,
      "CREATE TABLE attendance_event (id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " badge TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('join','leave')),"
      " agenda_item TEXT, wall_time TEXT NOT NULL, mono_us INTEGER NOT NULL, peer TEXT);"
      "CREATE INDEX attendance_event_badge ON attendance_event(badge);"
      "ALTER TABLE attendance_event ADD COLUMN reason TEXT;"
      "CREATE INDEX attendance_event_peer ON attendance_event(peer);"
      "INSERT INTO attendance_event (badge, kind, agenda_item, wall_time, mono_us, peer)"
      " VALUES ('WTPF-0001', 'join', '3', '2026-05-12T09:30:00.000Z', 1, 'p-1');"
      "INSERT INTO attendance_event (badge, kind, agenda_item, wall_time, mono_us, peer, reason)"
      " VALUES ('WTPF-0001', 'leave', '3', '2026-05-12T09:40:00.000Z', 2, 'p-1', 'left');"
      "INSERT INTO attendance_event (badge, kind, agenda_item, wall_time, mono_us, peer)"
      " VALUES ('WTPF-0002', 'join', '3', '2026-05-12T09:41:00.000Z', 3, 'p-2');"
      "PRAGMA user_version = 2;");
  g_autoptr(GError) error = NULL;
  g_autoptr(Storage) s = storage_open(f->path, &error);
  if (!s)
    fail_msg("%s", error->message);
  assert_int_equal(storage_schema_version(s), STORAGE_SCHEMA_VERSION);
  assert_int_equal(STORAGE_SCHEMA_VERSION, 3);
  assert_int_equal(storage_event_count(s, NULL), 3);
  /* the old rows, with their ids and reasons */
  g_autoptr(GPtrArray) all = storage_events(s, NULL, &error);
  assert_int_equal(all->len, 3);
  StorageEventRow *r1 = all->pdata[1];
  assert_int_equal(r1->id, 2);
  assert_string_equal(r1->e.reason, "left");
  assert_null(r1->e.session);
  /* the open join survives the migration */
  g_autoptr(GPtrArray) open = storage_open_joins(s, &error);
  assert_int_equal(open->len, 1);
  assert_string_equal(((StorageEventRow *)open->pdata[0])->e.peer, "p-2");
  /* new kinds and columns now */
  StorageEvent e = {.badge = "WTPF-0002",
                    .kind = "reconnect",
                    .wall_time = "2026-05-12T09:42:00.000Z",
                    .session = "s1",
                    .role = "delegate",
                    .channel = "fr",
                    .where = "remote",
                    .meeting = "wtpf-26",
                    .peer = "p-2"};
  assert_true(storage_record_events(s, &e, 1, &error));
  g_autofree char *id = test_db_query_text(f->path, "SELECT max(id) FROM attendance_event");
  assert_string_equal(id, "4");
  g_autofree char *ch =
      test_db_query_text(f->path, "SELECT channel || place FROM attendance_event WHERE id = 4");
  assert_string_equal(ch, "frremote");
  /* a channel change keeps the interval open (a restart adopts the seat
   * with the channel it had; it was lost as "unknown_seat" before) */
  StorageEvent chg = {.badge = "WTPF-0002", .kind = "channel", .wall_time = "2026-05-12T09:43:00.000Z",
                      .session = "s1", .channel = "es", .peer = "p-2"};
  assert_true(storage_record_events(s, &chg, 1, &error));
  g_autoptr(GPtrArray) still = storage_open_joins(s, &error);
  assert_int_equal(still->len, 1);
  assert_string_equal(((StorageEventRow *)still->pdata[0])->e.channel, "es");
  g_autofree char *v = test_db_query_text(f->path, "PRAGMA user_version");
  assert_string_equal(v, "3");
  /* the participant and audit tables exist, empty */
  g_autoptr(Roster) none = storage_participants_load(s, TRUE, &error);
  assert_int_equal(roster_size(none), 0);
  assert_int_equal(storage_participants_version(s, NULL), 0);
}

static void
test_newer_refused(void **state)
{
  TestDb *f = *state;
  exec_sql(f->path, "PRAGMA user_version = 99;");
  g_autoptr(GError) error = NULL;
  assert_null(storage_open(f->path, &error));
  assert_true(g_error_matches(error, STORAGE_ERROR, STORAGE_ERROR_VERSION));
  g_clear_error(&error);
  assert_null(storage_open("postgresql://db/rostrum", &error));
  assert_true(g_error_matches(error, STORAGE_ERROR, STORAGE_ERROR_UNSUPPORTED));
}

/* An event is in the file once the call returns: a child writes it, then
 * dies by SIGKILL without closing anything; the parent reads it. */
static void
test_durable_after_return(void **state)
{
  TestDb *f = *state;
  { /* create the schema first, so the child only writes one row */
    g_autoptr(Storage) s = storage_open(f->path, NULL);
    assert_non_null(s);
  }
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    Storage *s = storage_open(f->path, NULL);
    StorageEvent ev[2] = {
        {.badge = "A", .kind = "join", .wall_time = "2026-05-12T09:00:00.000Z", .peer = "p"},
        {.badge = "A",
         .kind = "leave",
         .wall_time = "2026-05-12T09:01:00.000Z",
         .peer = "p",
         .reason = "left"},
    };
    StorageAudit a = {.actor = "WTPF-0008",
                      .action = "session.open",
                      .target = "s1",
                      .wall_time = "2026-05-12T09:00:00.000Z"};
    if (!s || !storage_record_events(s, ev, 2, NULL) || !storage_audit(s, &a, NULL))
      _exit(1);
    kill(getpid(), SIGKILL); /* no close, no checkpoint */
    _exit(2);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  g_autofree char *n = test_db_query_text(f->path, "SELECT count(*) FROM attendance_event");
  assert_string_equal(n, "2");
  g_autofree char *act = test_db_query_text(f->path, "SELECT action FROM audit");
  assert_string_equal(act, "session.open");
}

static Roster *
parse_roster(const char *csv)
{
  Roster *r = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  if (roster_parse_checked(csv, strlen(csv), NULL, 0, &r, &problems) < 0) {
    g_autofree char *p = roster_problem_format(problems->pdata[0]);
    fail_msg("%s", p);
  }
  return r;
}

static void
test_participants(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(Storage) s = storage_open(f->path, &error);
  g_autoptr(Storage) other = storage_open(f->path, &error); /* "rostrum-admin" */
  assert_non_null(s);
  assert_non_null(other);
  g_autoptr(Roster) in = parse_roster(
      "badge,family_name,given_name,entity,category,roles,email,ldc,code_hash\n"
      "WTPF-0004,Tupou,Sione,Tonga (Kingdom of),member_state,delegate,s.tupou@example.to,yes,\n"
      "WTPF-0007,Dubois,Claire,ITU Interpretation Service,secretariat,interpreter:fr,,no,"
      "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
  gint64 v0 = storage_participants_version(s, NULL);
  assert_true(storage_participants_import(other, in, &error));
  gint64 v1 = storage_participants_version(s, NULL);
  assert_true(v1 > v0); /* seen by the other connection */

  g_autoptr(Roster) out = storage_participants_load(s, FALSE, &error);
  assert_int_equal(roster_size(out), 2);
  const RosterEntry *t = roster_lookup(out, "WTPF-0004");
  assert_string_equal(t->family_name, "Tupou");
  assert_string_equal(t->given_name, "Sione");
  assert_string_equal(t->name, "Sione Tupou");
  assert_string_equal(t->entity, "Tonga (Kingdom of)");
  assert_string_equal(t->category_id, "member_state");
  assert_int_equal(t->category, ROSTER_MEMBER_STATE);
  assert_string_equal(t->email, "s.tupou@example.to");
  assert_true(t->ldc);
  assert_null(t->code_hash);
  const RosterEntry *c = roster_lookup(out, "WTPF-0007");
  assert_true(roster_entry_has_role(c, "interpreter:fr"));
  assert_non_null(c->code_hash);
  assert_false(c->ldc);

  /* a code issued, then a re-import without hashes keeps it */
  assert_true(storage_participant_set_code_hash(other, "WTPF-0004", "pbkdf2-sha256$1$x$y", &error));
  assert_true(storage_participants_import(other, in, &error));
  g_autoptr(Roster) again = storage_participants_load(s, FALSE, &error);
  assert_string_equal(roster_lookup(again, "WTPF-0004")->code_hash, "pbkdf2-sha256$1$x$y");

  /* revocation: gone from what the daemon logs in against, kept with_revoked */
  gint64 v2 = storage_participants_version(s, NULL);
  assert_true(storage_participant_set_revoked(other, "WTPF-0004", TRUE, &error));
  assert_true(storage_participants_version(s, NULL) > v2);
  g_autoptr(Roster) live = storage_participants_load(s, FALSE, &error);
  assert_null(roster_lookup(live, "WTPF-0004"));
  g_autoptr(Roster) every = storage_participants_load(s, TRUE, &error);
  assert_true(roster_lookup(every, "WTPF-0004")->revoked);

  assert_false(storage_participant_set_revoked(s, "WTPF-9999", TRUE, &error));
  assert_true(g_error_matches(error, STORAGE_ERROR, STORAGE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_false(storage_participant_set_code_hash(s, "bad badge", "x", &error));
  assert_true(g_error_matches(error, STORAGE_ERROR, STORAGE_ERROR_INVAL));
}

static void
test_audit_and_session(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(Storage) s = storage_open(f->path, &error);
  StorageAudit a = {.actor = "WTPF-0008",
                    .action = "queue.grant",
                    .target = "WTPF-0001",
                    .detail = "{\"place\":1}",
                    .wall_time = "2026-05-12T09:00:00.000Z"};
  assert_true(storage_audit(s, &a, &error));
  StorageAudit bad = {.actor = "WTPF-0008", .wall_time = "x"};
  assert_false(storage_audit(s, &bad, &error));
  assert_true(g_error_matches(error, STORAGE_ERROR, STORAGE_ERROR_INVAL));
  g_clear_error(&error);
  g_autoptr(GPtrArray) list = storage_audit_list(s, &error);
  assert_int_equal(list->len, 1);
  StorageAuditRow *r = list->pdata[0];
  assert_string_equal(r->a.action, "queue.grant");
  assert_string_equal(r->a.target, "WTPF-0001");
  assert_string_equal(r->a.detail, "{\"place\":1}");

  char *session = NULL, *item = NULL;
  assert_false(storage_current_session(s, &session, &item, &error));
  assert_null(error);
  StorageEvent ev[] = {
      {.badge = "OP",
       .kind = "session_open",
       .session = "s1",
       .agenda_item = "2",
       .wall_time = "2026-05-12T09:00:00.000Z"},
      {.kind = "item",
       .session = "s1",
       .agenda_item = "3",
       .wall_time = "2026-05-12T09:10:00.000Z"},
      {.badge = "A", .kind = "join", .session = "s1", .wall_time = "2026-05-12T09:11:00.000Z"},
      {.badge = "B", .kind = "join", .session = "s2", .wall_time = "2026-05-12T09:11:00.000Z"},
  };
  assert_true(storage_record_events(s, ev, G_N_ELEMENTS(ev), &error));
  assert_true(storage_current_session(s, &session, &item, &error));
  assert_string_equal(session, "s1");
  assert_string_equal(item, "3");
  g_free(session);
  g_free(item);
  g_autoptr(GPtrArray) s1 = storage_events(s, "s1", &error);
  assert_int_equal(s1->len, 3);

  /* a bad event refuses the whole batch */
  StorageEvent bad_ev[] = {
      {.badge = "A", .kind = "leave", .wall_time = "2026-05-12T09:12:00.000Z"},
      {.badge = NULL, .kind = "join", .wall_time = "2026-05-12T09:12:00.000Z"},
  };
  assert_false(storage_record_events(s, bad_ev, 2, &error));
  assert_true(g_error_matches(error, STORAGE_ERROR, STORAGE_ERROR_INVAL));
  assert_int_equal(storage_event_count(s, NULL), 4);
  g_clear_error(&error);
  StorageEvent where_bad = {.badge = "A", .kind = "join", .wall_time = "t", .where = "moon"};
  assert_false(storage_record_events(s, &where_bad, 1, &error));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrates_v2, test_db_setup, test_db_teardown),
      cmocka_unit_test_setup_teardown(test_newer_refused, test_db_setup, test_db_teardown),
      cmocka_unit_test_setup_teardown(test_durable_after_return, test_db_setup, test_db_teardown),
      cmocka_unit_test_setup_teardown(test_participants, test_db_setup, test_db_teardown),
      cmocka_unit_test_setup_teardown(test_audit_and_session, test_db_setup, test_db_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
