/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "passhash.h"
#include "roster.h"

#include <string.h>

static char *hash; /* one valid code_hash, made once */

static int
setup(void **state)
{
  return passhash_hash("floor-4401", PASSHASH_MIN_ITERATIONS, &hash);
}

static int
teardown(void **state)
{
  g_free(hash);
  return 0;
}

#define HEADER "badge,name,entity,category,roles,code_hash\n"

/* Parses @text; returns the code, *detail if it failed. */
static int
parse(const char *text, Roster **out, char **detail)
{
  return roster_parse(text, strlen(text), out, detail);
}

static char *
roster_text(const char *lines_fmt)
{
  /* each "%H" in lines_fmt is replaced by the valid hash */
  g_auto(GStrv) parts = g_strsplit(lines_fmt, "%H", -1);
  g_autofree char *body = g_strjoinv(hash, parts);
  return g_strconcat(HEADER, body, NULL);
}

static void
expect_error(const char *lines, const char *fragment)
{
  g_autofree char *text = roster_text(lines);
  g_autofree char *detail = NULL;
  Roster *r = (Roster *)0x1;
  assert_int_equal(parse(text, &r, &detail), ROSTER_EINVAL);
  assert_null(r);
  assert_non_null(detail);
  if (!strstr(detail, fragment))
    fail_msg("detail '%s' lacks '%s'", detail, fragment);
}

static void
test_valid(void **state)
{
  g_autofree char *text = roster_text(
    "# comment\n"
    "WTPF-0001,Amina Okafor,Nigeria (Federal Republic of),member_state,delegate,%H\n"
    "WTPF-0006,\"Thompson, Marcia\",\"University of the West Indies, Mona\",academia,delegate;chair,%H\r\n"
    "\n"
    "WTPF-0007,\"Claire \"\"CD\"\" Dubois\",ITU,secretariat,interpreter:fr,%H");
  g_autoptr(Roster) r = NULL;
  g_autofree char *detail = NULL;
  if (parse(text, &r, &detail) != ROSTER_OK)
    fail_msg("%s", detail);
  assert_int_equal(roster_size(r), 3);
  const RosterEntry *e = roster_lookup(r, "WTPF-0006");
  assert_non_null(e);
  assert_string_equal(e->name, "Thompson, Marcia");
  assert_string_equal(e->entity, "University of the West Indies, Mona");
  assert_int_equal(e->category, ROSTER_ACADEMIA);
  assert_true(roster_entry_has_role(e, "chair"));
  assert_true(roster_entry_has_role(e, "delegate"));
  e = roster_lookup(r, "WTPF-0007");
  assert_string_equal(e->name, "Claire \"CD\" Dubois");
  assert_string_equal(e->roles[0], "interpreter:fr");
  assert_string_equal(roster_category_name(e->category), "secretariat");
  assert_null(roster_lookup(r, "WTPF-9999"));
}

static void
test_quoted_newline(void **state)
{
  g_autofree char *text = roster_text("B1,\"Line\nbreak\",E,observer,delegate,%H\n"
                                      "B2,N,E,nope,delegate,%H\n");
  g_autofree char *detail = NULL;
  Roster *r = NULL;
  assert_int_equal(parse(text, &r, &detail), ROSTER_EINVAL);
  /* both bad lines, each with its number: the quoted newline (a control
   * character in a name) and the category two physical lines further */
  assert_string_equal(detail, "line 2: a name or the entity is not UTF-8 text of at most 256 "
                              "bytes\nline 4: unknown category 'nope'");
}

static void
test_errors(void **state)
{
  expect_error("B1,N,E,member_state,delegate\n", "line 2: 5 columns");
  expect_error("B1,N,E,member_state,delegate,%H,extra\n", "line 2: 7 columns");
  expect_error("B1,N,E,member_state,delegate,%H\nB2,N,E,diplomat,delegate,%H\n",
               "line 3: unknown category 'diplomat'");
  expect_error("B1,N,E,member_state,delegate,%H\nB1,M,E,member_state,delegate,%H\n",
               "line 3: duplicate badge 'B1'");
  expect_error("B1,N,E,member_state,delegate,plain-text-code\n", "line 2: bad code_hash");
  expect_error("B1,N,E,member_state,delegate,pbkdf2-sha256$100000$abc$def\n",
               "line 2: bad code_hash");
  expect_error("B1,N,E,member_state,president,%H\n", "line 2: unknown role 'president'");
  expect_error("B1,N,E,member_state,interpreter:,%H\n", "line 2: unknown role");
  expect_error("B 1,N,E,member_state,delegate,%H\n", "line 2: bad badge");
  expect_error("B1,\"Unclosed,E,member_state,delegate,%H\n", "line 2: quoted field not closed");
  expect_error("B1,\"Name\"x,E,member_state,delegate,%H\n", "line 2: text after a closing quote");
  /* An unquoted comma splits the field: wrong column count. */
  expect_error("B1,Okafor, Amina,E,member_state,delegate,%H\n", "line 2: 7 columns");
}

static void
test_header(void **state)
{
  g_autofree char *detail = NULL;
  Roster *r = NULL;
  assert_int_equal(parse("badge,name,entity,category,roles\n", &r, &detail), ROSTER_EINVAL);
  assert_non_null(strstr(detail, "line 1"));
  g_clear_pointer(&detail, g_free);
  assert_int_equal(parse("id,name,entity,category,roles,code_hash\n", &r, &detail),
                   ROSTER_EINVAL);
  assert_non_null(strstr(detail, "line 1: header"));
  g_clear_pointer(&detail, g_free);
  assert_int_equal(parse("", &r, &detail), ROSTER_EINVAL);
  assert_null(r);
}

static void
test_missing_file(void **state)
{
  g_autofree char *detail = NULL;
  Roster *r = NULL;
  assert_int_equal(roster_load_file("/nonexistent/roster.csv", &r, &detail), ROSTER_EIO);
  assert_non_null(detail);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid),
    cmocka_unit_test(test_quoted_newline),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_header),
    cmocka_unit_test(test_missing_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
