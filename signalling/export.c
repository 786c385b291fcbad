/* SPDX-License-Identifier: Apache-2.0 */
#include "export.h"

#include "audit_export.h"

#include <string.h>

gboolean
export_format_parse(const char *name, ExportFormat *out, GError **error)
{
  if (name && strcmp(name, "csv") == 0)
    return (*out = EXPORT_CSV), TRUE;
  if (name && strcmp(name, "json") == 0)
    return (*out = EXPORT_JSON), TRUE;
  g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_INVAL, "format must be csv or json, not '%s'",
              name ? name : "");
  return FALSE;
}

const char *
export_content_type(ExportFormat format)
{
  return format == EXPORT_CSV ? "text/csv; charset=utf-8" : "application/json";
}

/* The session's rows, computed; *@roster_out the participants used. */
static GPtrArray *
rows_of(Storage *s, const char *session, const BluesheetOptions *options, Roster **roster_out,
        GError **error)
{
  g_autoptr(GPtrArray) events = storage_events(s, session, error);
  if (!events)
    return NULL;
  *roster_out = storage_participants_load(s, TRUE, error);
  if (!*roster_out)
    return NULL;
  g_autoptr(GArray) flat = g_array_sized_new(FALSE, FALSE, sizeof(StorageEvent), events->len);
  for (guint i = 0; i < events->len; i++)
    g_array_append_val(flat, ((StorageEventRow *)events->pdata[i])->e);
  BluesheetOptions opt = *options;
  if (!opt.now_us)
    opt.now_us = g_get_real_time();
  return bluesheet_compute((const StorageEvent *)(void *)flat->data, flat->len, *roster_out, &opt);
}

char *
export_bluesheet(Storage *s, const char *session, const BluesheetOptions *options,
                 ExportFormat format, GError **error)
{
  g_autoptr(Roster) roster = NULL;
  g_autoptr(GPtrArray) rows = rows_of(s, session, options, &roster, error);
  if (!rows)
    return NULL;
  if (format == EXPORT_CSV)
    return bluesheet_write_csv(rows, session);
  g_autofree char *json = bluesheet_write_json(rows, session, options->item);
  return g_strconcat(json, "\n", NULL);
}

char *
export_summary(Storage *s, const char *session, gint64 grace_us, GError **error)
{
  g_autoptr(Roster) roster = NULL;
  BluesheetOptions opt = {.grace_us = grace_us, .per_session = TRUE};
  g_autoptr(GPtrArray) rows = rows_of(s, session, &opt, &roster, error);
  if (!rows)
    return NULL;
  g_autofree char *json = bluesheet_summary_json(rows, roster, session);
  return g_strconcat(json, "\n", NULL);
}

char *
export_audit(Storage *s, ExportFormat format, GError **error)
{
  g_autoptr(GPtrArray) list = storage_audit_list(s, error);
  if (!list)
    return NULL;
  if (format == EXPORT_CSV)
    return audit_write_csv(list);
  g_autofree char *json = audit_write_json(list);
  return g_strconcat(json, "\n", NULL);
}
