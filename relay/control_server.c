/* SPDX-License-Identifier: Apache-2.0 */
#include "control_server.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define READ_CHUNK 16384

typedef struct {
  ControlServer *server;
  GSocketConnection *conn;
  GInputStream *in;
  GOutputStream *out;
  GByteArray *line;
  gboolean discarding; /* inside an over-long line, until its newline */
  GCancellable *cancel;
  char buf[READ_CHUNK];
} Client;

struct ControlServer {
  GSocketService *service;
  char *path;
  ControlHandler handler;
  void *user;
  GList *clients;
};

static void client_free(Client *c);
static void read_more(Client *c);

static void
client_write(Client *c, const char *line)
{
  /* replies and events are small; a client that cannot take them is gone */
  if (!g_output_stream_write_all(c->out, line, strlen(line), NULL, NULL, NULL))
    g_cancellable_cancel(c->cancel);
}

static void
handle_line(Client *c, const char *line, gsize len)
{
  CtlMessage msg;
  g_autofree char *detail = NULL;
  g_autofree char *reply = NULL;
  int rc = ctl_parse(line, len, &msg, &detail);

  if (rc < 0)
    reply = ctl_build_reply_error(msg.id, ctl_error_name(rc), detail);
  else if (msg.kind != CTL_KIND_REQUEST)
    reply = ctl_build_reply_error(msg.id, "bad_request", "only requests are accepted");
  else
    reply = c->server->handler(&msg, c->server->user);
  ctl_message_clear(&msg);
  if (reply)
    client_write(c, reply);
}

static void
take_bytes(Client *c, const char *data, gsize n)
{
  while (n > 0) {
    const char *nl = memchr(data, '\n', n);
    gsize chunk = nl ? (gsize)(nl - data) : n;
    if (!c->discarding)
      g_byte_array_append(c->line, (const guint8 *)data, (guint)chunk);
    if (!c->discarding && c->line->len >= CTL_MAX_LINE) {
      g_autofree char *reply =
          ctl_build_reply_error(-1, "too_long", "line longer than 65536 bytes; discarded");
      client_write(c, reply);
      c->discarding = TRUE;
      g_byte_array_set_size(c->line, 0);
    }
    if (!nl)
      return;
    if (!c->discarding && c->line->len > 0)
      handle_line(c, (const char *)c->line->data, c->line->len);
    c->discarding = FALSE;
    g_byte_array_set_size(c->line, 0);
    data = nl + 1;
    n -= chunk + 1;
  }
}

static void
on_read(GObject *source, GAsyncResult *res, gpointer data)
{
  Client *c = data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &error);
  if (n <= 0 || !c->server) {
    if (c->server)
      c->server->clients = g_list_remove(c->server->clients, c);
    client_free(c);
    return;
  }
  take_bytes(c, c->buf, (gsize)n);
  read_more(c);
}

static void
read_more(Client *c)
{
  g_input_stream_read_async(c->in, c->buf, sizeof c->buf, G_PRIORITY_DEFAULT, c->cancel, on_read,
                            c);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  ControlServer *server = data;
  Client *c = g_new0(Client, 1);
  c->server = server;
  c->conn = g_object_ref(conn);
  c->in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  c->out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  c->line = g_byte_array_new();
  c->cancel = g_cancellable_new();
  server->clients = g_list_prepend(server->clients, c);
  read_more(c);
  return TRUE;
}

static void
client_free(Client *c)
{
  g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
  g_object_unref(c->conn);
  g_object_unref(c->cancel);
  g_byte_array_unref(c->line);
  g_free(c);
}

ControlServer *
control_server_new(const char *path, ControlHandler handler, void *user, GError **error)
{
  ControlServer *server = g_new0(ControlServer, 1);
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);

  server->path = g_strdup(path);
  server->handler = handler;
  server->user = user;
  server->service = g_socket_service_new();
  g_unlink(path);
  /* Only signalling, run as the same user, may talk to the relay. bind()
   * creates the socket file with the umask's mode and listen() follows at
   * once, so a chmod afterwards would leave it connectable by anyone for a
   * moment: bind under 077 (main() sets it too; tests may not), then chmod
   * anyway in case the file system ignores the umask. */
  mode_t old_umask = umask(077);
  gboolean ok = g_socket_listener_add_address(G_SOCKET_LISTENER(server->service), addr,
                                              G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                                              NULL, NULL, error);
  umask(old_umask);
  if (!ok) {
    g_prefix_error(error, "control socket %s: ", path);
    control_server_free(server);
    return NULL;
  }
  g_chmod(path, 0600);
  g_signal_connect(server->service, "incoming", G_CALLBACK(on_incoming), server);
  g_socket_service_start(server->service);
  return server;
}

void
control_server_broadcast(ControlServer *server, const char *line)
{
  for (GList *l = server->clients; l; l = l->next)
    client_write(l->data, line);
}

void
control_server_free(ControlServer *server)
{
  if (!server)
    return;
  g_socket_service_stop(server->service);
  g_socket_listener_close(G_SOCKET_LISTENER(server->service));
  for (GList *l = server->clients; l; l = l->next) {
    Client *c = l->data;
    c->server = NULL; /* its pending read completes cancelled and frees it */
    g_cancellable_cancel(c->cancel);
  }
  g_list_free(server->clients);
  g_object_unref(server->service);
  g_unlink(server->path);
  g_free(server->path);
  g_free(server);
}
