/* SPDX-License-Identifier: Apache-2.0 */
/* Bluesheets and the audit log as files (CSV or JSON), from storage: what
 * the operator console downloads (GET /api/bluesheet, /api/audit) and what
 * rostrum-admin exports. GError idiom (STORAGE_ERROR). */
#pragma once

#include "storage.h"

#include <glib.h>

/* The bluesheet of @session: per agenda item (@item: only that one; NULL:
 * every item) or, with @per_session, one row per participant for the whole
 * session. @format "csv" or "json". Returns the text (transfer full) or
 * NULL with @error set (STORAGE_ERROR_INVAL for a bad format). */
char *exports_bluesheet(Storage *storage, const char *session, const char *item,
                        gboolean per_session, const char *format, GError **error);
/* Every audit entry, oldest first, as @format. */
char *exports_audit(Storage *storage, const char *format, GError **error);
