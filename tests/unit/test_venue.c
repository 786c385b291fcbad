/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "venue.h"

#include <string.h>

#ifndef VENUE_JSON
#error "VENUE_JSON (path of config/venue.json) must be defined"
#endif

static void
test_sample_file(void **state)
{
  g_autoptr(Venue) v = NULL;
  g_autofree char *detail = NULL;
  assert_int_equal(venue_load_file(VENUE_JSON, &v, &detail), VENUE_OK);
  assert_string_equal(v->meeting, "WTPF-26");
  assert_int_equal(v->agenda->len, 10);
  assert_int_equal(g_strv_length(v->languages), 6);
  const char *const un[] = {"ar", "zh", "en", "fr", "ru", "es"};
  for (int i = 0; i < 6; i++)
    assert_string_equal(v->languages[i], un[i]);
  assert_string_equal(venue_current(v)->id, "1");
  assert_string_equal(venue_find_item(v, "2")->title, "Election of the Chair");
  assert_string_equal(venue_find_item(v, "10")->title, "Any other business");
  assert_null(venue_find_item(v, "11"));
}

static void
test_current_and_json(void **state)
{
  const char *text = "{\"meeting\":\"M\",\"languages\":[\"en\"],"
                     "\"agenda\":[{\"id\":\"1\",\"title\":\"A\"},{\"id\":\"2\",\"title\":\"B\"}],"
                     "\"current_item\":\"2\"}";
  g_autoptr(Venue) v = NULL;
  assert_int_equal(venue_parse(text, strlen(text), &v, NULL), VENUE_OK);
  assert_string_equal(venue_current(v)->title, "B");
  assert_int_equal(venue_set_current(v, "9"), VENUE_ENOENT);
  assert_int_equal(venue_set_current(v, "1"), VENUE_OK);
  g_autoptr(JsonNode) n = venue_to_json(v);
  g_autofree char *s = json_to_string(n, FALSE);
  assert_non_null(strstr(s, "\"current_item\":{\"id\":\"1\",\"title\":\"A\"}"));
}

static void
expect_bad(const char *text, const char *fragment)
{
  Venue *v = NULL;
  g_autofree char *detail = NULL;
  assert_int_equal(venue_parse(text, strlen(text), &v, &detail), VENUE_EINVAL);
  assert_null(v);
  assert_non_null(detail);
  if (!strstr(detail, fragment))
    fail_msg("detail '%s' lacks '%s'", detail, fragment);
}

static void
test_errors(void **state)
{
  expect_bad("{\"meeting\": ", "bad JSON");
  expect_bad("[]", "JSON object");
  expect_bad("{\"languages\":[\"en\"],\"agenda\":[{\"id\":\"1\",\"title\":\"A\"}]}", "'meeting'");
  expect_bad("{\"meeting\":\"M\",\"languages\":\"en\",\"agenda\":[]}", "'languages'");
  expect_bad("{\"meeting\":\"M\",\"languages\":[\"en\"],\"agenda\":[]}", "'agenda' is empty");
  expect_bad("{\"meeting\":\"M\",\"languages\":[\"en\"],\"agenda\":[{\"id\":1,\"title\":\"A\"}]}",
             "agenda[0]");
  expect_bad("{\"meeting\":\"M\",\"languages\":[\"en\"],\"agenda\":[{\"id\":\"1\",\"title\":\"A\"},"
             "{\"id\":\"1\",\"title\":\"B\"}]}", "duplicate id");
  expect_bad("{\"meeting\":\"M\",\"languages\":[\"en\"],\"agenda\":[{\"id\":\"1\",\"title\":\"A\"}],"
             "\"current_item\":\"7\"}", "current_item '7'");
}

static void
test_missing_file(void **state)
{
  Venue *v = NULL;
  g_autofree char *detail = NULL;
  assert_int_equal(venue_load_file("/nonexistent/venue.json", &v, &detail), VENUE_EIO);
  assert_non_null(detail);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sample_file),
    cmocka_unit_test(test_current_and_json),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
