/* SPDX-License-Identifier: Apache-2.0 */
/* Adapter "janus": Janus's Streaming plugin over its plain HTTP API. Here the
 * server offers: create a session, attach janus.plugin.streaming, "watch"
 * the mountpoint, long-poll for the event carrying Janus's JSEP offer, and
 * "start" with the listener's answer. Leaving destroys the session. One
 * HTTP/1.0-style request per connection (Connection: close), loopback only. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "loadgen.h"

#define HTTP_MAX (256 * 1024)
#define KEEPALIVE_US (20 * G_USEC_PER_SEC)

typedef struct JanusAdapter JanusAdapter;
typedef struct Listener Listener;
typedef void (*ReplyFunc)(Listener *l, JsonNode *reply);

typedef struct {
  Listener *l;
  ReplyFunc done; /* NULL reply on a transport or HTTP error */
  GSocketConnection *conn;
  char *request;
  GByteArray *in;
  guint8 buf[16384];
} Request;

struct Listener {
  JanusAdapter *a;
  unsigned index;
  gint64 session, handle;
  gboolean leaving, gone, offered, polling;
  gint64 last_keepalive_us;
  LoadgenSdpFunc done;
  void *user;
};

struct JanusAdapter {
  GSocketClient *client;
  char host[128];
  guint16 port;
  char *path; /* "/janus" */
  gint64 mountpoint;
  GCancellable *cancel;
  GHashTable *listeners; /* index → Listener* (owned) */
  guint in_flight;       /* leaves not yet answered */
  guint64 next_tx;
  LoadgenLostFunc lost;
  void *user;
};

static void request_free(Request *r);

/* Undoes Transfer-Encoding: chunked in place; returns the body length or -1. */
static gssize
dechunk(char *body, gsize len)
{
  gsize in = 0, out = 0;
  while (in < len) {
    char *end = NULL;
    guint64 n = g_ascii_strtoull(body + in, &end, 16);
    char *eol = g_strstr_len(body + in, (gssize)(len - in), "\r\n");
    if (!eol || end == body + in)
      return -1;
    in = (gsize)(eol - body) + 2;
    if (n == 0)
      return (gssize)out;
    if (n > len - in)
      return -1;
    memmove(body + out, body + in, n);
    out += n;
    in += n + 2;
  }
  return -1;
}

static JsonNode *
parse_body(guint8 *data, gsize len)
{
  char *text = (char *)data;
  char *end = g_strstr_len(text, (gssize)len, "\r\n\r\n");
  if (!end || len < 12 || strncmp(text + 9, "200", 3) != 0)
    return NULL;
  gsize head = (gsize)(end - text) + 4;
  g_autofree char *headers = g_ascii_strdown(text, (gssize)head);
  gssize body_len = (gssize)(len - head);
  if (strstr(headers, "transfer-encoding: chunked"))
    body_len = dechunk(text + head, len - head);
  if (body_len < 0)
    return NULL;
  g_autoptr(JsonParser) p = json_parser_new();
  if (!json_parser_load_from_data(p, text + head, body_len, NULL))
    return NULL;
  return json_node_copy(json_parser_get_root(p));
}

static void
on_read(GObject *src, GAsyncResult *res, gpointer data)
{
  Request *r = data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    request_free(r);
    return;
  }
  if (n > 0 && r->in->len + (gsize)n <= HTTP_MAX) {
    g_byte_array_append(r->in, r->buf, (guint)n);
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(r->conn)), r->buf,
                              sizeof r->buf, G_PRIORITY_DEFAULT, r->l->a->cancel, on_read, r);
    return;
  }
  JsonNode *reply = n == 0 ? parse_body(r->in->data, r->in->len) : NULL;
  r->done(r->l, reply);
  if (reply)
    json_node_unref(reply);
  request_free(r);
}

static void
on_written(GObject *src, GAsyncResult *res, gpointer data)
{
  Request *r = data;
  g_autoptr(GError) error = NULL;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &error)) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      r->done(r->l, NULL);
    request_free(r);
    return;
  }
  g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(r->conn)), r->buf,
                            sizeof r->buf, G_PRIORITY_DEFAULT, r->l->a->cancel, on_read, r);
}

static void
on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
  Request *r = data;
  g_autoptr(GError) error = NULL;
  r->conn = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res, &error);
  if (!r->conn) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      r->done(r->l, NULL);
    request_free(r);
    return;
  }
  g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(r->conn)),
                                  r->request, strlen(r->request), G_PRIORITY_DEFAULT,
                                  r->l->a->cancel, on_written, r);
}

static void
request_free(Request *r)
{
  g_clear_object(&r->conn);
  g_free(r->request);
  g_byte_array_unref(r->in);
  g_free(r);
}

/* @body NULL: GET. @path is relative to the API root ("" or "/<session>"). */
static void
http(Listener *l, const char *path, JsonBuilder *body, ReplyFunc done)
{
  JanusAdapter *a = l->a;
  Request *r = g_new0(Request, 1);
  g_autofree char *json = NULL;
  r->l = l;
  r->done = done;
  r->in = g_byte_array_new();
  if (body) {
    g_autoptr(JsonNode) root = json_builder_get_root(body);
    json = json_to_string(root, FALSE);
    r->request = g_strdup_printf("POST %s%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                 a->path, path, a->host, strlen(json), json);
  } else {
    r->request = g_strdup_printf("GET %s%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                                 a->path, path, a->host);
  }
  g_socket_client_connect_to_host_async(a->client, a->host, a->port, a->cancel, on_connected, r);
}

/* {"janus": VERB, "transaction": ..., <more members added by the caller>} */
static JsonBuilder *
janus_msg(JanusAdapter *a, const char *verb)
{
  JsonBuilder *b = json_builder_new();
  g_autofree char *tx = g_strdup_printf("lg%" G_GUINT64_FORMAT, a->next_tx++);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "janus");
  json_builder_add_string_value(b, verb);
  json_builder_set_member_name(b, "transaction");
  json_builder_add_string_value(b, tx);
  return b;
}

static const char *
str_member(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

static JsonObject *
obj_member(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static gint64
reply_id(JsonNode *reply)
{
  JsonObject *o = reply && JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
  JsonObject *data = obj_member(o, "data");
  if (g_strcmp0(str_member(o, "janus"), "success") != 0 || !data ||
      !json_object_has_member(data, "id"))
    return 0;
  return json_object_get_int_member(data, "id");
}

static void
fail_join(Listener *l, const char *why)
{
  if (l->done) {
    LoadgenSdpFunc done = l->done;
    l->done = NULL;
    done(NULL, why, l->user);
  }
}

static void poll_events(Listener *l);

static void
on_keepalive(Listener *l, JsonNode *reply)
{
}

static void
handle_event(Listener *l, JsonObject *ev)
{
  const char *kind = str_member(ev, "janus");
  JsonObject *jsep = obj_member(ev, "jsep");
  if (g_strcmp0(kind, "event") == 0 && jsep && g_strcmp0(str_member(jsep, "type"), "offer") == 0 &&
      !l->offered) {
    l->offered = TRUE;
    const char *sdp = str_member(jsep, "sdp");
    if (sdp && l->done) {
      LoadgenSdpFunc done = l->done;
      l->done = NULL;
      done(sdp, NULL, l->user);
    } else {
      fail_join(l, "offer without SDP");
    }
  } else if (g_strcmp0(kind, "hangup") == 0 || g_strcmp0(kind, "detached") == 0) {
    if (!l->leaving)
      l->a->lost(l->index, str_member(ev, "reason") ? str_member(ev, "reason") : kind, l->a->user);
  } else if (g_strcmp0(kind, "event") == 0) {
    JsonObject *pd = obj_member(obj_member(ev, "plugindata"), "data");
    if (pd && json_object_has_member(pd, "error"))
      fail_join(l, str_member(pd, "error") ? str_member(pd, "error") : "plugin error");
  }
}

static void
on_events(Listener *l, JsonNode *reply)
{
  l->polling = FALSE;
  if (l->leaving || l->gone)
    return;
  if (!reply) {
    fail_join(l, "long poll failed");
    if (!l->done && l->offered)
      l->a->lost(l->index, "long_poll_failed", l->a->user);
    return;
  }
  if (JSON_NODE_HOLDS_ARRAY(reply)) {
    JsonArray *arr = json_node_get_array(reply);
    for (guint i = 0; i < json_array_get_length(arr); i++)
      if (JSON_NODE_HOLDS_OBJECT(json_array_get_element(arr, i)))
        handle_event(l, json_array_get_object_element(arr, i));
  } else if (JSON_NODE_HOLDS_OBJECT(reply)) {
    handle_event(l, json_node_get_object(reply));
  }
  gint64 now = g_get_monotonic_time();
  if (now - l->last_keepalive_us > KEEPALIVE_US) {
    g_autofree char *path = g_strdup_printf("/%" G_GINT64_FORMAT, l->session);
    g_autoptr(JsonBuilder) b = janus_msg(l->a, "keepalive");
    json_builder_end_object(b);
    http(l, path, b, on_keepalive);
    l->last_keepalive_us = now;
  }
  poll_events(l);
}

static void
poll_events(Listener *l)
{
  g_autofree char *path = g_strdup_printf("/%" G_GINT64_FORMAT "?maxev=10", l->session);
  l->polling = TRUE;
  http(l, path, NULL, on_events);
}

static void
on_watch(Listener *l, JsonNode *reply)
{
  JsonObject *o = reply && JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
  if (g_strcmp0(str_member(o, "janus"), "ack") != 0 && g_strcmp0(str_member(o, "janus"), "event"))
    fail_join(l, "watch refused");
  else if (o && obj_member(o, "jsep"))
    handle_event(l, o);
}

static void
on_attached(Listener *l, JsonNode *reply)
{
  if (!(l->handle = reply_id(reply))) {
    fail_join(l, "attach failed");
    return;
  }
  g_autofree char *path = g_strdup_printf("/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, l->session,
                                          l->handle);
  g_autoptr(JsonBuilder) b = janus_msg(l->a, "message");
  json_builder_set_member_name(b, "body");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "request");
  json_builder_add_string_value(b, "watch");
  json_builder_set_member_name(b, "id");
  json_builder_add_int_value(b, l->a->mountpoint);
  json_builder_end_object(b);
  json_builder_end_object(b);
  http(l, path, b, on_watch);
  poll_events(l);
}

static void
on_created(Listener *l, JsonNode *reply)
{
  if (!(l->session = reply_id(reply))) {
    fail_join(l, "create failed");
    return;
  }
  l->last_keepalive_us = g_get_monotonic_time();
  g_autofree char *path = g_strdup_printf("/%" G_GINT64_FORMAT, l->session);
  g_autoptr(JsonBuilder) b = janus_msg(l->a, "attach");
  json_builder_set_member_name(b, "plugin");
  json_builder_add_string_value(b, "janus.plugin.streaming");
  json_builder_end_object(b);
  http(l, path, b, on_attached);
}

static void
on_started(Listener *l, JsonNode *reply)
{
  JsonObject *o = reply && JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
  if (g_strcmp0(str_member(o, "janus"), "ack") != 0 && g_strcmp0(str_member(o, "janus"), "event"))
    l->a->lost(l->index, "start refused", l->a->user);
}

static void
on_destroyed(Listener *l, JsonNode *reply)
{
  l->gone = TRUE;
  l->a->in_flight--;
}

static gpointer
janus_create(const LoadgenAdapterArgs *args, GMainContext *ctx, LoadgenLostFunc lost, void *user,
             GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse(args->janus_url, G_URI_FLAGS_NONE, error);
  if (!uri)
    return NULL;
  if (g_strcmp0(g_uri_get_scheme(uri), "http") != 0 || !g_uri_get_host(uri)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--janus must be http://HOST:PORT/PATH");
    return NULL;
  }
  JanusAdapter *a = g_new0(JanusAdapter, 1);
  g_strlcpy(a->host, g_uri_get_host(uri), sizeof a->host);
  a->port = (guint16)(g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : 80);
  a->path = g_strdup(g_uri_get_path(uri)[0] ? g_uri_get_path(uri) : "/janus");
  a->mountpoint = args->mountpoint;
  a->client = g_socket_client_new();
  a->cancel = g_cancellable_new();
  a->listeners = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  a->lost = lost;
  a->user = user;
  return a;
}

static void
janus_join(gpointer self, unsigned index, const char *offer, LoadgenSdpFunc done, void *user)
{
  JanusAdapter *a = self;
  Listener *l = g_new0(Listener, 1);
  l->a = a;
  l->index = index;
  l->done = done;
  l->user = user;
  g_hash_table_replace(a->listeners, GUINT_TO_POINTER(index), l);
  g_autoptr(JsonBuilder) b = janus_msg(a, "create");
  json_builder_end_object(b);
  http(l, "", b, on_created);
}

static void
janus_answer(gpointer self, unsigned index, const char *answer)
{
  JanusAdapter *a = self;
  Listener *l = g_hash_table_lookup(a->listeners, GUINT_TO_POINTER(index));
  if (!l || !l->handle)
    return;
  g_autofree char *path = g_strdup_printf("/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, l->session,
                                          l->handle);
  g_autoptr(JsonBuilder) b = janus_msg(a, "message");
  json_builder_set_member_name(b, "body");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "request");
  json_builder_add_string_value(b, "start");
  json_builder_end_object(b);
  json_builder_set_member_name(b, "jsep");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "answer");
  json_builder_set_member_name(b, "sdp");
  json_builder_add_string_value(b, answer);
  json_builder_end_object(b);
  json_builder_end_object(b);
  http(l, path, b, on_started);
}

static void
janus_leave(gpointer self, unsigned index)
{
  JanusAdapter *a = self;
  Listener *l = g_hash_table_lookup(a->listeners, GUINT_TO_POINTER(index));
  if (!l || l->leaving || !l->session)
    return;
  l->leaving = TRUE;
  a->in_flight++;
  g_autofree char *path = g_strdup_printf("/%" G_GINT64_FORMAT, l->session);
  g_autoptr(JsonBuilder) b = janus_msg(a, "destroy");
  json_builder_end_object(b);
  http(l, path, b, on_destroyed);
}

static gboolean
janus_idle(gpointer self)
{
  JanusAdapter *a = self;
  return a->in_flight == 0;
}

static void
janus_destroy(gpointer self)
{
  JanusAdapter *a = self;
  g_cancellable_cancel(a->cancel);
  /* cancelled requests complete later and still point at their listener:
   * let the loop run them out before the listeners go */
  GMainContext *ctx = g_main_context_get_thread_default();
  for (int i = 0; i < 1000 && g_main_context_iteration(ctx, FALSE); i++)
    ;
  g_hash_table_destroy(a->listeners);
  g_object_unref(a->client);
  g_object_unref(a->cancel);
  g_free(a->path);
  g_free(a);
}

const LoadgenAdapterOps loadgen_adapter_janus = {
  .name = "janus",
  .remote_offers = TRUE,
  .join_from = "request",
  .create = janus_create,
  .join = janus_join,
  .answer = janus_answer,
  .leave = janus_leave,
  .idle = janus_idle,
  .destroy = janus_destroy,
};
