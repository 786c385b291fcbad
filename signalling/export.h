/* SPDX-License-Identifier: Apache-2.0 */
/* The exports, straight from storage: bluesheet, session summary, audit
 * log, as CSV or JSON text. What rostrum-admin prints and what the
 * operator's HTTP API (GET /api/bluesheet, /api/audit) returns are the same
 * bytes. Reads only; GError idiom (STORAGE_ERROR; STORAGE_ERROR_INVAL for a
 * bad format). Runs on the caller's thread (a few ms for a session). */
#pragma once

#include "bluesheet.h"
#include "storage.h"

typedef enum {
  EXPORT_CSV,
  EXPORT_JSON,
} ExportFormat;

/* "csv" / "json" → *@out; FALSE (and @error) for anything else. */
gboolean export_format_parse(const char *name, ExportFormat *out, GError **error);
/* "text/csv; charset=utf-8" or "application/json" (static). */
const char *export_content_type(ExportFormat format);

/* The bluesheet of @session (per item, or only @item, or per_session as
 * @options says; names from the stored participants, revoked ones too).
 * @options->now_us 0: now. Returns the text (transfer full) or NULL. */
char *export_bluesheet(Storage *storage, const char *session, const BluesheetOptions *options,
                       ExportFormat format, GError **error);
/* bluesheet_summary_json() of @session (transfer full) or NULL. */
char *export_summary(Storage *storage, const char *session, gint64 grace_us, GError **error);
/* The audit log (transfer full) or NULL. */
char *export_audit(Storage *storage, ExportFormat format, GError **error);
