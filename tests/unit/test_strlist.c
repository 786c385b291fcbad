/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strlist.h"

static void
splits_and_drops_empties(void **state)
{
  char **v = strlist_split(" 127.0.0.1, ::1 ,,\tturn:x?transport=udp ");
  assert_int_equal(g_strv_length(v), 3);
  assert_string_equal(v[0], "127.0.0.1");
  assert_string_equal(v[1], "::1");
  assert_string_equal(v[2], "turn:x?transport=udp");
  g_strfreev(v);
  v = strlist_split("");
  assert_non_null(v);
  assert_null(v[0]);
  g_strfreev(v);
  v = strlist_split(NULL);
  assert_null(v[0]);
  g_strfreev(v);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(splits_and_drops_empties)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
