/* SPDX-License-Identifier: Apache-2.0 */
/* signalling/speakers.c: request order, withdraw, reorder, grant, revoke,
 * the speaking clock, and a random-operations property test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "speakers.h"

#include <errno.h>
#include <string.h>

static const char *
at(const Speakers *s, guint i)
{
  return ((const SpeakerRequest *)speakers_queue(s)->pdata[i])->badge;
}

static void
test_order(void **state)
{
  g_autoptr(Speakers) s = speakers_new(0);
  assert_int_equal(speakers_request(s, "A", FALSE, 1, "t1"), 1);
  assert_int_equal(speakers_request(s, "B", TRUE, 2, "t2"), 2);
  assert_int_equal(speakers_request(s, "C", FALSE, 3, "t3"), 3);
  assert_int_equal(speakers_request(s, "B", FALSE, 4, "t4"), -EEXIST);
  assert_int_equal(speakers_place(s, "C"), 3);
  assert_int_equal(speakers_place(s, "Z"), 0);
  assert_int_equal(speakers_withdraw(s, "A"), 0);
  assert_int_equal(speakers_withdraw(s, "A"), -ENOENT);
  assert_int_equal(speakers_place(s, "B"), 1);
  assert_int_equal(speakers_place(s, "C"), 2);
  assert_true(((const SpeakerRequest *)speakers_queue(s)->pdata[0])->onsite);
}

static void
test_reorder(void **state)
{
  g_autoptr(Speakers) s = speakers_new(0);
  const char *names[] = {"A", "B", "C", "D"};
  for (int i = 0; i < 4; i++)
    speakers_request(s, names[i], FALSE, i, "t");
  assert_int_equal(speakers_move(s, "D", 1), 0); /* D A B C */
  assert_string_equal(at(s, 0), "D");
  assert_string_equal(at(s, 1), "A");
  assert_int_equal(speakers_move(s, "D", 99), 0); /* clamped: A B C D */
  assert_string_equal(at(s, 3), "D");
  assert_int_equal(speakers_move(s, "A", 3), 0); /* B C A D */
  assert_string_equal(at(s, 0), "B");
  assert_string_equal(at(s, 2), "A");
  assert_int_equal(speakers_move(s, "A", 0), -EINVAL);
  assert_int_equal(speakers_move(s, "Q", 1), -ENOENT);
}

static void
test_grant_revoke(void **state)
{
  g_autoptr(Speakers) s = speakers_new(2);
  speakers_request(s, "A", FALSE, 10, "t10");
  speakers_request(s, "B", TRUE, 11, "t11");
  guint64 v = speakers_version(s);
  assert_int_equal(speakers_grant(s, "B", FALSE, 20, "t20"), 0);
  assert_true(speakers_version(s) > v);
  assert_int_equal(speakers_place(s, "B"), 0); /* out of the queue */
  const Speaker *sp = speakers_speaking(s, "B");
  assert_non_null(sp);
  assert_true(sp->onsite); /* as requested, not as the grant said */
  assert_int_equal(sp->since_us, 20);
  assert_int_equal(speakers_grant(s, "B", FALSE, 21, "t21"), -EISCONN);
  assert_int_equal(speakers_request(s, "B", FALSE, 22, "t22"), -EISCONN);
  /* the chair calls on someone who did not ask */
  assert_int_equal(speakers_grant(s, "C", FALSE, 23, "t23"), 0);
  assert_int_equal(speakers_grant(s, "A", FALSE, 24, "t24"), -EBUSY); /* two speak already */
  assert_int_equal(speakers_place(s, "A"), 1);
  assert_int_equal(speakers_revoke(s, "B"), 0);
  assert_int_equal(speakers_revoke(s, "B"), -ENOENT);
  assert_int_equal(speakers_grant(s, "A", FALSE, 25, "t25"), 0);
  assert_int_equal(speakers_current(s)->len, 2);
  assert_true(speakers_forget(s, "A"));
  assert_false(speakers_forget(s, "A"));
  assert_int_equal(speakers_current(s)->len, 1);
}

/* 20 000 random operations against a plain model: the queue is always the
 * model's order, nobody is both waiting and speaking. */
static void
test_property(void **state)
{
  g_autoptr(Speakers) s = speakers_new(3);
  GPtrArray *model = g_ptr_array_new();
  GHashTable *speaking = g_hash_table_new(g_str_hash, g_str_equal);
  static const char *const names[] = {"A", "B", "C", "D", "E", "F", "G", "H"};
  GRand *r = g_rand_new_with_seed(7);
  for (int step = 0; step < 20000; step++) {
    const char *b = names[g_rand_int_range(r, 0, 8)];
    int op = g_rand_int_range(r, 0, 5);
    guint idx;
    gboolean queued = g_ptr_array_find_with_equal_func(model, b, g_str_equal, &idx);
    gboolean talking = g_hash_table_contains(speaking, b);
    if (op == 0) {
      int rc = speakers_request(s, b, FALSE, step, "t");
      assert_int_equal(rc, queued ? -EEXIST : talking ? -EISCONN : (int)model->len + 1);
      if (rc > 0)
        g_ptr_array_add(model, (gpointer)b);
    } else if (op == 1) {
      assert_int_equal(speakers_withdraw(s, b), queued ? 0 : -ENOENT);
      if (queued)
        g_ptr_array_remove_index(model, idx);
    } else if (op == 2 && queued) {
      int place = g_rand_int_range(r, 1, 10);
      assert_int_equal(speakers_move(s, b, place), 0);
      g_ptr_array_remove_index(model, idx);
      g_ptr_array_insert(model, (gint)MIN((guint)place - 1, model->len), (gpointer)b);
    } else if (op == 3) {
      int rc = speakers_grant(s, b, FALSE, step, "t");
      int want = talking ? -EISCONN : g_hash_table_size(speaking) >= 3 ? -EBUSY : 0;
      assert_int_equal(rc, want);
      if (rc == 0) {
        g_hash_table_add(speaking, (gpointer)b);
        if (queued)
          g_ptr_array_remove_index(model, idx);
      }
    } else if (op == 4) {
      assert_int_equal(speakers_revoke(s, b), talking ? 0 : -ENOENT);
      g_hash_table_remove(speaking, b);
    }
    const GPtrArray *q = speakers_queue(s);
    assert_int_equal(q->len, model->len);
    for (guint i = 0; i < q->len; i++) {
      assert_string_equal(at(s, i), model->pdata[i]);
      assert_null(speakers_speaking(s, model->pdata[i]));
    }
    assert_int_equal(speakers_current(s)->len, g_hash_table_size(speaking));
  }
  g_rand_free(r);
  g_ptr_array_unref(model);
  g_hash_table_destroy(speaking);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_order),
    cmocka_unit_test(test_reorder),
    cmocka_unit_test(test_grant_revoke),
    cmocka_unit_test(test_property),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
