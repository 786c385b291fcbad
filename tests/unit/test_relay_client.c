/* SPDX-License-Identifier: Apache-2.0 */
/* relay_client.c against a fake relay on a temporary Unix socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "relay_client.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  char *dir, *path;
  GSocketService *service;
  GSocketConnection *conn; /* the client's connection, server side */
  GDataInputStream *in;
  char *last_line;         /* last request the fake relay read */
  int replies, errors, events, ups, downs;
  char *last_error, *last_event;
} Fake;

static gboolean
on_incoming(GSocketService *s, GSocketConnection *conn, GObject *src, gpointer data)
{
  Fake *f = data;
  g_clear_object(&f->in);
  g_clear_object(&f->conn);
  f->conn = g_object_ref(conn);
  f->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
  return TRUE;
}

static void
fake_listen(Fake *f)
{
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(f->path);
  f->service = g_socket_service_new();
  assert_true(g_socket_listener_add_address(G_SOCKET_LISTENER(f->service), addr,
                                            G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                                            NULL, NULL, NULL));
  g_signal_connect(f->service, "incoming", G_CALLBACK(on_incoming), f);
  g_socket_service_start(f->service);
}

static void
fake_stop(Fake *f)
{
  if (f->conn)
    g_io_stream_close(G_IO_STREAM(f->conn), NULL, NULL);
  g_clear_object(&f->in);
  g_clear_object(&f->conn);
  if (f->service) {
    g_socket_service_stop(f->service);
    g_socket_listener_close(G_SOCKET_LISTENER(f->service));
    g_clear_object(&f->service);
  }
  g_unlink(f->path);
}

static void
fake_send(Fake *f, const char *line)
{
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(f->conn));
  assert_true(g_output_stream_write_all(out, line, strlen(line), NULL, NULL, NULL));
}

/* Spins the default context until @cond or 3 s. */
#define SPIN_UNTIL(cond)                                                                 \
  do {                                                                                   \
    gint64 end_ = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;                           \
    while (!(cond) && g_get_monotonic_time() < end_)                                     \
      g_main_context_iteration(NULL, FALSE), g_usleep(1000);                             \
    assert_true(cond);                                                                   \
  } while (0)

static void
on_reply(JsonObject *reply, const GError *error, const char *code, gpointer data)
{
  Fake *f = data;
  if (reply) {
    f->replies++;
  } else {
    f->errors++;
    g_free(f->last_error);
    f->last_error = g_strdup(code ? code : error->message);
  }
}

static void
on_event(const char *event, const char *peer, JsonObject *msg, gpointer data)
{
  Fake *f = data;
  f->events++;
  g_free(f->last_event);
  f->last_event = g_strdup_printf("%s %s", event, peer);
}

static void
on_state(gboolean up, gpointer data)
{
  Fake *f = data;
  if (up)
    f->ups++;
  else
    f->downs++;
}

static void
line_read(GObject *src, GAsyncResult *res, gpointer data)
{
  Fake *f = data;
  f->last_line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(src), res, NULL, NULL);
}

/* Reads one request line while the loop keeps running (the client writes
 * asynchronously on the same thread). */
static void
read_request(Fake *f)
{
  g_clear_pointer(&f->last_line, g_free);
  g_data_input_stream_read_line_async(f->in, G_PRIORITY_DEFAULT, NULL, line_read, f);
  SPIN_UNTIL(f->last_line != NULL);
}

static void
test_link(void **state)
{
  Fake f = {0};
  g_autoptr(GError) error = NULL;
  f.dir = g_dir_make_tmp("rostrum-rc-XXXXXX", NULL);
  f.path = g_build_filename(f.dir, "relay.sock", NULL);

  /* No relay yet: requests fail at once, clearly. */
  RelayClient *rc = relay_client_new(f.path, on_event, on_state, &f);
  assert_false(relay_client_request(rc, "ping", NULL, on_reply, &f, &error));
  assert_true(g_error_matches(error, RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_DISCONNECTED));
  g_clear_error(&error);

  /* The relay appears: the client connects within the retry period. */
  fake_listen(&f);
  SPIN_UNTIL(f.ups == 1 && f.conn);
  assert_true(relay_client_is_connected(rc));

  assert_true(relay_client_request(rc, "ping", NULL, on_reply, &f, &error));
  read_request(&f);
  assert_string_equal(f.last_line, "{\"v\":1,\"id\":0,\"type\":\"ping\"}");
  g_autoptr(JsonObject) fields = json_object_new();
  json_object_set_string_member(fields, "peer", "p-1");
  assert_true(relay_client_request(rc, "peer.remove", fields, on_reply, &f, &error));
  read_request(&f);
  assert_non_null(strstr(f.last_line, "\"id\":1"));
  assert_non_null(strstr(f.last_line, "\"peer\":\"p-1\""));

  /* Replies out of order, matched by id; events forwarded. */
  fake_send(&f, "{\"v\":1,\"id\":1,\"ok\":false,\"error\":\"unknown_peer\",\"message\":\"no\"}\n"
                "{\"v\":1,\"event\":\"peer.lost\",\"peer\":\"p-9\",\"reason\":\"timeout\"}\n"
                "{\"v\":1,\"id\":0,\"ok\":true}\n");
  SPIN_UNTIL(f.replies == 1 && f.errors == 1 && f.events == 1);
  assert_string_equal(f.last_error, "unknown_peer");
  assert_string_equal(f.last_event, "peer.lost p-9");

  /* A pending request fails when the relay goes away; then it reconnects. */
  assert_true(relay_client_request(rc, "ping", NULL, on_reply, &f, &error));
  read_request(&f);
  fake_stop(&f);
  SPIN_UNTIL(f.downs == 1 && f.errors == 2);
  assert_false(relay_client_is_connected(rc));
  fake_listen(&f);
  SPIN_UNTIL(f.ups == 2 && f.conn);

  relay_client_free(rc);
  fake_stop(&f);
  g_rmdir(f.dir);
  g_free(f.dir);
  g_free(f.path);
  g_free(f.last_line);
  g_free(f.last_error);
  g_free(f.last_event);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_link),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
