/* SPDX-License-Identifier: Apache-2.0 */
#include "exports.h"

#include "audit_export.h"
#include "bluesheet.h"

#include <string.h>

static gboolean
format_ok(const char *format, GError **error)
{
  if (format && (strcmp(format, "csv") == 0 || strcmp(format, "json") == 0))
    return TRUE;
  g_set_error(error, STORAGE_ERROR, STORAGE_ERROR_INVAL, "format must be csv or json");
  return FALSE;
}

char *
exports_bluesheet(Storage *storage, const char *session, const char *item, gboolean per_session,
                  const char *format, GError **error)
{
  if (!format_ok(format, error))
    return NULL;
  g_autoptr(GPtrArray) events = storage_events(storage, session, error);
  if (!events)
    return NULL;
  g_autoptr(Roster) roster = storage_participants_load(storage, TRUE, error);
  if (!roster)
    return NULL;
  g_autoptr(GArray) flat = g_array_sized_new(FALSE, FALSE, sizeof(StorageEvent), events->len);
  for (guint i = 0; i < events->len; i++)
    g_array_append_val(flat, ((StorageEventRow *)events->pdata[i])->e);
  BluesheetOptions opt = {
    .grace_us = BLUESHEET_GRACE_DEFAULT_S * G_USEC_PER_SEC,
    .item = item,
    .per_session = per_session,
    .now_us = g_get_real_time(),
  };
  g_autoptr(GPtrArray) rows =
    bluesheet_compute((const StorageEvent *)(void *)flat->data, flat->len, roster, &opt);
  return strcmp(format, "csv") == 0 ? bluesheet_write_csv(rows, session)
                                    : bluesheet_write_json(rows, session, item);
}

char *
exports_audit(Storage *storage, const char *format, GError **error)
{
  if (!format_ok(format, error))
    return NULL;
  g_autoptr(GPtrArray) rows = storage_audit_list(storage, error);
  if (!rows)
    return NULL;
  return strcmp(format, "csv") == 0 ? audit_write_csv(rows) : audit_write_json(rows);
}
