/* SPDX-License-Identifier: Apache-2.0 */
/* attendance_queue: events queued together go to SQLite in one transaction
 * once the loop runs, not before; callbacks follow the commit in order;
 * what a callback queues goes in a later batch; free writes what waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "attendance_queue.h"
#include "test_db.h"



#include <glib/gstdio.h>

typedef struct {
  char *dir;
  char *path;
  AttendanceLog *log;
  GMainContext *ctx;
  AttendanceQueue *q;
  GArray *done_order; /* int: the user value of each callback, in order */
  int ok_count;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->dir = g_dir_make_tmp("rostrum-attq-XXXXXX", NULL);
  f->path = g_build_filename(f->dir, "att.sqlite", NULL);
  f->log = attendance_open(f->path, NULL);
  f->ctx = g_main_context_new();
  f->q = attendance_queue_new(f->log, f->ctx);
  f->done_order = g_array_new(FALSE, FALSE, sizeof(int));
  *state = f;
  return f->log ? 0 : -1;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  attendance_queue_free(f->q);
  attendance_close(f->log);
  g_main_context_unref(f->ctx);
  g_array_unref(f->done_order);
  test_db_remove(f->dir, f->path);
  g_free(f->path);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static Fixture *current;

static void
on_done(gboolean ok, const GError *error, gpointer user)
{
  int i = GPOINTER_TO_INT(user);
  g_array_append_val(current->done_order, i);
  if (ok)
    current->ok_count++;
  /* at the time of the callback, its row is already readable */
  assert_true(attendance_count(current->log, NULL) >= 1);
}

static void
add(Fixture *f, int i, const char *kind, AttendanceDoneFunc done)
{
  char badge[16];
  g_snprintf(badge, sizeof badge, "WTPF-%04d", i);
  AttendanceEvent e = EV(badge, kind, "3", "2026-05-12T09:30:00.000Z", i, "p-x", NULL);
  attendance_queue_add(f->q, &e, done, GINT_TO_POINTER(i));
}

static void
drain(Fixture *f)
{
  for (int i = 0; i < 100 && g_main_context_iteration(f->ctx, FALSE); i++)
    ;
}

static void
one_batch_after_the_loop(void **state)
{
  Fixture *f = current = *state;
  for (int i = 0; i < 300; i++)
    add(f, i, i % 2 ? "leave" : "join", on_done);
  assert_int_equal(attendance_count(f->log, NULL), 0); /* nothing before the loop */
  assert_int_equal(f->done_order->len, 0);
  drain(f);
  assert_int_equal(attendance_count(f->log, NULL), 300);
  assert_int_equal(attendance_queue_events(f->q), 300);
  assert_int_equal(attendance_queue_batches(f->q), 1);
  assert_int_equal(f->ok_count, 300);
  for (int i = 0; i < 300; i++)
    assert_int_equal(g_array_index(f->done_order, int, i), i);
}

static void
queue_more(gboolean ok, const GError *error, gpointer user)
{
  on_done(ok, error, user);
  if (GPOINTER_TO_INT(user) == 0)
    add(current, 1000, "leave", on_done);
}

static void
callbacks_queue_into_a_later_batch(void **state)
{
  Fixture *f = current = *state;
  add(f, 0, "join", queue_more);
  add(f, 1, "join", on_done);
  drain(f);
  assert_int_equal(attendance_count(f->log, NULL), 3);
  assert_int_equal(attendance_queue_batches(f->q), 2);
  assert_int_equal(f->done_order->len, 3);
  assert_int_equal(g_array_index(f->done_order, int, 2), 1000);
}

static void
free_writes_what_waits(void **state)
{
  Fixture *f = current = *state;
  add(f, 7, "join", on_done);
  add(f, 8, "join", NULL);
  attendance_queue_free(f->q); /* no loop iteration */
  f->q = attendance_queue_new(f->log, f->ctx);
  assert_int_equal(attendance_count(f->log, NULL), 2);
  assert_int_equal(f->ok_count, 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(one_batch_after_the_loop, setup, teardown),
    cmocka_unit_test_setup_teardown(callbacks_queue_into_a_later_batch, setup, teardown),
    cmocka_unit_test_setup_teardown(free_writes_what_waits, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
