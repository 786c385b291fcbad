/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "json_text.h"
#include "meeting.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#ifndef MEETINGS_DIR
#error "MEETINGS_DIR (path of config/meetings) must be defined"
#endif

static Meeting *
load_sample(const char *name)
{
  g_autofree char *path = g_build_filename(MEETINGS_DIR, name, NULL);
  g_autoptr(GPtrArray) errors = NULL;
  Meeting *m = NULL;
  int rc = meeting_load_file(path, &m, &errors);
  for (guint i = 0; i < errors->len; i++) {
    g_autofree char *line = meeting_error_format(errors->pdata[i]);
    print_error("%s\n", line);
  }
  assert_int_equal(rc, 0);
  assert_int_equal(errors->len, 0);
  assert_non_null(m);
  return m;
}

static void
test_wtpf26(void **state)
{
  g_autoptr(Meeting) m = load_sample("wtpf-26.json");
  assert_string_equal(m->id, "wtpf-26");
  assert_string_equal(m->acronym, "WTPF-26");
  assert_non_null(strstr(m->title, "Seventh World Telecommunication/ICT Policy Forum"));
  assert_string_equal(m->timezone, "Europe/Zurich");
  /* Decision 641: three days, dates to be set by the Council */
  assert_int_equal(m->days->len, 3);
  for (guint i = 0; i < 3; i++)
    assert_null(((MeetingDay *)m->days->pdata[i])->date);
  assert_int_equal(m->sessions->len, 6);
  const MeetingSession *s = meeting_find_session(m, "day-2-pm");
  assert_non_null(s);
  assert_ptr_equal(s->day, meeting_find_day(m, "day-2"));
  assert_int_equal(s->start.seconds, 14 * 3600 + 30 * 60);
  assert_int_equal(s->end.seconds, 17 * 3600 + 30 * 60);
  assert_false(s->start.has_offset);
  assert_false(s->closed);
  assert_int_equal(g_strv_length(s->booths), 6);
  /* Decision 641, Annex 1: ten items */
  assert_int_equal(m->agenda->len, 10);
  assert_string_equal(meeting_find_item(m, "1")->title,
                      "Opening of the seventh World Telecommunication/ICT Policy Forum");
  assert_string_equal(meeting_find_item(m, "2")->title, "Election of the Chair");
  assert_string_equal(meeting_find_item(m, "10")->title, "Any other business");
  assert_null(meeting_find_item(m, "11"));
  /* six UN languages, a booth each */
  const char *const un[] = {"ar", "zh", "en", "fr", "ru", "es"};
  assert_int_equal(m->languages->len, 6);
  for (guint i = 0; i < 6; i++) {
    const MeetingLanguage *l = m->languages->pdata[i];
    assert_string_equal(l->code, un[i]);
    assert_true(l->booth);
    assert_true(meeting_has_booth(m, un[i]));
  }
  assert_string_equal(meeting_find_language(m, "zh")->name, "中文");
  assert_false(meeting_has_booth(m, "de"));
  /* ITU membership */
  const char *const cats[] = {"member_state", "sector_member", "associate",
                              "academia",     "observer",      "secretariat"};
  assert_int_equal(m->categories->len, 6);
  for (guint i = 0; i < 6; i++)
    assert_non_null(meeting_find_category(m, cats[i]));
  /* Resolution 2 "resolves 5": closed to all but Member States (plus the
   * secretariat and interpreters, who run the session) */
  assert_true(meeting_may_attend_closed(m, "member_state", MEETING_ROLE_DELEGATE));
  assert_true(meeting_may_attend_closed(m, "secretariat", MEETING_ROLE_OPERATOR));
  assert_true(meeting_may_attend_closed(m, "observer", MEETING_ROLE_INTERPRETER));
  assert_false(meeting_may_attend_closed(m, "sector_member", MEETING_ROLE_DELEGATE));
  assert_false(meeting_may_attend_closed(m, "associate", MEETING_ROLE_DELEGATE));
  assert_false(meeting_may_attend_closed(m, "academia", MEETING_ROLE_CHAIR));
  assert_false(meeting_may_attend_closed(m, "observer", MEETING_ROLE_DELEGATE));
  assert_false(meeting_may_attend_closed(m, NULL, 0));
  assert_true(meeting_allows_role(m, meeting_role_from_name("delegate")));
  assert_true(meeting_allows_role(m, MEETING_ROLE_INTERPRETER));
  assert_true(meeting_allows_role(m, MEETING_ROLE_CHAIR));
  assert_int_equal(meeting_role_from_name("king"), 0);
}

static void
test_ieg(void **state)
{
  g_autoptr(Meeting) m = load_sample("ieg-wtpf-26-1.json");
  /* CL-24/44: 7–8 October 2024, English only */
  assert_int_equal(m->days->len, 2);
  assert_string_equal(((MeetingDay *)m->days->pdata[0])->date, "2024-10-07");
  assert_string_equal(((MeetingDay *)m->days->pdata[1])->date, "2024-10-08");
  assert_int_equal(m->languages->len, 1);
  assert_string_equal(meeting_find_language(m, "en")->name, "English");
  assert_false(meeting_has_booth(m, "en"));
  assert_false(meeting_allows_role(m, MEETING_ROLE_INTERPRETER));
  for (guint i = 0; i < m->sessions->len; i++) {
    const MeetingSession *s = m->sessions->pdata[i];
    assert_null(s->booths[0]); /* no interpretation */
    assert_true(s->start.has_offset);
    assert_int_equal(s->start.offset, 2 * 3600); /* CEST */
  }
  assert_int_equal(m->agenda->len, 1);
  assert_null(m->closed_session_categories[0]);
}

static void
test_wsis(void **state)
{
  g_autoptr(Meeting) m = load_sample("wsis-2019-consultation.json");
  const char *const cats[] = {"government", "private_sector", "civil_society", "academia_technical",
                              "international_organisation"};
  assert_int_equal(m->categories->len, 5);
  for (guint i = 0; i < 5; i++)
    assert_string_equal(((MeetingCategory *)m->categories->pdata[i])->id, cats[i]);
  /* the online launch: 2 July 2018, 14:30–15:30 CEST */
  assert_int_equal(m->days->len, 1);
  assert_string_equal(((MeetingDay *)m->days->pdata[0])->date, "2018-07-02");
  assert_int_equal(m->sessions->len, 1);
  const MeetingSession *s = m->sessions->pdata[0];
  assert_int_equal(s->start.seconds, 14 * 3600 + 30 * 60);
  assert_int_equal(s->end.seconds, 15 * 3600 + 30 * 60);
  assert_true(s->start.has_offset && s->end.has_offset);
  assert_int_equal(s->start.offset, 7200);
  for (guint i = 0; i < m->agenda->len; i++)
    assert_ptr_equal(((MeetingItem *)m->agenda->pdata[i])->session, s);
  assert_false(meeting_may_attend_closed(m, "government", MEETING_ROLE_DELEGATE));
}

/* A small valid meeting the bad cases start from. */
static const char base_text[] =
    "{\"id\":\"test\",\"title\":\"T\",\"location\":\"L\",\"timezone\":\"Europe/Zurich\","
    "\"days\":[{\"id\":\"d1\",\"date\":\"2024-10-07\"},{\"id\":\"d2\",\"date\":\"2024-10-08\"}],"
    "\"sessions\":[{\"id\":\"s1\",\"day\":\"d1\",\"start\":\"09:30+02:00\",\"end\":\"12:30+02:00\","
    "\"title\":\"S1\"},{\"id\":\"s2\",\"day\":\"d2\",\"start\":\"14:30+02:00\","
    "\"end\":\"17:30+02:00\",\"title\":\"S2\",\"closed\":true}],"
    "\"agenda\":[{\"id\":\"1\",\"title\":\"A\",\"session\":\"s1\"},{\"id\":\"2\",\"title\":\"B\"}],"
    "\"languages\":[{\"code\":\"en\",\"name\":\"English\",\"booth\":true},"
    "{\"code\":\"fr\",\"name\":\"Français\",\"booth\":true}],"
    "\"categories\":[{\"id\":\"member_state\",\"label\":\"MS\"},{\"id\":\"observer\",\"label\":"
    "\"O\"},"
    "{\"id\":\"secretariat\",\"label\":\"S\"}],"
    "\"closed_session_categories\":[\"member_state\",\"secretariat\"],"
    "\"closed_session_roles\":[\"interpreter\"],"
    "\"roles\":[\"delegate\",\"interpreter\",\"operator\",\"chair\"]}";

/* Sets (or, @value NULL, removes) the member at @path ("sessions[0].start")
 * of @root to the JSON @value. */
static void
set_path(JsonObject *root, const char *path, const char *value)
{
  g_auto(GStrv) parts = g_strsplit(path, ".", -1);
  JsonObject *o = root;
  JsonNode *v = NULL;
  if (value) {
    g_autofree char *wrapped = g_strdup_printf("{\"v\":%s}", value);
    g_autoptr(JsonObject) w = NULL;
    assert_int_equal(json_text_parse_object(wrapped, strlen(wrapped), &w, NULL), 0);
    v = json_node_copy(json_object_get_member(w, "v"));
  }
  for (guint p = 0; parts[p]; p++) {
    char *br = strchr(parts[p], '[');
    int index = br ? atoi(br + 1) : -1;
    if (br)
      *br = '\0';
    gboolean last = parts[p + 1] == NULL;
    if (last && index < 0) {
      if (v)
        json_object_set_member(o, parts[p], v);
      else
        json_object_remove_member(o, parts[p]);
      return;
    }
    JsonArray *a = json_object_get_array_member(o, parts[p]);
    if (last) {
      /* replace or remove element @index: rebuild the array */
      JsonArray *n = json_array_new();
      for (guint i = 0; i < json_array_get_length(a); i++)
        if ((int)i != index)
          json_array_add_element(n, json_node_copy(json_array_get_element(a, i)));
        else if (v)
          json_array_add_element(n, v);
      if (index >= (int)json_array_get_length(a) && v)
        json_array_add_element(n, v); /* one past the end: append */
      json_object_set_array_member(o, parts[p], n);
      return;
    }
    o = json_array_get_object_element(a, (guint)index);
  }
}

static char *
mutate(const char *const *edits)
{
  g_autoptr(JsonObject) root = NULL;
  assert_int_equal(json_text_parse_object(base_text, strlen(base_text), &root, NULL), 0);
  for (; edits[0]; edits += 2)
    set_path(root, edits[0], edits[1]);
  g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), root);
  return json_text_write(n);
}

static void
test_base_is_valid(void **state)
{
  g_autoptr(Meeting) m = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  assert_int_equal(meeting_parse(base_text, strlen(base_text), NULL, &m, &errors), 0);
  assert_int_equal(errors->len, 0);
  const MeetingSession *s2 = meeting_find_session(m, "s2");
  assert_true(s2->closed);
  assert_int_equal(g_strv_length(s2->booths), 2);
  assert_ptr_equal(meeting_find_item(m, "1")->session, meeting_find_session(m, "s1"));
  assert_null(meeting_find_item(m, "2")->session);
}

typedef struct {
  const char *edits[7]; /* path, value (NULL: remove), ..., NULL */
  MeetingErrorKind kind;
  const char *path;
  const char *reason; /* exact */
  guint count;        /* errors expected in all */
} BadCase;

static const BadCase bad_cases[] = {
    {{"colour", "1"}, MEETING_ERR_UNKNOWN_FIELD, "colour", "unknown field", 1},
    {{"sessions[1].colour", "\"red\""},
     MEETING_ERR_UNKNOWN_FIELD,
     "sessions[1].colour",
     "unknown field",
     1},
    {{"title", NULL}, MEETING_ERR_MISSING, "title", "missing", 1},
    {{"days[1].date", NULL}, MEETING_ERR_MISSING, "days[1].date", "missing", 1},
    {{"title", "3"}, MEETING_ERR_TYPE, "title", "expected a string, got a number", 1},
    {{"sessions[1].closed", "\"yes\""},
     MEETING_ERR_TYPE,
     "sessions[1].closed",
     "expected a boolean, got a string",
     1},
    {{"languages[1]", "\"fr\""},
     MEETING_ERR_TYPE,
     "languages[1]",
     "expected an object, got a string",
     1},
    {{"roles", "{}"}, MEETING_ERR_TYPE, "roles", "expected an array, got an object", 1},
    {{"location", "\"\""}, MEETING_ERR_EMPTY, "location", "empty string", 1},
    {{"agenda", "[]"}, MEETING_ERR_EMPTY, "agenda", "empty array", 1},
    {{"id", "\"Test\""},
     MEETING_ERR_SYNTAX,
     "id",
     "'Test' is not a meeting id (lower-case letters and digits joined by '-')",
     1},
    {{"sessions[0].id", "\"s 1\""},
     MEETING_ERR_SYNTAX,
     "sessions[0].id",
     "'s 1' is not an id ([A-Za-z0-9._-], at most 64)",
     2 /* and agenda[0].session */},
    {{"categories[1].id", "\"Observer\""},
     MEETING_ERR_SYNTAX,
     "categories[1].id",
     "'Observer' is not a category id ([a-z][a-z0-9_]*)",
     1},
    {{"days[0].date", "\"2024-02-30\""},
     MEETING_ERR_DATE,
     "days[0].date",
     "'2024-02-30' is not an ISO 8601 date (YYYY-MM-DD)",
     1},
    {{"days[0].date", "\"7 October 2024\""},
     MEETING_ERR_DATE,
     "days[0].date",
     "'7 October 2024' is not an ISO 8601 date (YYYY-MM-DD)",
     1},
    {{"days[1].date", "\"2024-10-06\""},
     MEETING_ERR_ORDER,
     "days[1].date",
     "2024-10-06 is not after 2024-10-07 (days[0].date)",
     1},
    {{"sessions[0].start", "\"9:30\""},
     MEETING_ERR_TIME,
     "sessions[0].start",
     "'9:30' is not an ISO 8601 time (hh:mm[:ss][Z|±hh:mm])",
     1},
    {{"sessions[0].end", "\"12:60+02:00\""},
     MEETING_ERR_TIME,
     "sessions[0].end",
     "'12:60+02:00' is not an ISO 8601 time (hh:mm[:ss][Z|±hh:mm])",
     1},
    {{"sessions[0].start", "\"09:30\""},
     MEETING_ERR_OFFSET,
     "sessions[0].start",
     "'09:30' lacks its UTC offset (day 'd1' is 2024-10-07), e.g. 09:30+02:00",
     1},
    {{"sessions[0].start", "\"09:30+01:00\""},
     MEETING_ERR_OFFSET,
     "sessions[0].start",
     "UTC offset +01:00 is not that of Europe/Zurich on 2024-10-07 (+02:00)",
     1},
    {{"days[0].date", "null"},
     MEETING_ERR_OFFSET,
     "sessions[0].start",
     "'09:30+02:00' has a UTC offset but day 'd1' has no date, so its offset is not known",
     2 /* and sessions[0].end */},
    {{"timezone", "\"Europe/Geneva\""},
     MEETING_ERR_TIMEZONE,
     "timezone",
     "'Europe/Geneva' is not a time zone of the tz database (e.g. Europe/Zurich)",
     1},
    {{"timezone", "\"../../etc/passwd\""},
     MEETING_ERR_TIMEZONE,
     "timezone",
     "'../../etc/passwd' is not a time zone of the tz database (e.g. Europe/Zurich)",
     1},
    {{"sessions[0].end", "\"09:00+02:00\""},
     MEETING_ERR_ORDER,
     "sessions[0].end",
     "'09:00+02:00' is not after start '09:30+02:00'",
     1},
    {{"sessions[0].end", "\"09:30+02:00\""},
     MEETING_ERR_ORDER,
     "sessions[0].end",
     "'09:30+02:00' is not after start '09:30+02:00'",
     1},
    {{"sessions[0].day", "\"d3\""},
     MEETING_ERR_UNKNOWN_DAY,
     "sessions[0].day",
     "the meeting has no day 'd3'",
     1},
    {{"sessions[1].id", "\"s1\""},
     MEETING_ERR_DUPLICATE,
     "sessions[1].id",
     "duplicate id 's1' (first at sessions[0].id)",
     1},
    {{"agenda[1].id", "\"1\""},
     MEETING_ERR_DUPLICATE,
     "agenda[1].id",
     "duplicate id '1' (first at agenda[0].id)",
     1},
    {{"days[1].id", "\"d1\""},
     MEETING_ERR_DUPLICATE,
     "days[1].id",
     "duplicate id 'd1' (first at days[0].id)",
     2 /* s2 is on d2 */},
    {{"categories[1].id", "\"member_state\""},
     MEETING_ERR_DUPLICATE,
     "categories[1].id",
     "duplicate id 'member_state' (first at categories[0].id)",
     1},
    {{"roles[4]", "\"chair\""}, MEETING_ERR_DUPLICATE, "roles[4]", "role 'chair' given twice", 1},
    {{"agenda[0].session", "\"s9\""},
     MEETING_ERR_UNKNOWN_SESSION,
     "agenda[0].session",
     "the meeting has no session 's9'",
     1},
    {{"languages[1].code", "\"French\""},
     MEETING_ERR_LANGUAGE,
     "languages[1].code",
     "'French' is not a BCP 47 language tag (e.g. en, zh, es-419)",
     1},
    {{"languages[1].code", "\"en-\""},
     MEETING_ERR_LANGUAGE,
     "languages[1].code",
     "'en-' is not a BCP 47 language tag (e.g. en, zh, es-419)",
     1},
    {{"languages[1].code", "\"en\""},
     MEETING_ERR_DUPLICATE,
     "languages[1].code",
     "duplicate id 'en' (first at languages[0].code)",
     1},
    {{"sessions[0].booths", "[\"de\"]"},
     MEETING_ERR_BOOTH,
     "sessions[0].booths[0]",
     "'de' is not a language of the meeting",
     1},
    {{"languages[1].booth", "false", "sessions[0].booths", "[\"fr\"]"},
     MEETING_ERR_BOOTH,
     "sessions[0].booths[0]",
     "language 'fr' has no booth",
     1},
    {{"closed_session_categories[1]", "\"sector_member\""},
     MEETING_ERR_CATEGORY,
     "closed_session_categories[1]",
     "category 'sector_member' is not defined in categories",
     1},
    {{"roles[3]", "\"king\""},
     MEETING_ERR_ROLE,
     "roles[3]",
     "unknown role 'king' (delegate, interpreter, operator, chair)",
     1},
    {{"closed_session_roles", "[\"interpreter\",\"chair\"]", "roles[3]", NULL},
     MEETING_ERR_ROLE,
     "closed_session_roles[1]",
     "role 'chair' is not in the meeting's roles",
     1},
    {{"closed_session_roles[1]", "\"delegate\""},
     MEETING_ERR_ROLE,
     "closed_session_roles[1]",
     "role 'delegate' would admit every category; name categories in closed_session_categories",
     1},
    {{"languages[0].booth", "false", "languages[1].booth", "false"},
     MEETING_ERR_INCONSISTENT,
     "roles",
     "role 'interpreter' is allowed, but no language has a booth",
     1},
    {{"roles", "[\"delegate\",\"operator\"]", "closed_session_roles", NULL},
     MEETING_ERR_INCONSISTENT,
     "roles",
     "a language has a booth, but role 'interpreter' is not allowed",
     1},
    {{"closed_session_categories", NULL},
     MEETING_ERR_INCONSISTENT,
     "sessions[1].closed",
     "a closed session, but the meeting names no closed_session_categories",
     1},
    {{"notes", "[\"\"]"}, MEETING_ERR_EMPTY, "notes[0]", "empty string", 1},
};

static void
test_bad_cases(void **state)
{
  for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
    const BadCase *bc = &bad_cases[i];
    g_autofree char *text = mutate(bc->edits);
    g_autoptr(GPtrArray) errors = NULL;
    Meeting *m = (Meeting *)0x1;
    int rc = meeting_parse(text, strlen(text), "bad.json", &m, &errors);
    if (rc != -EINVAL || m != NULL)
      fail_msg("case %zu (%s): rc %d, meeting %p", i, bc->path, rc, (void *)m);
    gboolean found = FALSE;
    for (guint k = 0; k < errors->len; k++) {
      const MeetingError *e = errors->pdata[k];
      assert_string_equal(e->file, "bad.json");
      if (e->kind == bc->kind && strcmp(e->path, bc->path) == 0 &&
          strcmp(e->reason, bc->reason) == 0)
        found = TRUE;
    }
    if (!found || errors->len != bc->count) {
      for (guint k = 0; k < errors->len; k++) {
        g_autofree char *line = meeting_error_format(errors->pdata[k]);
        print_error("  got: %s (kind %d)\n", line, ((MeetingError *)errors->pdata[k])->kind);
      }
      fail_msg("case %zu: want %s: %s (kind %d), %u error(s)", i, bc->path, bc->reason, bc->kind,
               bc->count);
    }
  }
}

static void
expect_json_error(const char *text)
{
  g_autoptr(GPtrArray) errors = NULL;
  Meeting *m = NULL;
  assert_int_equal(meeting_parse(text, strlen(text), NULL, &m, &errors), -EINVAL);
  assert_null(m);
  assert_int_equal(errors->len, 1);
  const MeetingError *e = errors->pdata[0];
  assert_int_equal(e->kind, MEETING_ERR_JSON);
  assert_string_equal(e->file, "<memory>");
  assert_string_equal(e->path, "");
  assert_non_null(strstr(e->reason, "not a strict JSON object"));
}

static void
test_not_json(void **state)
{
  expect_json_error("");
  expect_json_error("[]");
  expect_json_error("{\"id\":\"test\",}");
  expect_json_error("{\"id\":\"a\",\"id\":\"b\"}");
  expect_json_error("{\"id\":\"test\"} // comment");
  g_autofree char *text = g_strdup(base_text);
  /* a NUL inside: refused, not cut short */
  memcpy(strstr(text, "\"L\""), "\"\0\"", 3);
  g_autoptr(GPtrArray) errors = NULL;
  Meeting *m = NULL;
  assert_int_equal(meeting_parse(text, sizeof base_text - 1, NULL, &m, &errors), -EINVAL);
  assert_int_equal(((MeetingError *)errors->pdata[0])->kind, MEETING_ERR_JSON);
}

/* Every error of a file with many, not just the first. */
static void
test_many_errors(void **state)
{
  const char *text =
      "{\"id\":\"Bad\",\"title\":\"\",\"location\":\"x\",\"timezone\":\"Mars/"
      "Olympus\",\"colour\":1,"
      "\"days\":[{\"id\":\"d1\",\"date\":\"2024-02-30\"},{\"id\":\"d1\",\"date\":\"2024-10-08\"},"
      "{\"id\":\"d3\",\"date\":\"2024-10-07\"}],"
      "\"sessions\":[{\"id\":\"s1\",\"day\":\"d9\",\"start\":\"9:30\",\"end\":\"25:00\",\"title\":"
      "\"t\"},"
      "{\"id\":\"s2\",\"day\":\"d3\",\"start\":\"10:00+02:00\",\"end\":\"09:00+02:00\",\"title\":"
      "\"t\","
      "\"closed\":\"yes\",\"booths\":[\"fr\",\"xx\"]}, 7],"
      "\"agenda\":[{\"id\":\"1\",\"title\":\"a\",\"session\":\"s7\"},{\"id\":\"1\",\"title\":\"b\"}"
      "],"
      "\"languages\":[{\"code\":\"EN\",\"name\":\"English\",\"booth\":true},"
      "{\"code\":\"fr\",\"name\":\"Français\"}],"
      "\"categories\":[{\"id\":\"member_state\",\"label\":\"MS\"}],"
      "\"closed_session_categories\":[\"observer\"],"
      "\"roles\":[\"delegate\",\"king\"]}";
  static const struct {
    MeetingErrorKind kind;
    const char *path;
  } want[] = {
      {MEETING_ERR_SYNTAX, "id"},
      {MEETING_ERR_EMPTY, "title"},
      {MEETING_ERR_TIMEZONE, "timezone"},
      {MEETING_ERR_UNKNOWN_FIELD, "colour"},
      {MEETING_ERR_DATE, "days[0].date"},
      {MEETING_ERR_DUPLICATE, "days[1].id"},
      {MEETING_ERR_ORDER, "days[2].date"},
      {MEETING_ERR_UNKNOWN_DAY, "sessions[0].day"},
      {MEETING_ERR_TIME, "sessions[0].start"},
      {MEETING_ERR_TIME, "sessions[0].end"},
      {MEETING_ERR_TYPE, "sessions[1].closed"},
      {MEETING_ERR_ORDER, "sessions[1].end"},
      {MEETING_ERR_BOOTH, "sessions[1].booths[0]"},
      {MEETING_ERR_BOOTH, "sessions[1].booths[1]"},
      {MEETING_ERR_TYPE, "sessions[2]"},
      {MEETING_ERR_UNKNOWN_SESSION, "agenda[0].session"},
      {MEETING_ERR_DUPLICATE, "agenda[1].id"},
      {MEETING_ERR_LANGUAGE, "languages[0].code"},
      {MEETING_ERR_MISSING, "languages[1].booth"},
      {MEETING_ERR_CATEGORY, "closed_session_categories[0]"},
      {MEETING_ERR_ROLE, "roles[1]"},
      {MEETING_ERR_INCONSISTENT, "roles"},
  };
  g_autoptr(GPtrArray) errors = NULL;
  Meeting *m = NULL;
  assert_int_equal(meeting_parse(text, strlen(text), "many.json", &m, &errors), -EINVAL);
  assert_null(m);
  for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
    gboolean found = FALSE;
    for (guint k = 0; k < errors->len && !found; k++) {
      const MeetingError *e = errors->pdata[k];
      found = e->kind == want[i].kind && strcmp(e->path, want[i].path) == 0;
    }
    if (!found)
      fail_msg("no error at %s (kind %d)", want[i].path, want[i].kind);
  }
  assert_int_equal(errors->len, G_N_ELEMENTS(want));
  g_autofree char *line = meeting_error_format(errors->pdata[0]);
  assert_true(g_str_has_prefix(line, "many.json: "));
}

static void
test_files(void **state)
{
  g_autoptr(GPtrArray) errors = NULL;
  Meeting *m = NULL;
  assert_int_equal(meeting_load_file("/nonexistent/x.json", &m, &errors), -ENOENT);
  assert_null(m);
  assert_int_equal(errors->len, 1);
  assert_int_equal(((MeetingError *)errors->pdata[0])->kind, MEETING_ERR_IO);
  g_clear_pointer(&errors, g_ptr_array_unref);

  /* a valid meeting whose id is not its file's name */
  g_autofree char *dir = g_dir_make_tmp("test_meeting-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "other.json", NULL);
  assert_true(g_file_set_contents(path, base_text, -1, NULL));
  assert_int_equal(meeting_load_file(path, &m, &errors), -EINVAL);
  assert_null(m);
  assert_int_equal(errors->len, 1);
  const MeetingError *e = errors->pdata[0];
  assert_int_equal(e->kind, MEETING_ERR_INCONSISTENT);
  assert_string_equal(e->path, "id");
  assert_string_equal(e->file, path);
  assert_string_equal(e->reason, "'test' does not match the file name other.json");
  g_unlink(path);
  g_clear_pointer(&errors, g_ptr_array_unref);

  g_autofree char *good = g_build_filename(dir, "test.json", NULL);
  assert_true(g_file_set_contents(good, base_text, -1, NULL));
  assert_int_equal(meeting_load_file(good, &m, NULL), 0);
  meeting_free(m);
  g_unlink(good);
  g_rmdir(dir);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wtpf26),      cmocka_unit_test(test_ieg),
      cmocka_unit_test(test_wsis),        cmocka_unit_test(test_base_is_valid),
      cmocka_unit_test(test_bad_cases),   cmocka_unit_test(test_not_json),
      cmocka_unit_test(test_many_errors), cmocka_unit_test(test_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
