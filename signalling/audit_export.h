/* SPDX-License-Identifier: Apache-2.0 */
/* The audit log as CSV and JSON, for rostrum-admin and GET /api/audit.
 * Pure: StorageAuditRow* in (storage_audit_list()), text out. */
#pragma once

#include "storage.h"

/* Header id,wall_time,actor,action,target,detail; RFC 4180, CRLF
 * (transfer full). */
char *audit_write_csv(const GPtrArray *rows);
/* {"audit":[{"id","wall_time","actor","action","target","detail"}]}, absent
 * values null, through json_text (transfer full). */
char *audit_write_json(const GPtrArray *rows);
