/* SPDX-License-Identifier: Apache-2.0 */
#include "attendance_queue.h"

/* Above this, a batch is cut: one transaction stays short. */
#define BATCH_MAX 512

typedef struct {
  char *badge, *kind, *agenda_item, *wall_time, *peer, *reason;
  char *meeting, *session, *role, *channel, *where;
  gint64 mono_us;
  AttendanceDoneFunc done;
  gpointer user;
} Pending;

struct AttendanceQueue {
  AttendanceLog *log;
  GMainContext *ctx;
  GArray *pending; /* Pending */
  GSource *flush;  /* set while a flush is scheduled */
  guint64 events, batches;
};

static void
pending_clear(gpointer data)
{
  Pending *p = data;
  g_free(p->badge);
  g_free(p->kind);
  g_free(p->agenda_item);
  g_free(p->wall_time);
  g_free(p->peer);
  g_free(p->reason);
  g_free(p->meeting);
  g_free(p->session);
  g_free(p->role);
  g_free(p->channel);
  g_free(p->where);
}

AttendanceQueue *
attendance_queue_new(AttendanceLog *log, GMainContext *ctx)
{
  AttendanceQueue *q = g_new0(AttendanceQueue, 1);
  q->log = log;
  q->ctx = ctx ? g_main_context_ref(ctx) : NULL;
  q->pending = g_array_new(FALSE, TRUE, sizeof(Pending));
  g_array_set_clear_func(q->pending, pending_clear);
  return q;
}

/* One batch: the first @n pending events in one transaction, then their
 * callbacks. The callbacks may queue more; they land after these. */
static void
write_batch(AttendanceQueue *q, guint n)
{
  g_autoptr(GError) error = NULL;
  g_autofree AttendanceEvent *ev = g_new(AttendanceEvent, n);
  GArray *batch = g_array_new(FALSE, TRUE, sizeof(Pending));
  g_array_set_clear_func(batch, pending_clear);
  g_array_append_vals(batch, q->pending->data, n);
  g_array_set_clear_func(q->pending, NULL); /* moved, not freed */
  g_array_remove_range(q->pending, 0, n);
  g_array_set_clear_func(q->pending, pending_clear);
  for (guint i = 0; i < n; i++) {
    Pending *p = &g_array_index(batch, Pending, i);
    ev[i] = (AttendanceEvent){
      .badge = p->badge,
      .kind = p->kind,
      .agenda_item = p->agenda_item,
      .wall_time = p->wall_time,
      .mono_us = p->mono_us,
      .peer = p->peer,
      .reason = p->reason,
      .meeting = p->meeting,
      .session = p->session,
      .role = p->role,
      .channel = p->channel,
      .where = p->where,
    };
  }
  gboolean ok = attendance_record_many(q->log, ev, n, &error);
  if (ok) {
    q->events += n;
    q->batches++;
  } else {
    g_critical("attendance: %u event(s) lost: %s", n, error->message);
  }
  for (guint i = 0; i < n; i++) {
    Pending *p = &g_array_index(batch, Pending, i);
    if (p->done)
      p->done(ok, error, p->user);
  }
  g_array_unref(batch);
}

void
attendance_queue_flush(AttendanceQueue *q)
{
  while (q->pending->len > 0)
    write_batch(q, MIN(q->pending->len, BATCH_MAX));
}

static gboolean
on_flush(gpointer data)
{
  AttendanceQueue *q = data;
  g_source_unref(q->flush);
  q->flush = NULL;
  attendance_queue_flush(q);
  return G_SOURCE_REMOVE;
}

void
attendance_queue_add(AttendanceQueue *q, const AttendanceEvent *event, AttendanceDoneFunc done,
                     gpointer user)
{
  Pending p = {
    .badge = g_strdup(event->badge),
    .kind = g_strdup(event->kind),
    .agenda_item = g_strdup(event->agenda_item),
    .wall_time = g_strdup(event->wall_time),
    .peer = g_strdup(event->peer),
    .reason = g_strdup(event->reason),
    .meeting = g_strdup(event->meeting),
    .session = g_strdup(event->session),
    .role = g_strdup(event->role),
    .channel = g_strdup(event->channel),
    .where = g_strdup(event->where),
    .mono_us = event->mono_us,
    .done = done,
    .user = user,
  };
  g_array_append_val(q->pending, p);
  if (q->flush)
    return;
  /* at the loop's default priority, not idle: under load an idle source
   * would wait for a quiet moment that never comes */
  q->flush = g_idle_source_new();
  g_source_set_priority(q->flush, G_PRIORITY_DEFAULT);
  g_source_set_callback(q->flush, on_flush, q, NULL);
  g_source_attach(q->flush, q->ctx);
}

void
attendance_queue_free(AttendanceQueue *q)
{
  if (!q)
    return;
  if (q->flush) {
    g_source_destroy(q->flush);
    g_source_unref(q->flush);
  }
  attendance_queue_flush(q);
  g_array_unref(q->pending);
  if (q->ctx)
    g_main_context_unref(q->ctx);
  g_free(q);
}

guint64
attendance_queue_events(const AttendanceQueue *q)
{
  return q->events;
}

guint64
attendance_queue_batches(const AttendanceQueue *q)
{
  return q->batches;
}
