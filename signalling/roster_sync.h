/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's roster, kept in step with the participants in storage:
 * rostrum-admin (another process) imports, issues codes and revokes; the
 * daemon polls storage_participants_version() on its loop (every 250 ms by
 * default, one indexed read) and, on a change, loads a new Roster and hands
 * it over. A revoked badge is absent from the loaded roster, so its logins
 * and joins are refused from then on; the callback gets the badges that
 * went away so their media can be ended. Loop thread only. GError idiom. */
#pragma once

#include "meeting.h"
#include "roster.h"
#include "storage.h"

#include <glib.h>

#define ROSTER_SYNC_INTERVAL_MS 250

/* At start: imports @csv_path into @storage when it is set (NULL or "":
 * storage only; the sample config seeds the demo roster this way), checked
 * against @meeting (may be NULL), then loads the roster without revoked
 * badges. Returns it (transfer full) or NULL with @error set; a bad file
 * fails with every bad line in the message. */
Roster *roster_sync_load(Storage *storage, const char *csv_path, const Meeting *meeting,
                         GError **error);

/* @fresh: the new roster (transfer none: take a reference to keep it);
 * @gone: badges in the old roster missing from the new one, revoked or
 * removed (char*, transfer none, valid during the call). */
typedef void (*RosterSyncFunc)(Roster *fresh, const GPtrArray *gone, gpointer user);

typedef struct RosterSync RosterSync;

/* Watches @storage (borrowed, must outlive it) from the default main
 * context; @current (a reference is taken) is the roster in use now. */
RosterSync *roster_sync_new(Storage *storage, Roster *current, guint interval_ms,
                            RosterSyncFunc changed, gpointer user);
void roster_sync_free(RosterSync *sync);

/* Checks now (tests, SIGHUP); TRUE if the roster changed and @changed ran. */
gboolean roster_sync_poll(RosterSync *sync);

/* Badges of @before absent from @after (char* borrowed from @before;
 * transfer container). */
GPtrArray *roster_sync_gone(const Roster *before, const Roster *after);
