/* SPDX-License-Identifier: Apache-2.0 */
/* Group commit for the attendance log on a GLib main loop. Events queued
 * while the loop handles one burst (a relay reply carrying many joins, many
 * WebSocket closes) are written in one transaction, so one disk flush
 * (synchronous=FULL) serves them all; each event's callback runs after its
 * commit, so a "joined" reply still follows a durable row. In a join storm
 * this replaced ~770 flushes of ~2 ms each on the loop by a few dozen.
 * Runs on the loop's thread only. */
#pragma once

#include <glib.h>

#include "attendance.h"

typedef struct AttendanceQueue AttendanceQueue;

/* @ok FALSE: the batch failed (@error says why; nothing of it written). */
typedef void (*AttendanceDoneFunc)(gboolean ok, const GError *error, gpointer user);

/* @log is borrowed and must outlive the queue; the batches are written
 * from a source attached to @ctx (NULL: the default context). */
AttendanceQueue *attendance_queue_new(AttendanceLog *log, GMainContext *ctx);
/* Writes what is queued (callbacks included), then frees. */
void attendance_queue_free(AttendanceQueue *q);

/* Queues one event (strings copied). @done (may be NULL) is called from
 * the loop once the event's batch is committed or has failed. */
void attendance_queue_add(AttendanceQueue *q, const AttendanceEvent *event,
                          AttendanceDoneFunc done, gpointer user);

/* Writes what is queued now, callbacks included (shutdown, tests). */
void attendance_queue_flush(AttendanceQueue *q);

/* Events written so far and transactions used, for /metrics and tests. */
guint64 attendance_queue_events(const AttendanceQueue *q);
guint64 attendance_queue_batches(const AttendanceQueue *q);
