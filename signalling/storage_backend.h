/* SPDX-License-Identifier: Apache-2.0 */
/* What a storage backend implements (storage.h is what callers use). The
 * front (storage.c) checks the arguments, then calls the backend; a backend
 * may assume well-formed input. Each function's contract is its namesake's
 * in storage.h, with the backend's own handle as first argument. */
#pragma once

#include "storage.h"

typedef struct {
  const char *name; /* "sqlite" */
  void *(*open)(const char *target, GError **error);
  void (*close)(void *impl);
  int (*schema_version)(void *impl);
  gboolean (*record_events)(void *impl, const StorageEvent *events, gsize n, GError **error);
  GPtrArray *(*events)(void *impl, const char *session, GError **error);
  GPtrArray *(*open_joins)(void *impl, GError **error);
  gboolean (*current_session)(void *impl, char **session, char **item, GError **error);
  gint64 (*event_count)(void *impl, GError **error);
  gboolean (*participants_import)(void *impl, const Roster *roster, GError **error);
  Roster *(*participants_load)(void *impl, gboolean with_revoked, GError **error);
  gboolean (*participant_set_code_hash)(void *impl, const char *badge, const char *hash,
                                        GError **error);
  gboolean (*participant_set_revoked)(void *impl, const char *badge, gboolean revoked,
                                      GError **error);
  gint64 (*participants_version)(void *impl, GError **error);
  gboolean (*audit)(void *impl, const StorageAudit *entry, GError **error);
  GPtrArray *(*audit_list)(void *impl, GError **error);
} StorageOps;

extern const StorageOps storage_sqlite_ops;
