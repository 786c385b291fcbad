/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "export.h"
#include "json_text.h"
#include "test_db.h"

#include <string.h>

static void
test_exports(void **state)
{
  TestDb *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(Storage) s = storage_open(f->path, &error);
  static const char csv[] = "badge,family_name,given_name,entity,category,roles,email,ldc\n"
                            "A,Okafor,Amina,Nigeria (Federal Republic of),member_state,delegate,,no\n";
  g_autoptr(Roster) r = NULL;
  assert_int_equal(roster_parse_checked(csv, strlen(csv), NULL, 0, &r, NULL), 0);
  assert_true(storage_participants_import(s, r, &error));
  StorageEvent ev[] = {
    {.kind = "session_open", .session = "s1", .agenda_item = "1",
     .wall_time = "2026-05-12T09:00:00.000Z"},
    {.badge = "A", .kind = "join", .session = "s1", .agenda_item = "1", .peer = "p",
     .wall_time = "2026-05-12T09:00:10.000Z"},
    {.badge = "A", .kind = "leave", .session = "s1", .agenda_item = "1", .peer = "p",
     .reason = "left", .wall_time = "2026-05-12T09:01:40.000Z"},
    {.badge = "A", .kind = "join", .session = "s2", .agenda_item = "5", .peer = "q",
     .wall_time = "2026-05-12T14:00:00.000Z"},
  };
  assert_true(storage_record_events(s, ev, G_N_ELEMENTS(ev), &error));
  StorageAudit a = {.actor = "WTPF-0008", .action = "agenda.set", .target = "1",
                    .detail = "a \"quoted\", detail", .wall_time = "2026-05-12T09:00:01.000Z"};
  assert_true(storage_audit(s, &a, &error));

  BluesheetOptions opt = {.grace_us = 60 * G_USEC_PER_SEC};
  g_autofree char *sheet = export_bluesheet(s, "s1", &opt, EXPORT_CSV, &error);
  assert_non_null(sheet);
  /* only s1's events; the roster's names */
  assert_non_null(strstr(sheet, "\r\ns1,1,A,Amina Okafor,Nigeria (Federal Republic of),"
                                "member_state,delegate,remote,2026-05-12T09:00:10Z,"
                                "2026-05-12T09:01:40Z,90,1.5,"));
  assert_null(strstr(sheet, "s2"));
  g_autofree char *json = export_bluesheet(s, "s1", &opt, EXPORT_JSON, &error);
  JsonObject *o = NULL;
  assert_int_equal(json_text_parse_object(json, strlen(json), &o, NULL), 0);
  json_object_unref(o);
  g_autofree char *sum = export_summary(s, "s1", opt.grace_us, &error);
  assert_non_null(strstr(sum, "\"participants\":1"));

  g_autofree char *audit = export_audit(s, EXPORT_CSV, &error);
  assert_string_equal(audit, "id,wall_time,actor,action,target,detail\r\n"
                             "1,2026-05-12T09:00:01.000Z,WTPF-0008,agenda.set,1,"
                             "\"a \"\"quoted\"\", detail\"\r\n");
  g_autofree char *aj = export_audit(s, EXPORT_JSON, &error);
  assert_string_equal(aj, "{\"audit\":[{\"id\":1,\"wall_time\":\"2026-05-12T09:00:01.000Z\","
                          "\"actor\":\"WTPF-0008\",\"action\":\"agenda.set\",\"target\":\"1\","
                          "\"detail\":\"a \\\"quoted\\\", detail\"}]}\n");

  ExportFormat fmt;
  assert_true(export_format_parse("json", &fmt, NULL));
  assert_int_equal(fmt, EXPORT_JSON);
  assert_false(export_format_parse("xml", &fmt, &error));
  assert_string_equal(export_content_type(EXPORT_CSV), "text/csv; charset=utf-8");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_exports, test_db_setup, test_db_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
