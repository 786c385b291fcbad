/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "roster_sync.h"
#include "test_db.h"

#include <string.h>

static const char csv[] = "badge,family_name,given_name,entity,category,roles,email,ldc\n"
                          "A,Okafor,Amina,Nigeria,member_state,delegate,,no\n"
                          "B,Tupou,Sione,Tonga,member_state,delegate,,no\n";

typedef struct {
  int calls;
  Roster *last;
  char *gone;
} Seen;

static void
on_changed(Roster *fresh, const GPtrArray *gone, gpointer user)
{
  Seen *s = user;
  s->calls++;
  roster_free(s->last);
  s->last = roster_ref(fresh);
  g_free(s->gone);
  GString *g = g_string_new(NULL);
  for (guint i = 0; i < gone->len; i++)
    g_string_append_printf(g, "%s%s", i ? "," : "", (const char *)gone->pdata[i]);
  s->gone = g_string_free(g, FALSE);
}

static char *
write_file(const TestDb *f, const char *name, const char *text)
{
  char *path = g_build_filename(f->dir, name, NULL);
  assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static void
test_load_and_follow(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(Storage) daemon = storage_open(f->path, &error);
  g_autoptr(Storage) admin = storage_open(f->path, &error);
  g_autofree char *file = write_file(f, "roster.csv", csv);

  g_autoptr(Roster) r = roster_sync_load(daemon, file, NULL, &error);
  assert_non_null(r);
  assert_int_equal(roster_size(r), 2);
  Seen seen = {0};
  RosterSync *sync = roster_sync_new(daemon, r, 1000, on_changed, &seen);
  assert_true(roster_sync_poll(sync)); /* the first poll loads once */
  assert_false(roster_sync_poll(sync));

  /* another process revokes B: the next poll sees it, B is gone */
  assert_true(storage_participant_set_revoked(admin, "B", TRUE, &error));
  assert_true(roster_sync_poll(sync));
  assert_int_equal(seen.calls, 2);
  assert_string_equal(seen.gone, "B");
  assert_null(roster_lookup(seen.last, "B"));
  assert_non_null(roster_lookup(seen.last, "A"));
  assert_false(roster_sync_poll(sync));
  roster_sync_free(sync);
  g_unlink(file);
  roster_free(seen.last);
  g_free(seen.gone);
}

static void
test_bad_file(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(Storage) s = storage_open(f->path, &error);
  g_autofree char *file = write_file(f, "bad.csv",
                                     "badge,family_name,given_name,entity,category,roles,email,ldc\n"
                                     "A,Okafor,Amina,Nigeria,diplomat,delegate,,no\n"
                                     "B,Tupou,Sione,Tonga,member_state,delegate,,sometimes\n");
  assert_null(roster_sync_load(s, file, NULL, &error));
  assert_non_null(strstr(error->message, "2 bad line(s)"));
  assert_non_null(strstr(error->message, "line 2: unknown category 'diplomat'"));
  assert_non_null(strstr(error->message, "line 3: bad ldc 'sometimes'"));
  g_clear_error(&error);
  /* nothing imported; no file: storage only */
  g_autoptr(Roster) empty = roster_sync_load(s, NULL, NULL, &error);
  assert_int_equal(roster_size(empty), 0);
  g_unlink(file);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_load_and_follow, test_db_setup, test_db_teardown),
    cmocka_unit_test_setup_teardown(test_bad_file, test_db_setup, test_db_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
