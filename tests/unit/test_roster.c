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

/* ---- the import format of docs/roster.md, checked against a meeting ---- */

#define NEW_HEADER "badge,family_name,given_name,entity,category,roles,email,ldc,code_hash\n"

static Meeting *
load_meeting(const char *id)
{
  g_autofree char *path = g_strdup_printf("%s/%s.json", MEETINGS_DIR, id);
  Meeting *m = NULL;
  assert_int_equal(meeting_load_file(path, &m, NULL), 0);
  return m;
}

static void
test_import_good(void **state)
{
  g_autoptr(Meeting) m = load_meeting("wtpf-26");
  static const char text[] =
    NEW_HEADER
    "WTPF-0009,Rahman,Fatima,Bangladesh (People's Republic of),member_state,delegate,"
    "f.rahman@example.gov.bd,yes,\n"
    "WTPF-0024,Moreau,Julien,ITU Interpretation Service,secretariat,interpreter:fr;interpreter:en,,"
    "no,\n"
    "WTPF-0031,Sato,Akira,ITU General Secretariat,secretariat,operator;chair,,0,\n"
    "WTPF-0014,Khalil,Rami,State of Palestine,observer,delegate,,FALSE,\n"
    "WTPF-0040,Nakamura,,\"Kyoto University, Graduate School\",academia,delegate,,Yes,\n";
  g_autoptr(Roster) r = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  if (roster_parse_checked(text, strlen(text), m, 0, &r, &problems) != ROSTER_OK) {
    g_autofree char *p = roster_problem_format(problems->pdata[0]);
    fail_msg("%s", p);
  }
  assert_int_equal(roster_size(r), 5);
  const RosterEntry *e = roster_lookup(r, "WTPF-0009");
  assert_string_equal(e->family_name, "Rahman");
  assert_string_equal(e->given_name, "Fatima");
  assert_string_equal(e->name, "Fatima Rahman");
  assert_string_equal(e->email, "f.rahman@example.gov.bd");
  assert_true(e->ldc);
  assert_null(e->code_hash); /* no code yet: rostrum-admin codes issue */
  assert_string_equal(e->category_id, "member_state");
  assert_true(roster_entry_has_role(roster_lookup(r, "WTPF-0024"), "interpreter:en"));
  assert_false(roster_lookup(r, "WTPF-0014")->ldc);
  assert_true(roster_lookup(r, "WTPF-0040")->ldc);
  assert_string_equal(roster_lookup(r, "WTPF-0040")->name, "Nakamura"); /* no given name */
  assert_string_equal(roster_nth(r, 0)->badge, "WTPF-0009"); /* file order */
  /* the sample roster itself */
  g_autofree char *sample = NULL;
  gsize len;
  assert_true(g_file_get_contents(ROSTER_CSV, &sample, &len, NULL));
  g_autoptr(Roster) demo = NULL;
  g_clear_pointer(&problems, g_ptr_array_unref);
  assert_int_equal(roster_parse_checked(sample, len, m, ROSTER_REQUIRE_CODE_HASH, &demo,
                                        &problems),
                   ROSTER_OK);
  assert_true(roster_size(demo) >= 30);
  /* a meeting's own categories */
  g_autoptr(Meeting) wsis = load_meeting("wsis-2019-consultation");
  static const char ws[] = NEW_HEADER
    "W-1,Mwangi,Grace,Kenya ICT Action Network,civil_society,delegate,,no,\n";
  g_autoptr(Roster) wr = NULL;
  assert_int_equal(roster_parse_checked(ws, strlen(ws), wsis, 0, &wr, NULL), ROSTER_OK);
  assert_int_equal(roster_lookup(wr, "W-1")->category, ROSTER_CATEGORY_OTHER);
  assert_string_equal(roster_lookup(wr, "W-1")->category_id, "civil_society");
}

/* Every kind of bad line, all in one file: every one reported, in order,
 * with its line number; nothing loaded. */
static void
test_import_every_bad_line(void **state)
{
  g_autoptr(Meeting) m = load_meeting("wtpf-26");
  g_autofree char *text = g_strconcat(
    NEW_HEADER,
    "B1,Okafor,Amina,Nigeria,member_state,delegate,,no,\n",            /* 2: good */
    "B 2,Okafor,Amina,Nigeria,member_state,delegate,,no,\n",           /* 3 */
    "B3,,Amina,Nigeria,member_state,delegate,,no,\n",                  /* 4 */
    "B4,Okafor,Amina,Nigeria,diplomat,delegate,,no,\n",                /* 5 */
    "B5,Okafor,Amina,Nigeria,member_state,president,,no,\n",           /* 6 */
    "B6,Okafor,Amina,Nigeria,member_state,interpreter:de,,no,\n",      /* 7 */
    "B7,Okafor,Amina,Nigeria,member_state,delegate,not-an-email,no,\n", /* 8 */
    "B8,Okafor,Amina,Nigeria,member_state,delegate,,maybe,\n",         /* 9 */
    "B9,Okafor,Amina,Nigeria,member_state,delegate,,no,plain-code\n",  /* 10 */
    "B1,Brandt,Lukas,Germany,member_state,delegate,,no,\n",            /* 11 */
    "B10,Okafor,Amina,Nigeria,member_state\n",                         /* 12 */
    "B11,\"Oka\"for,Amina,Nigeria,member_state,delegate,,no,\n",       /* 13 */
    "B12,Okafor,Amina,Nigeria,member_state,,,no,\n",                   /* 14 */
    "B13,Okafor,Amina,Nigeria,member_state,delegate;delegate,,no,\n",  /* 15 */
    "B14,\"Never closed,Amina,Nigeria,member_state,delegate,,no,\n",   /* 16 */
    NULL);
  static const char *const expected[] = {
    "line 3: bad badge 'B 2'",
    "line 4: empty family_name or entity",
    "line 5: unknown category 'diplomat' (not one of the meeting's categories)",
    "line 6: unknown role 'president'",
    "line 7: role 'interpreter:de': the meeting has no 'de' booth",
    "line 8: bad email 'not-an-email'",
    "line 9: bad ldc 'maybe'",
    "line 10: bad code_hash format",
    "line 11: duplicate badge 'B1' (first on line 2)",
    "line 12: 5 columns, expected 9",
    "line 13: text after a closing quote",
    "line 14: no roles",
    "line 15: role 'delegate' twice",
    "line 16: quoted field not closed",
  };
  Roster *r = (Roster *)0x1;
  g_autoptr(GPtrArray) problems = NULL;
  assert_int_equal(roster_parse_checked(text, strlen(text), m, 0, &r, &problems), ROSTER_EINVAL);
  assert_null(r);
  assert_non_null(problems);
  for (guint i = 0; i < problems->len; i++) {
    g_autofree char *p = roster_problem_format(problems->pdata[i]);
    if (i >= G_N_ELEMENTS(expected) || !g_str_has_prefix(p, expected[i]))
      fail_msg("problem %u: '%s', expected '%s'", i, p,
               i < G_N_ELEMENTS(expected) ? expected[i] : "(none)");
  }
  assert_int_equal(problems->len, G_N_ELEMENTS(expected));

  /* a meeting without interpretation refuses interpreters */
  g_autoptr(Meeting) ieg = load_meeting("ieg-wtpf-26-1");
  static const char one[] = NEW_HEADER "B1,Dubois,Claire,ITU,secretariat,interpreter:en,,no,\n";
  g_clear_pointer(&problems, g_ptr_array_unref);
  assert_int_equal(roster_parse_checked(one, strlen(one), ieg, 0, &r, &problems), ROSTER_EINVAL);
  g_autofree char *p = roster_problem_format(problems->pdata[0]);
  assert_non_null(strstr(p, "line 2: role 'interpreter:en'"));
}

static void
test_import_header(void **state)
{
  Roster *r = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  static const char text[] = "badge,family_name,given_name,entity,category,roles,phone\nB1,x\n";
  assert_int_equal(roster_parse_checked(text, strlen(text), NULL, 0, &r, &problems),
                   ROSTER_EINVAL);
  assert_int_equal(problems->len, 1); /* the lines cannot be read: only the header */
  g_autofree char *p = roster_problem_format(problems->pdata[0]);
  assert_true(g_str_has_prefix(p, "line 1: header: unknown column 'phone'"));
  g_clear_pointer(&problems, g_ptr_array_unref);
  static const char noname[] = "badge,entity,category,roles\n";
  assert_int_equal(roster_parse_checked(noname, strlen(noname), NULL, 0, &r, &problems),
                   ROSTER_EINVAL);
  g_autofree char *q = roster_problem_format(problems->pdata[0]);
  assert_true(g_str_has_prefix(q, "line 1: header: no 'family_name' column"));
  /* columns in another order, optional ones absent */
  static const char reordered[] = "roles,category,entity,family_name,badge\ndelegate,observer,ATU,Mensah,B1\n";
  g_autoptr(Roster) ok = NULL;
  assert_int_equal(roster_parse_checked(reordered, strlen(reordered), NULL, 0, &ok, NULL),
                   ROSTER_OK);
  assert_string_equal(roster_lookup(ok, "B1")->entity, "ATU");
  assert_string_equal(roster_lookup(ok, "B1")->email, "");
}

static void
test_ref_and_copy(void **state)
{
  g_autoptr(Roster) r = roster_new();
  RosterEntry *e = roster_entry_new();
  g_free(e->badge);
  e->badge = g_strdup("B1");
  assert_true(roster_add(r, e));
  assert_false(roster_add(r, roster_entry_copy(e))); /* duplicate: freed */
  Roster *again = roster_ref(r);
  roster_free(again);
  assert_int_equal(roster_size(r), 1);
  assert_string_equal(roster_nth(r, 0)->badge, "B1");
  assert_null(roster_nth(r, 1));
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
    cmocka_unit_test(test_import_good),
    cmocka_unit_test(test_import_every_bad_line),
    cmocka_unit_test(test_import_header),
    cmocka_unit_test(test_ref_and_copy),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
