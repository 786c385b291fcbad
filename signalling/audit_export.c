/* SPDX-License-Identifier: Apache-2.0 */
#include "audit_export.h"

#include "bluesheet.h"
#include "json_text.h"

char *
audit_write_csv(const GPtrArray *rows)
{
  GString *out = g_string_new("id,wall_time,actor,action,target,detail\r\n");
  for (guint i = 0; i < rows->len; i++) {
    const StorageAuditRow *r = rows->pdata[i];
    const char *cells[] = {r->a.wall_time, r->a.actor, r->a.action, r->a.target, r->a.detail};
    g_string_append_printf(out, "%" G_GINT64_FORMAT, r->id);
    for (guint c = 0; c < G_N_ELEMENTS(cells); c++) {
      g_string_append_c(out, ',');
      bluesheet_csv_field(out, cells[c]);
    }
    g_string_append(out, "\r\n");
  }
  return g_string_free(out, FALSE);
}

char *
audit_write_json(const GPtrArray *rows)
{
  JsonObject *top = json_object_new();
  JsonArray *list = json_array_new();
  for (guint i = 0; i < rows->len; i++) {
    const StorageAuditRow *r = rows->pdata[i];
    const char *names[] = {"wall_time", "actor", "action", "target", "detail"};
    const char *vals[] = {r->a.wall_time, r->a.actor, r->a.action, r->a.target, r->a.detail};
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "id", r->id);
    for (guint c = 0; c < G_N_ELEMENTS(names); c++)
      if (vals[c])
        json_object_set_string_member(o, names[c], vals[c]);
      else
        json_object_set_null_member(o, names[c]);
    json_array_add_object_element(list, o);
  }
  json_object_set_array_member(top, "audit", list);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, top);
  char *text = json_text_write(n);
  json_node_unref(n);
  return text;
}
