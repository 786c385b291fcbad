/* SPDX-License-Identifier: Apache-2.0 */
/* Adapter "control": straight to the relay's control socket
 * (docs/control.md), as signalling would: peer.add with the listener's
 * offer, peer.remove to leave. Peer ids are lg-<n>. With a channel track
 * (args->channel), peer.add asks for tracks ["floor","channel"] and, once it
 * answered, listener.channel points that track at args->channel. */
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "control.h"
#include "loadgen.h"

typedef struct {
  LoadgenSdpFunc done; /* peer.add only */
  void *user;
  gboolean channel; /* listener.channel, else peer.add or peer.remove */
  unsigned index;   /* the listener's */
} Pending;

typedef struct {
  GSocketConnection *conn;
  GDataInputStream *in;
  GOutputStream *out;
  GCancellable *cancel;
  GQueue writes; /* GBytes, the head is being written */
  GHashTable *pending; /* id → Pending* (owned) */
  gint64 next_id;
  LoadgenLostFunc lost;
  void *user;
  gboolean broken;
  char *channel; /* NULL: the floor track only */
} ControlAdapter;

static void write_next(ControlAdapter *a);

static void
fail_all(ControlAdapter *a, const char *why)
{
  GHashTableIter it;
  gpointer value;
  a->broken = TRUE;
  /* steal first: a callback may issue new requests */
  GHashTable *old = a->pending;
  a->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  g_hash_table_iter_init(&it, old);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Pending *p = value;
    if (p->done)
      p->done(NULL, why, p->user);
  }
  g_hash_table_destroy(old);
}

static void
on_written(GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error)) {
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return;
    ControlAdapter *a = data;
    g_printerr("loadgen: control socket write: %s\n", error->message);
    fail_all(a, "control socket write failed");
    return;
  }
  ControlAdapter *a = data;
  g_bytes_unref(g_queue_pop_head(&a->writes));
  write_next(a);
}

static void
write_next(ControlAdapter *a)
{
  GBytes *b = g_queue_peek_head(&a->writes);
  if (!b || a->broken)
    return;
  gsize len;
  const void *p = g_bytes_get_data(b, &len);
  g_output_stream_write_all_async(a->out, p, len, G_PRIORITY_DEFAULT, a->cancel, on_written, a);
}

static void
send_line(ControlAdapter *a, char *line)
{
  gboolean idle = g_queue_is_empty(&a->writes);
  g_queue_push_tail(&a->writes, g_bytes_new_take(line, strlen(line)));
  if (idle)
    write_next(a);
}

/* @p: transfer full. */
static void
request(ControlAdapter *a, const char *type, JsonObject *extra, Pending *p)
{
  gint64 id = a->next_id++;
  g_hash_table_insert(a->pending, g_memdup2(&id, sizeof id), p);
  send_line(a, ctl_build_request(id, type, extra));
}

static Pending *
pending_new(LoadgenSdpFunc done, void *user)
{
  Pending *p = g_new0(Pending, 1);
  p->done = done;
  p->user = user;
  return p;
}

/* The channel track of listener @index carries a->channel from now on. */
static void
point_channel(ControlAdapter *a, unsigned index)
{
  g_autoptr(JsonObject) extra = json_object_new();
  g_autofree char *peer = g_strdup_printf("lg-%u", index);
  Pending *p = pending_new(NULL, NULL);
  p->channel = TRUE;
  p->index = index;
  json_object_set_string_member(extra, "peer", peer);
  json_object_set_string_member(extra, "channel", a->channel);
  request(a, "listener.channel", extra, p);
}

static void
on_reply(ControlAdapter *a, const CtlMessage *msg, Pending *p)
{
  g_autofree char *why = msg->ok ? NULL
                                 : g_strdup_printf("%s: %s", ctl_get_string(msg, "error"),
                                                   ctl_get_string(msg, "message"));
  if (p->channel) {
    if (!msg->ok) {
      g_autofree char *reason = g_strdup_printf("listener.channel: %s", why);
      a->lost(p->index, reason, a->user);
    }
    return;
  }
  if (!p->done)
    return;
  const char *answer = msg->ok ? ctl_get_string(msg, "answer") : NULL;
  if (answer && a->channel) /* the peer exists now: point its channel track */
    point_channel(a, p->index);
  p->done(answer, answer ? NULL : (why ? why : "reply without an answer"), p->user);
}

static void
handle_line(ControlAdapter *a, const char *line, gsize len)
{
  CtlMessage msg;
  g_autofree char *detail = NULL;

  if (ctl_parse(line, len, &msg, &detail) < 0) {
    g_printerr("loadgen: bad line from the relay: %s\n", detail ? detail : "?");
    return;
  }
  if (msg.kind == CTL_KIND_EVENT) {
    const char *peer = ctl_get_string(&msg, "peer");
    if (strcmp(msg.name, "peer.lost") == 0 && peer && g_str_has_prefix(peer, "lg-"))
      a->lost((unsigned)g_ascii_strtoull(peer + 3, NULL, 10), ctl_get_string(&msg, "reason"),
              a->user);
  } else if (msg.kind == CTL_KIND_REPLY) {
    Pending *p = NULL;
    gpointer key = NULL;
    if (g_hash_table_steal_extended(a->pending, &msg.id, &key, (gpointer *)&p)) {
      on_reply(a, &msg, p);
      g_free(key);
      g_free(p);
    }
  }
  ctl_message_clear(&msg);
}

static void
on_line(GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *line =
      g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, &len, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ControlAdapter *a = data;
  if (!line) {
    g_printerr("loadgen: the relay closed the control socket%s%s\n", error ? ": " : "",
               error ? error->message : "");
    fail_all(a, "control socket closed");
    return;
  }
  handle_line(a, line, len);
  g_data_input_stream_read_line_async(a->in, G_PRIORITY_DEFAULT, a->cancel, on_line, a);
}

static void control_destroy(gpointer self);

static gpointer
control_create(const LoadgenAdapterArgs *args, GMainContext *ctx, LoadgenLostFunc lost, void *user,
               GError **error)
{
  if (!args->control_path) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "adapter control needs --control PATH");
    return NULL;
  }
  ControlAdapter *a = g_new0(ControlAdapter, 1);
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(args->control_path);
  g_queue_init(&a->writes);
  a->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  a->lost = lost;
  a->user = user;
  a->next_id = 1;
  a->channel = g_strdup(args->channel);
  a->cancel = g_cancellable_new();
  a->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, error);
  if (!a->conn) {
    control_destroy(a);
    return NULL;
  }
  a->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(a->conn)));
  g_data_input_stream_set_newline_type(a->in, G_DATA_STREAM_NEWLINE_TYPE_LF);
  g_buffered_input_stream_set_buffer_size(G_BUFFERED_INPUT_STREAM(a->in), 65536);
  a->out = g_io_stream_get_output_stream(G_IO_STREAM(a->conn));
  g_data_input_stream_read_line_async(a->in, G_PRIORITY_DEFAULT, a->cancel, on_line, a);
  return a;
}

static void
control_join(gpointer self, unsigned index, const char *offer, LoadgenSdpFunc done, void *user)
{
  ControlAdapter *a = self;
  g_autoptr(JsonObject) extra = json_object_new();
  g_autofree char *peer = g_strdup_printf("lg-%u", index);
  g_autofree char *badge = g_strdup_printf("BENCH-%05u", index + 1);
  JsonArray *tracks = json_array_new();
  Pending *p = pending_new(done, user);

  p->index = index;
  json_array_add_string_element(tracks, "floor");
  if (a->channel)
    json_array_add_string_element(tracks, "channel");
  json_object_set_string_member(extra, "peer", peer);
  json_object_set_string_member(extra, "participant", badge);
  json_object_set_string_member(extra, "role", "delegate");
  json_object_set_array_member(extra, "tracks", tracks);
  json_object_set_string_member(extra, "offer", offer);
  request(a, "peer.add", extra, p);
}

static void
control_leave(gpointer self, unsigned index)
{
  ControlAdapter *a = self;
  g_autoptr(JsonObject) extra = json_object_new();
  g_autofree char *peer = g_strdup_printf("lg-%u", index);
  if (a->broken)
    return;
  json_object_set_string_member(extra, "peer", peer);
  request(a, "peer.remove", extra, pending_new(NULL, NULL));
}

static gboolean
control_idle(gpointer self)
{
  ControlAdapter *a = self;
  return a->broken || g_hash_table_size(a->pending) == 0;
}

static void
control_destroy(gpointer self)
{
  ControlAdapter *a = self;
  g_cancellable_cancel(a->cancel);
  g_queue_clear_full(&a->writes, (GDestroyNotify)g_bytes_unref);
  g_hash_table_destroy(a->pending);
  g_clear_object(&a->in);
  if (a->conn)
    g_io_stream_close(G_IO_STREAM(a->conn), NULL, NULL);
  g_clear_object(&a->conn);
  g_object_unref(a->cancel);
  g_free(a->channel);
  g_free(a);
}

const LoadgenAdapterOps loadgen_adapter_control = {
  .name = "control",
  .remote_offers = FALSE,
  .join_from = "request",
  .create = control_create,
  .join = control_join,
  .answer = NULL,
  .leave = control_leave,
  .idle = control_idle,
  .destroy = control_destroy,
};
