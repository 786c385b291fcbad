/* SPDX-License-Identifier: Apache-2.0 */
#include "metrics.h"

#include <gio/gio.h>
#include <string.h>

#define REQUEST_MAX 4096

struct MetricsServer {
  GSocketService *service;
  int port;
  MetricsRender render;
  void *user;
};

typedef struct {
  MetricsServer *server;
  GSocketConnection *conn;
  char buf[REQUEST_MAX];
  gsize len;
} Request;

static void
request_free(Request *r)
{
  g_io_stream_close(G_IO_STREAM(r->conn), NULL, NULL);
  g_object_unref(r->conn);
  g_free(r);
}

static void
respond(Request *r)
{
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(r->conn));
  g_autoptr(GString) body = g_string_new(NULL);
  const char *status = "200 OK";
  if (g_str_has_prefix(r->buf, "GET /metrics ") || g_str_has_prefix(r->buf, "GET /metrics?"))
    r->server->render(body, r->server->user);
  else {
    status = "404 Not Found";
    g_string_append(body, "only /metrics is served here\n");
  }
  g_autofree char *head = g_strdup_printf("HTTP/1.1 %s\r\n"
                                          "Content-Type: text/plain; version=0.0.4\r\n"
                                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                          status, body->len);
  /* small and local: a blocking write is fine, and a dead client errors out */
  g_output_stream_write_all(out, head, strlen(head), NULL, NULL, NULL);
  g_output_stream_write_all(out, body->str, body->len, NULL, NULL, NULL);
}

static void
on_read(GObject *source, GAsyncResult *res, gpointer data)
{
  Request *r = data;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, NULL);
  if (n <= 0) {
    request_free(r);
    return;
  }
  r->len += (gsize)n;
  r->buf[r->len] = '\0';
  if (strstr(r->buf, "\r\n\r\n") || r->len >= sizeof r->buf - 1) {
    respond(r);
    request_free(r);
    return;
  }
  g_input_stream_read_async(G_INPUT_STREAM(source), r->buf + r->len, sizeof r->buf - 1 - r->len,
                            G_PRIORITY_LOW, NULL, on_read, r);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  Request *r = g_new0(Request, 1);
  r->server = data;
  r->conn = g_object_ref(conn);
  g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(conn)), r->buf,
                            sizeof r->buf - 1, G_PRIORITY_LOW, NULL, on_read, r);
  return TRUE;
}

MetricsServer *
metrics_server_new(const char *address, int port, MetricsRender render, void *user,
                   GError **error)
{
  MetricsServer *server = g_new0(MetricsServer, 1);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  server->render = render;
  server->user = user;
  server->service = g_socket_service_new();
  if (!inet) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "metrics address '%s' is not an IP address", address);
    goto fail;
  }
  addr = g_inet_socket_address_new(inet, (guint16)port);
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(server->service), addr,
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                     error)) {
    g_prefix_error(error, "metrics %s:%d: ", address, port);
    goto fail;
  }
  server->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_signal_connect(server->service, "incoming", G_CALLBACK(on_incoming), server);
  g_socket_service_start(server->service);
  return server;

fail:
  metrics_server_free(server);
  return NULL;
}

int
metrics_server_port(const MetricsServer *server)
{
  return server->port;
}

void
metrics_server_free(MetricsServer *server)
{
  if (!server)
    return;
  g_socket_service_stop(server->service);
  g_socket_listener_close(G_SOCKET_LISTENER(server->service));
  g_object_unref(server->service);
  g_free(server);
}
