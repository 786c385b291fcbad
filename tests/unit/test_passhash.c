/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "passhash.h"

#include <string.h>

/* The verify's cost (PBKDF2, ~40 ms; it runs on the login path off the
 * loop) is a benchmark figure (BENCHMARKS.md, the login storm), not a
 * timed assertion: on a loaded two-core machine or under ASan a wall-clock
 * bound here measured the machine. */

static void
test_roundtrip(void **state)
{
  g_autofree char *h = NULL;
  assert_int_equal(passhash_hash("floor-4401", 0, &h), PASSHASH_OK);
  assert_true(g_str_has_prefix(h, "pbkdf2-sha256$100000$"));
  assert_int_equal(passhash_check_format(h), PASSHASH_OK);
  assert_int_equal(passhash_verify("floor-4401", h), PASSHASH_OK);
  assert_int_equal(passhash_verify("floor-4402", h), PASSHASH_EMISMATCH);
  assert_int_equal(passhash_verify("", h), PASSHASH_EMISMATCH);
}

static void
test_salted(void **state)
{
  g_autofree char *a = NULL, *b = NULL;
  assert_int_equal(passhash_hash("same", 1000, &a), PASSHASH_OK);
  assert_int_equal(passhash_hash("same", 1000, &b), PASSHASH_OK);
  assert_string_not_equal(a, b);
  assert_int_equal(passhash_verify("same", a), PASSHASH_OK);
  assert_int_equal(passhash_verify("same", b), PASSHASH_OK);
}

/* Flips one base64 character of part @part (1 = salt, 2 = hash). */
static char *
tamper(const char *h, int part)
{
  g_auto(GStrv) p = g_strsplit(h, "$", -1);
  char *c = p[1 + part];
  c[2] = c[2] == 'A' ? 'B' : 'A';
  return g_strjoinv("$", p);
}

static void
test_tampered(void **state)
{
  g_autofree char *h = NULL;
  assert_int_equal(passhash_hash("floor-4401", 1000, &h), PASSHASH_OK);
  g_autofree char *bad_salt = tamper(h, 1);
  g_autofree char *bad_hash = tamper(h, 2);
  assert_int_equal(passhash_verify("floor-4401", bad_salt), PASSHASH_EMISMATCH);
  assert_int_equal(passhash_verify("floor-4401", bad_hash), PASSHASH_EMISMATCH);
  /* Other iteration count: different key. */
  g_autofree char *iter = g_strdup(h);
  memcpy(strstr(iter, "$1000$"), "$1001$", 6);
  assert_int_equal(passhash_verify("floor-4401", iter), PASSHASH_EMISMATCH);
}

static void
test_malformed(void **state)
{
  static const char *const bad[] = {
    "",
    "floor-4401",
    "pbkdf2-sha256$",
    "pbkdf2-sha256$100000$",
    "pbkdf2-sha1$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$abc$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$-5$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$100000$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
    "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAA!!==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$x",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    assert_int_equal(passhash_check_format(bad[i]), PASSHASH_EINVAL);
    assert_int_equal(passhash_verify("x", bad[i]), PASSHASH_EINVAL);
  }
  assert_int_equal(passhash_verify("x", NULL), PASSHASH_EINVAL);
  assert_int_equal(passhash_check_format("pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$"
                                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                   PASSHASH_OK);
  char *out = (char *)0x1;
  assert_int_equal(passhash_hash("x", 5, &out), PASSHASH_EINVAL);
  assert_null(out);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_roundtrip),
    cmocka_unit_test(test_salted),
    cmocka_unit_test(test_tampered),
    cmocka_unit_test(test_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
