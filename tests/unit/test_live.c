/* SPDX-License-Identifier: Apache-2.0 */
/* signalling/live.c: sessions open and close, closed sessions, agenda
 * items, who a closed session admits (every category of each sample). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "json_text.h"
#include "live.h"

#include <errno.h>
#include <string.h>

#ifndef MEETINGS_DIR
#error "MEETINGS_DIR (path of config/meetings) must be defined"
#endif

static Meeting *
load(const char *name)
{
  g_autofree char *path = g_strdup_printf("%s/%s.json", MEETINGS_DIR, name);
  Meeting *m = NULL;
  assert_int_equal(meeting_load_file(path, &m, NULL), 0);
  return m;
}

static void
test_open_close(void **state)
{
  g_autoptr(Meeting) m = load("wtpf-26");
  Live l;
  live_init(&l, m);
  assert_null(live_item_id(&l));
  assert_int_equal(live_set_item(&l, "3"), -ENOTCONN);
  assert_int_equal(live_close(&l), -ENOTCONN);
  assert_int_equal(live_restrict(&l, TRUE), -ENOTCONN);
  assert_int_equal(live_open(&l, "day-9-am"), -ENOENT);
  assert_int_equal(live_open(&l, "day-1-am"), 0);
  assert_int_equal(live_open(&l, "day-1-pm"), -EALREADY);
  assert_string_equal(live_item_id(&l), "1");
  assert_int_equal(live_set_item(&l, "4"), 0);
  assert_int_equal(live_set_item(&l, "11"), -ENOENT);
  assert_string_equal(live_item_id(&l), "4");
  guint64 v = l.version;
  assert_int_equal(live_set_item(&l, "4"), 0);
  assert_int_equal(l.version, v); /* unchanged: no push */
  assert_int_equal(live_close(&l), 0);
  assert_null(live_item_id(&l)); /* between sessions nothing is filed under an item */
  /* the next session goes on with the item where the last one stopped */
  assert_int_equal(live_open(&l, "day-1-pm"), 0);
  assert_string_equal(live_item_id(&l), "4");
}

/* Every category of WTPF-26 against a closed session: Member States and
 * the secretariat stay, interpreters stay whatever their category, the
 * rest do not; an open session admits everyone. */
static void
test_closed_admission(void **state)
{
  g_autoptr(Meeting) m = load("wtpf-26");
  static const struct {
    const char *category;
    unsigned roles;
    gboolean admitted;
  } cases[] = {
    {"member_state", MEETING_ROLE_DELEGATE, TRUE},
    {"secretariat", MEETING_ROLE_OPERATOR, TRUE},
    {"sector_member", MEETING_ROLE_DELEGATE, FALSE},
    {"associate", MEETING_ROLE_DELEGATE, FALSE},
    {"academia", MEETING_ROLE_DELEGATE, FALSE},
    {"observer", MEETING_ROLE_DELEGATE, FALSE},
    {"observer", MEETING_ROLE_CHAIR, FALSE},
    {"sector_member", MEETING_ROLE_INTERPRETER, TRUE},
  };
  Live l;
  live_init(&l, m);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    assert_true(live_admits(&l, cases[i].category, cases[i].roles)); /* nothing open */
  assert_int_equal(live_open(&l, "day-2-am"), 0);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    assert_true(live_admits(&l, cases[i].category, cases[i].roles));
  assert_int_equal(live_restrict(&l, TRUE), 0);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    print_message("%s/%u: %s\n", cases[i].category, cases[i].roles,
                  cases[i].admitted ? "admitted" : "refused");
    assert_int_equal(live_admits(&l, cases[i].category, cases[i].roles), cases[i].admitted);
  }
  assert_int_equal(live_restrict(&l, FALSE), 0);
  assert_true(live_admits(&l, "observer", MEETING_ROLE_DELEGATE));
  /* closing the session lifts the restriction */
  assert_int_equal(live_restrict(&l, TRUE), 0);
  assert_int_equal(live_close(&l), 0);
  assert_true(live_admits(&l, "observer", MEETING_ROLE_DELEGATE));
}

/* WSIS 2019: multistakeholder categories; every category of every sample
 * meeting is either admitted to a closed session or not, per its config. */
static void
test_every_sample(void **state)
{
  static const char *const names[] = {"wtpf-26", "ieg-wtpf-26-1", "wsis-2019-consultation"};
  for (gsize n = 0; n < G_N_ELEMENTS(names); n++) {
    g_autoptr(Meeting) m = load(names[n]);
    Live l;
    live_init(&l, m);
    const MeetingSession *s = m->sessions->pdata[0];
    assert_int_equal(live_open(&l, s->id), 0);
    live_restrict(&l, TRUE);
    for (guint i = 0; i < m->categories->len; i++) {
      const MeetingCategory *c = m->categories->pdata[i];
      gboolean listed = m->closed_session_categories &&
                        g_strv_contains((const char *const *)m->closed_session_categories, c->id);
      assert_int_equal(live_admits(&l, c->id, MEETING_ROLE_DELEGATE), listed);
    }
  }
}

static void
test_roles_mask(void **state)
{
  char *a[] = {"delegate", "chair", NULL};
  char *b[] = {"interpreter:fr", "interpreter:en", NULL};
  char *c[] = {"operator", "bogus", NULL};
  const char *booth = "x";
  assert_int_equal(live_roles_mask(a, &booth), MEETING_ROLE_DELEGATE | MEETING_ROLE_CHAIR);
  assert_null(booth);
  assert_int_equal(live_roles_mask(b, &booth), MEETING_ROLE_INTERPRETER);
  assert_string_equal(booth, "fr");
  assert_int_equal(live_roles_mask(c, NULL), MEETING_ROLE_OPERATOR);
  assert_int_equal(live_roles_mask(NULL, NULL), 0);
}

static void
test_json(void **state)
{
  g_autoptr(Meeting) m = load("wtpf-26");
  Live l;
  live_init(&l, m);
  live_open(&l, "day-1-am");
  live_set_item(&l, "7");
  live_restrict(&l, TRUE);
  g_autoptr(JsonNode) n = live_to_json(&l);
  g_autofree char *text = json_text_write(n);
  assert_non_null(strstr(text, "\"session\":{\"id\":\"day-1-am\""));
  assert_non_null(strstr(text, "\"status\":\"open\",\"closed\":true"));
  assert_non_null(strstr(text, "\"item\":{\"id\":\"7\",\"title\":\"Discussion\""));
  assert_non_null(strstr(text, "{\"code\":\"fr\",\"name\":\"Français\",\"booth\":true}"));
  g_autoptr(JsonNode) v = live_venue_json(&l);
  g_autofree char *vt = json_text_write(v);
  assert_non_null(strstr(vt, "\"languages\":[\"ar\",\"zh\",\"en\",\"fr\",\"ru\",\"es\"]"));
  assert_non_null(strstr(vt, "\"current_item\":{\"id\":\"7\""));
  assert_non_null(strstr(vt, "\"meeting\":\"WTPF-26\""));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_open_close),
    cmocka_unit_test(test_closed_admission),
    cmocka_unit_test(test_every_sample),
    cmocka_unit_test(test_roles_mask),
    cmocka_unit_test(test_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
