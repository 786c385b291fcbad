/* SPDX-License-Identifier: Apache-2.0 */
#include "relay_client.h"

#include "control.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

G_DEFINE_QUARK(rostrum-relay-client-error-quark, relay_client_error)

typedef struct {
  gint64 id;
  RelayReplyFunc cb;
  gpointer user_data;
  guint timeout_id;
  RelayClient *rc;
} Pending;

struct RelayClient {
  char *path;
  RelayEventFunc on_event;
  RelayStateFunc on_state;
  gpointer user_data;

  GSocketClient *client;
  GCancellable *cancellable; /* per connection attempt / connection */
  GSocketConnection *conn;
  GDataInputStream *input;
  GQueue out;         /* GBytes* waiting to be written */
  gboolean writing;
  guint retry_id;
  gint64 next_id;
  GHashTable *pending; /* gint64* id -> Pending* (owned) */
  gboolean logged_down;
};

static void start_connect(RelayClient *rc);
static void read_next(RelayClient *rc);
static void write_next(RelayClient *rc);

static void
pending_free(gpointer data)
{
  Pending *p = data;
  if (p->timeout_id)
    g_source_remove(p->timeout_id);
  g_free(p);
}

gboolean
relay_client_is_connected(RelayClient *rc)
{
  return rc->conn != NULL;
}

static void
fail_all_pending(RelayClient *rc, const char *why)
{
  g_autoptr(GHashTable) old = rc->pending;
  GHashTableIter it;
  gpointer value;

  rc->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, pending_free);
  g_autoptr(GError) error =
    g_error_new(RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_DISCONNECTED, "relay unavailable: %s", why);
  g_hash_table_iter_init(&it, old);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Pending *p = value;
    p->cb(NULL, error, NULL, p->user_data);
  }
}

static gboolean
retry_cb(gpointer data)
{
  RelayClient *rc = data;
  rc->retry_id = 0;
  start_connect(rc);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry(RelayClient *rc)
{
  if (!rc->retry_id)
    rc->retry_id = g_timeout_add(RELAY_CLIENT_RETRY_MS, retry_cb, rc);
}

/* Drops the connection, fails pending requests, schedules a reconnect. */
static void
disconnect(RelayClient *rc, const char *why)
{
  gboolean was_up = rc->conn != NULL;

  g_cancellable_cancel(rc->cancellable);
  g_clear_object(&rc->cancellable);
  rc->cancellable = g_cancellable_new();
  g_clear_object(&rc->input);
  if (rc->conn)
    g_io_stream_close(G_IO_STREAM(rc->conn), NULL, NULL);
  g_clear_object(&rc->conn);
  g_queue_clear_full(&rc->out, (GDestroyNotify)g_bytes_unref);
  rc->writing = FALSE;
  if (was_up) {
    g_warning("relay control link lost: %s; reconnecting every %d ms", why,
              RELAY_CLIENT_RETRY_MS);
    rc->logged_down = TRUE;
  }
  fail_all_pending(rc, why);
  if (was_up && rc->on_state)
    rc->on_state(FALSE, rc->user_data);
  schedule_retry(rc);
}

static void
handle_line(RelayClient *rc, const char *line, gsize len)
{
  CtlMessage msg;
  g_autofree char *detail = NULL;

  if (ctl_parse(line, len, &msg, &detail) < 0) {
    g_warning("relay sent an invalid line: %s", detail ? detail : "?");
    return;
  }
  if (msg.kind == CTL_KIND_EVENT) {
    if (rc->on_event)
      rc->on_event(msg.name, ctl_get_string(&msg, "peer"), msg.obj, rc->user_data);
  } else if (msg.kind == CTL_KIND_REPLY) {
    Pending *p = g_hash_table_lookup(rc->pending, &msg.id);
    if (!p) {
      g_warning("relay reply with unknown id %" G_GINT64_FORMAT, msg.id);
    } else {
      g_hash_table_steal(rc->pending, &msg.id);
      if (msg.ok) {
        p->cb(msg.obj, NULL, NULL, p->user_data);
      } else {
        const char *code = ctl_get_string(&msg, "error");
        const char *text = ctl_get_string(&msg, "message");
        g_autoptr(GError) error = g_error_new(RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_REMOTE,
                                              "%s: %s", code, text ? text : code);
        p->cb(NULL, error, code, p->user_data);
      }
      pending_free(p);
    }
  } else {
    g_warning("relay sent a request; ignored");
  }
  ctl_message_clear(&msg);
}

static void
read_done(GObject *src, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(src), res,
                                                              &len, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* @data may be gone */
  RelayClient *rc = data;
  if (!line) {
    disconnect(rc, error ? error->message : "relay closed the connection");
    return;
  }
  handle_line(rc, line, len);
  if (rc->input)
    read_next(rc);
}

static void
read_next(RelayClient *rc)
{
  g_data_input_stream_read_line_async(rc->input, G_PRIORITY_DEFAULT, rc->cancellable,
                                      read_done, rc);
}

static void
write_done(GObject *src, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &error)) {
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return;
    disconnect(data, error->message);
    return;
  }
  RelayClient *rc = data;
  g_bytes_unref(g_queue_pop_head(&rc->out));
  rc->writing = FALSE;
  write_next(rc);
}

static void
write_next(RelayClient *rc)
{
  GBytes *b = g_queue_peek_head(&rc->out);
  gsize n;
  if (rc->writing || !b || !rc->conn)
    return;
  rc->writing = TRUE;
  const void *p = g_bytes_get_data(b, &n);
  g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(rc->conn)), p, n,
                                  G_PRIORITY_DEFAULT, rc->cancellable, write_done, rc);
}

static void
connect_done(GObject *src, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn =
    g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  RelayClient *rc = data;
  if (!conn) {
    if (!rc->logged_down) {
      g_warning("relay control socket %s: %s; retrying every %d ms", rc->path,
                error->message, RELAY_CLIENT_RETRY_MS);
      rc->logged_down = TRUE;
    }
    schedule_retry(rc);
    return;
  }
  rc->conn = conn;
  rc->logged_down = FALSE;
  rc->input = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
  g_data_input_stream_set_newline_type(rc->input, G_DATA_STREAM_NEWLINE_TYPE_LF);
  g_message("relay control link up (%s)", rc->path);
  read_next(rc);
  if (rc->on_state)
    rc->on_state(TRUE, rc->user_data);
}

static void
start_connect(RelayClient *rc)
{
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(rc->path);
  g_socket_client_connect_async(rc->client, G_SOCKET_CONNECTABLE(addr), rc->cancellable,
                                connect_done, rc);
}

RelayClient *
relay_client_new(const char *socket_path, RelayEventFunc on_event, RelayStateFunc on_state,
                 gpointer user_data)
{
  RelayClient *rc = g_new0(RelayClient, 1);
  rc->path = g_strdup(socket_path);
  rc->on_event = on_event;
  rc->on_state = on_state;
  rc->user_data = user_data;
  rc->client = g_socket_client_new();
  rc->cancellable = g_cancellable_new();
  rc->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, pending_free);
  g_queue_init(&rc->out);
  start_connect(rc);
  return rc;
}

void
relay_client_free(RelayClient *rc)
{
  if (!rc)
    return;
  g_cancellable_cancel(rc->cancellable);
  g_clear_object(&rc->cancellable);
  if (rc->retry_id)
    g_source_remove(rc->retry_id);
  g_clear_object(&rc->input);
  if (rc->conn)
    g_io_stream_close(G_IO_STREAM(rc->conn), NULL, NULL);
  g_clear_object(&rc->conn);
  g_queue_clear_full(&rc->out, (GDestroyNotify)g_bytes_unref);
  g_hash_table_destroy(rc->pending);
  g_clear_object(&rc->client);
  g_free(rc->path);
  g_free(rc);
}

static gboolean
timeout_cb(gpointer data)
{
  Pending *p = data;
  RelayClient *rc = p->rc;
  p->timeout_id = 0;
  g_hash_table_steal(rc->pending, &p->id);
  g_autoptr(GError) error = g_error_new(RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_TIMEOUT,
                                        "relay did not answer within %d ms",
                                        RELAY_CLIENT_TIMEOUT_MS);
  p->cb(NULL, error, NULL, p->user_data);
  pending_free(p);
  return G_SOURCE_REMOVE;
}

gboolean
relay_client_request(RelayClient *rc, const char *type, JsonObject *fields,
                     RelayReplyFunc on_reply, gpointer user_data, GError **error)
{
  if (!rc->conn) {
    g_set_error(error, RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_DISCONNECTED,
                "relay unavailable: not connected to %s", rc->path);
    return FALSE;
  }
  gint64 id = rc->next_id++;
  char *line = ctl_build_request(id, type, fields);
  Pending *p = g_new0(Pending, 1);
  p->id = id;
  p->cb = on_reply;
  p->user_data = user_data;
  p->rc = rc;
  p->timeout_id = g_timeout_add(RELAY_CLIENT_TIMEOUT_MS, timeout_cb, p);
  g_hash_table_insert(rc->pending, &p->id, p);
  g_queue_push_tail(&rc->out, g_bytes_new_take(line, strlen(line)));
  write_next(rc);
  return TRUE;
}
