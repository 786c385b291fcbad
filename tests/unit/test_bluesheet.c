/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bluesheet.h"
#include "json_text.h"

#include <string.h>

#define T(hms) "2026-05-12T" hms ".000Z"
#define EVT(kind_, badge_, item_, time_, reason_, where_)                                          \
  {                                                                                                \
    .badge = (badge_), .kind = (kind_), .agenda_item = (item_), .wall_time = (time_),              \
    .reason = (reason_), .session = "s1", .where = (where_)                                        \
  }

static const char roster_csv[] =
    "badge,family_name,given_name,entity,category,roles,email,ldc\n"
    "A,Okafor,Amina,Nigeria (Federal Republic of),member_state,delegate,,no\n"
    "B,Tupou,Sione,Tonga (Kingdom of),member_state,delegate,,yes\n"
    "C,Chen,Jing,Nordlicht Networks AG,sector_member,delegate,,no\n"
    "D,Ahmed,Fatima,Bangladesh (People's Republic of),member_state,delegate,,yes\n";

/* The scenario: A joins while item 2 is current, before item 3;
 * the chair moves to 3, then 4; A's media is lost and A is back within the
 * grace period; A leaves during 4. B checks in onsite during 4. C's media is
 * lost for longer than the grace period: two intervals. D joins with a
 * "reconnect" (ICE restart) in the middle: one interval. */
static const StorageEvent events[] = {
    EVT("session_open", "OP", "2", T("09:00:00"), NULL, NULL),
    EVT("join", "A", "2", T("09:10:00"), NULL, NULL),
    EVT("item", "OP", "3", T("09:20:00"), NULL, NULL),
    EVT("join", "C", "3", T("09:30:00"), NULL, NULL),
    EVT("join", "D", "3", T("09:30:00"), NULL, NULL),
    EVT("item", "OP", "4", T("09:40:00"), NULL, NULL),
    EVT("leave", "A", "4", T("09:45:00"), "media_consent_timeout", NULL),
    EVT("join", "A", "4", T("09:45:30"), NULL, NULL),
    EVT("reconnect", "D", "4", T("09:46:00"), NULL, NULL),
    EVT("check_in", "B", "4", T("09:50:00"), NULL, "onsite"),
    EVT("leave", "C", "4", T("09:50:00"), "media_dtls_closed", NULL),
    EVT("join", "C", "4", T("09:52:00"), NULL, NULL),
    EVT("leave", "A", "4", T("10:00:00"), "left", NULL),
    EVT("leave", "D", "4", T("10:05:00"), "closed", NULL),
    EVT("session_close", "OP", "4", T("10:10:00"), NULL, NULL),
};

static Roster *
roster(void)
{
  Roster *r = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  assert_int_equal(roster_parse_checked(roster_csv, strlen(roster_csv), NULL, 0, &r, &problems), 0);
  return r;
}

static const BluesheetRow *
find(GPtrArray *rows, const char *item, const char *badge)
{
  for (guint i = 0; i < rows->len; i++) {
    const BluesheetRow *r = rows->pdata[i];
    if (strcmp(r->item, item) == 0 && strcmp(r->badge, badge) == 0)
      return r;
  }
  return NULL;
}

static void
assert_row(GPtrArray *rows, const char *item, const char *badge, const char *first,
           const char *last, gint64 seconds, guint intervals)
{
  const BluesheetRow *r = find(rows, item, badge);
  if (!r)
    fail_msg("no row for %s on item %s", badge, item);
  g_autofree char *f = bluesheet_format_time(r->first_us);
  g_autofree char *l = bluesheet_format_time(r->last_us);
  assert_string_equal(f, first);
  assert_string_equal(l, last);
  assert_int_equal(r->present_us / G_USEC_PER_SEC, seconds);
  assert_int_equal(r->intervals->len, intervals);
}

static void
test_per_item(void **state)
{
  g_autoptr(Roster) ro = roster();
  BluesheetOptions opt = {.grace_us = 60 * G_USEC_PER_SEC};
  g_autoptr(GPtrArray) rows = bluesheet_compute(events, G_N_ELEMENTS(events), ro, &opt);

  /* joined before item 3: the interval is split at the switch to 3 */
  assert_row(rows, "2", "A", "2026-05-12T09:10:00Z", "2026-05-12T09:20:00Z", 600, 1);
  assert_row(rows, "3", "A", "2026-05-12T09:20:00Z", "2026-05-12T09:40:00Z", 1200, 1);
  /* media lost 09:45:00, back 09:45:30 (grace 60 s): one interval, the gap counted */
  assert_row(rows, "4", "A", "2026-05-12T09:40:00Z", "2026-05-12T10:00:00Z", 1200, 1);
  /* onsite, closed by the session's end */
  assert_row(rows, "4", "B", "2026-05-12T09:50:00Z", "2026-05-12T10:10:00Z", 1200, 1);
  assert_string_equal(find(rows, "4", "B")->where, "onsite");
  assert_string_equal(find(rows, "4", "A")->where, "remote");
  /* lost for 2 min > grace: two intervals, 10 + 18 min */
  assert_row(rows, "4", "C", "2026-05-12T09:40:00Z", "2026-05-12T10:10:00Z", 600 + 1080, 2);
  /* reconnect: one interval */
  assert_row(rows, "4", "D", "2026-05-12T09:40:00Z", "2026-05-12T10:05:00Z", 1500, 1);
  assert_null(find(rows, "2", "B"));
  assert_null(find(rows, "3", "B"));
  /* order: item 2, then 3, then 4 */
  assert_string_equal(((BluesheetRow *)rows->pdata[0])->item, "2");
  assert_string_equal(((BluesheetRow *)rows->pdata[rows->len - 1])->item, "4");
  const BluesheetRow *a = find(rows, "4", "A");
  assert_string_equal(a->name, "Amina Okafor");
  assert_string_equal(a->entity, "Nigeria (Federal Republic of)");
  assert_string_equal(a->category, "member_state");
  assert_string_equal(a->role, "delegate");
}

static void
test_grace_is_configurable(void **state)
{
  BluesheetOptions opt = {.grace_us = 10 * G_USEC_PER_SEC};
  g_autoptr(GPtrArray) rows = bluesheet_compute(events, G_N_ELEMENTS(events), NULL, &opt);
  /* a 30 s gap is beyond a 10 s grace: two intervals, the gap not counted */
  assert_row(rows, "4", "A", "2026-05-12T09:40:00Z", "2026-05-12T10:00:00Z", 1170, 2);
}

static void
test_per_session_and_filter(void **state)
{
  BluesheetOptions opt = {.grace_us = 60 * G_USEC_PER_SEC, .per_session = TRUE};
  g_autoptr(GPtrArray) rows = bluesheet_compute(events, G_N_ELEMENTS(events), NULL, &opt);
  assert_row(rows, "", "A", "2026-05-12T09:10:00Z", "2026-05-12T10:00:00Z", 3000, 1);
  assert_int_equal(rows->len, 4);

  BluesheetOptions only3 = {.grace_us = 60 * G_USEC_PER_SEC, .item = "3"};
  g_autoptr(GPtrArray) r3 = bluesheet_compute(events, G_N_ELEMENTS(events), NULL, &only3);
  assert_int_equal(r3->len, 3); /* A, C, D */
  for (guint i = 0; i < r3->len; i++)
    assert_string_equal(((BluesheetRow *)r3->pdata[i])->item, "3");
}

static void
test_open_interval(void **state)
{
  /* no leave yet: runs to now, marked open, no last_leave in the exports */
  const StorageEvent ev[] = {
      EVT("join", "A", "1", T("09:00:00"), NULL, NULL),
  };
  BluesheetOptions opt = {.grace_us = 60 * G_USEC_PER_SEC,
                          .now_us = bluesheet_parse_time(T("09:01:30"))};
  g_autoptr(GPtrArray) rows = bluesheet_compute(ev, 1, NULL, &opt);
  assert_int_equal(rows->len, 1);
  const BluesheetRow *r = rows->pdata[0];
  assert_true(r->open);
  assert_int_equal(r->present_us, 90 * G_USEC_PER_SEC);
  g_autofree char *csv = bluesheet_write_csv(rows, "s1");
  assert_non_null(strstr(csv, "s1,1,A,,,,,remote,2026-05-12T09:00:00Z,,90,1.5,"
                              "2026-05-12T09:00:00Z/..\r\n"));
  g_autofree char *json = bluesheet_write_json(rows, "s1", NULL);
  assert_non_null(strstr(json, "\"last_leave\":null"));
  assert_non_null(strstr(json, "\"end\":null"));
}

static void
test_csv_and_json(void **state)
{
  g_autoptr(Roster) ro = roster();
  BluesheetOptions opt = {.grace_us = 60 * G_USEC_PER_SEC, .item = "4"};
  g_autoptr(GPtrArray) rows = bluesheet_compute(events, G_N_ELEMENTS(events), ro, &opt);
  g_autofree char *csv = bluesheet_write_csv(rows, "s1");
  g_auto(GStrv) lines = g_strsplit(csv, "\r\n", -1);
  assert_string_equal(lines[0], "session,item,badge,name,entity,category,role,where,first_join,"
                                "last_leave,seconds,minutes,intervals");
  /* RFC 4180: the entity with a comma-free name stays bare; C's intervals */
  assert_string_equal(lines[1], "s1,4,A,Amina Okafor,Nigeria (Federal Republic of),member_state,"
                                "delegate,remote,2026-05-12T09:40:00Z,2026-05-12T10:00:00Z,1200,"
                                "20.0,2026-05-12T09:40:00Z/2026-05-12T10:00:00Z");
  assert_non_null(strstr(csv, "C,Jing Chen,Nordlicht Networks AG,sector_member,delegate,remote,"
                              "2026-05-12T09:40:00Z,2026-05-12T10:10:00Z,1680,28.0,"
                              "2026-05-12T09:40:00Z/2026-05-12T09:50:00Z;"
                              "2026-05-12T09:52:00Z/2026-05-12T10:10:00Z\r\n"));
  g_autofree char *json = bluesheet_write_json(rows, "s1", "4");
  JsonObject *o = NULL;
  assert_int_equal(json_text_parse_object(json, strlen(json), &o, NULL), 0);
  JsonArray *list = json_object_get_array_member(o, "rows");
  assert_int_equal(json_array_get_length(list), 4);
  JsonObject *first = json_array_get_object_element(list, 0);
  assert_string_equal(json_object_get_string_member(first, "badge"), "A");
  assert_int_equal(json_object_get_int_member(first, "seconds"), 1200);
  json_object_unref(o);

  GString *f = g_string_new(NULL);
  bluesheet_csv_field(f, "University of the West Indies, Mona \"UWI\"");
  assert_string_equal(f->str, "\"University of the West Indies, Mona \"\"UWI\"\"\"");
  g_string_free(f, TRUE);
}

static void
test_summary(void **state)
{
  g_autoptr(Roster) ro = roster();
  BluesheetOptions opt = {.grace_us = 60 * G_USEC_PER_SEC, .per_session = TRUE};
  g_autoptr(GPtrArray) rows = bluesheet_compute(events, G_N_ELEMENTS(events), ro, &opt);
  g_autofree char *json = bluesheet_summary_json(rows, ro, "s1");
  assert_string_equal(json, "{\"session\":\"s1\",\"participants\":4,"
                            "\"by_category\":{\"member_state\":3,\"sector_member\":1},"
                            "\"by_where\":{\"remote\":3,\"onsite\":1,\"both\":0},"
                            "\"ldc\":{\"participants\":2,\"delegations\":2,\"entities\":"
                            "[\"Bangladesh (People's Republic of)\",\"Tonga (Kingdom of)\"]}}");
}

static void
test_role_split_and_bad_time(void **state)
{
  StorageEvent ev[] = {
      EVT("join", "A", "1", T("09:00:00"), NULL, NULL),
      EVT("role", "A", "1", T("09:10:00"), NULL, NULL),
      EVT("join", "Z", "1", "not a time", NULL, NULL),
      EVT("leave", "A", "1", T("09:30:00"), "left", NULL),
  };
  ev[0].role = "delegate";
  ev[1].role = "chair";
  BluesheetOptions opt = {.grace_us = 60 * G_USEC_PER_SEC};
  g_autoptr(GPtrArray) rows = bluesheet_compute(ev, G_N_ELEMENTS(ev), NULL, &opt);
  assert_int_equal(rows->len, 2);
  assert_string_equal(((BluesheetRow *)rows->pdata[0])->role, "delegate");
  assert_int_equal(((BluesheetRow *)rows->pdata[0])->present_us, 600 * G_USEC_PER_SEC);
  assert_string_equal(((BluesheetRow *)rows->pdata[1])->role, "chair");
  assert_int_equal(((BluesheetRow *)rows->pdata[1])->present_us, 1200 * G_USEC_PER_SEC);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_per_item),
      cmocka_unit_test(test_grace_is_configurable),
      cmocka_unit_test(test_per_session_and_filter),
      cmocka_unit_test(test_open_interval),
      cmocka_unit_test(test_csv_and_json),
      cmocka_unit_test(test_summary),
      cmocka_unit_test(test_role_split_and_bad_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
