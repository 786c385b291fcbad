/* SPDX-License-Identifier: Apache-2.0 */
/* Adapter "rostrum": a listener joins like the delegate page does
 * (docs/websocket.md): POST /api/login {badge, code} over HTTPS → token,
 * then a WebSocket /ws: {"type":"join",token,offer} → {"type":"joined",
 * answer}; leaving sends {"type":"leave"} and waits for "left". One
 * libwebsockets client context on the GLib loop for every connection. */
#include <json-glib/json-glib.h>
#include <libwebsockets.h>
#include <string.h>
#include <sys/resource.h>

#include "loadgen.h"

#define MSG_MAX 65536

typedef enum {
  S_IDLE,
  S_LOGIN,   /* HTTPS POST in flight */
  S_WS,      /* WebSocket connecting, join queued */
  S_JOINING, /* join sent, waiting for joined */
  S_JOINED,
  S_LEAVING, /* leave sent, waiting for left */
  S_DONE,
} SessionState;

typedef struct RostrumAdapter RostrumAdapter;

typedef struct {
  RostrumAdapter *a;
  unsigned index;
  SessionState state;
  char *offer, *token, *out; /* out: the message to write next */
  GString *body;             /* HTTP response or WebSocket message being read */
  int http_status;
  struct lws *wsi;
  LoadgenSdpFunc done;
  void *user;
} Session;

struct RostrumAdapter {
  struct lws_context *lws;
  GMainLoop *loop; /* lws's foreign loop: ours, never run by lws */
  void *foreign_loops[1];
  char host[128];
  int port;
  char *badge_prefix, *code;
  GHashTable *sessions; /* index → Session* (owned) */
  LoadgenLostFunc lost;
  void *user;
};

static void
session_free(Session *s)
{
  g_free(s->offer);
  g_free(s->token);
  g_free(s->out);
  g_string_free(s->body, TRUE);
  g_free(s);
}

/* Ends a join that is still waiting for its answer. */
static void
finish_join(Session *s, const char *answer, const char *error)
{
  if (!s->done)
    return;
  LoadgenSdpFunc done = s->done;
  s->done = NULL;
  done(answer, error, s->user);
}

static JsonObject *
parse_object(const char *text, gsize len)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, text, (gssize)len, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root))
    return NULL;
  return json_object_ref(json_node_get_object(root));
}

static const char *
member_string(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

static gboolean
connect_to(Session *s, const char *path, const char *method)
{
  struct lws_client_connect_info i;
  memset(&i, 0, sizeof i);
  i.context = s->a->lws;
  i.address = s->a->host;
  i.port = s->a->port;
  i.path = path;
  i.host = s->a->host;
  i.origin = s->a->host;
  i.method = method; /* NULL: WebSocket */
  i.alpn = "http/1.1";
  i.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_INSECURE;
  i.local_protocol_name = "rostrum-loadgen";
  i.userdata = s;
  i.pwsi = &s->wsi;
  return lws_client_connect_via_info(&i) != NULL;
}

static void
on_login_done(Session *s)
{
  g_autoptr(JsonObject) o = parse_object(s->body->str, s->body->len);
  const char *token = member_string(o, "token");
  if (s->http_status != 200 || !token) {
    g_autofree char *why = g_strdup_printf("login: HTTP %d %s", s->http_status,
                                           member_string(o, "error") ? member_string(o, "error")
                                                                     : "");
    s->state = S_DONE;
    finish_join(s, NULL, why);
    return;
  }
  s->token = g_strdup(token);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "join");
  json_builder_set_member_name(b, "token");
  json_builder_add_string_value(b, s->token);
  json_builder_set_member_name(b, "offer");
  json_builder_add_string_value(b, s->offer);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  s->out = json_to_string(root, FALSE);
  s->state = S_WS;
  g_string_truncate(s->body, 0);
  if (!connect_to(s, "/ws", NULL)) {
    s->state = S_DONE;
    finish_join(s, NULL, "cannot open the WebSocket");
  }
}

static void
on_ws_message(Session *s)
{
  g_autoptr(JsonObject) o = parse_object(s->body->str, s->body->len);
  const char *type = member_string(o, "type");
  if (!type)
    return;
  if (strcmp(type, "joined") == 0 && s->state == S_JOINING) {
    s->state = S_JOINED;
    const char *answer = member_string(o, "answer");
    finish_join(s, answer, answer ? NULL : "joined without an answer");
  } else if (strcmp(type, "error") == 0) {
    g_autofree char *why = g_strdup_printf("%s: %s", member_string(o, "code"),
                                           member_string(o, "message"));
    if (s->state == S_LEAVING)
      s->state = S_DONE;
    finish_join(s, NULL, why);
  } else if (strcmp(type, "media") == 0 && g_strcmp0(member_string(o, "state"), "lost") == 0) {
    if (s->state == S_JOINED)
      s->a->lost(s->index, member_string(o, "reason"), s->a->user);
  } else if (strcmp(type, "left") == 0) {
    s->state = S_DONE;
  }
}

static int
write_text(struct lws *wsi, const char *text)
{
  size_t len = strlen(text);
  g_autofree unsigned char *buf = g_malloc(LWS_PRE + len);
  memcpy(buf + LWS_PRE, text, len);
  return lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  Session *s = user;
  char buf[LWS_PRE + 4096];

  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    if (s && s->state == S_LOGIN) {
      unsigned char **p = in, *end = *p + len;
      char clen[16];
      g_snprintf(clen, sizeof clen, "%zu", strlen(s->out));
      if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                       (const unsigned char *)"application/json", 16, p, end) ||
          lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                       (const unsigned char *)clen, (int)strlen(clen), p, end))
        return -1;
      lws_client_http_body_pending(wsi, 1);
      lws_callback_on_writable(wsi);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
    if (s && s->state == S_LOGIN && s->out) {
      size_t n = strlen(s->out);
      if (n > sizeof buf - LWS_PRE)
        return -1;
      memcpy(buf + LWS_PRE, s->out, n);
      g_clear_pointer(&s->out, g_free);
      lws_client_http_body_pending(wsi, 0);
      if (lws_write(wsi, (unsigned char *)buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL) != (int)n)
        return -1;
    }
    return 0;
  case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
    if (s)
      s->http_status = (int)lws_http_client_http_response(wsi);
    return 0;
  case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
    if (s && s->body->len + len <= MSG_MAX)
      g_string_append_len(s->body, in, (gssize)len);
    return 0;
  case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
    char *px = buf + LWS_PRE;
    int lenx = (int)(sizeof buf - LWS_PRE);
    return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
  }
  case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
    if (s && s->state == S_LOGIN) {
      s->wsi = NULL;
      on_login_done(s);
    }
    return -1; /* done with this connection */
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    if (s && s->state == S_WS) {
      s->state = S_JOINING;
      lws_callback_on_writable(wsi);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_WRITEABLE:
    if (s && s->out) {
      g_autofree char *text = g_steal_pointer(&s->out);
      return write_text(wsi, text);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_RECEIVE:
    if (!s)
      return 0;
    if (s->body->len + len > MSG_MAX)
      return -1;
    g_string_append_len(s->body, in, (gssize)len);
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
      on_ws_message(s);
      g_string_truncate(s->body, 0);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    if (s) {
      g_autofree char *why = g_strdup_printf("connection: %s", in ? (const char *)in : "error");
      s->wsi = NULL;
      if (s->state != S_JOINED)
        s->state = S_DONE;
      finish_join(s, NULL, why);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_CLOSED:
  case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    if (s && s->wsi == wsi) {
      s->wsi = NULL;
      if (s->state == S_JOINED)
        s->a->lost(s->index, "websocket_closed", s->a->user);
      if (s->state != S_LOGIN)
        s->state = S_DONE;
      finish_join(s, NULL, "connection closed");
    }
    return 0;
  default:
    return 0;
  }
}

static const struct lws_protocols protocols[] = {
  {"rostrum-loadgen", callback, 0, 16384, 0, NULL, 16384},
  {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void rostrum_destroy(gpointer self);

static gpointer
rostrum_create(const LoadgenAdapterArgs *args, GMainContext *ctx, LoadgenLostFunc lost, void *user,
               GError **error)
{
  RostrumAdapter *a = g_new0(RostrumAdapter, 1);
  g_autofree char *url = g_strdup(args->url);
  const char *prot = NULL, *addr = NULL, *path = NULL;
  struct lws_context_creation_info info;
  struct rlimit rl;

  a->sessions = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                      (GDestroyNotify)session_free);
  a->lost = lost;
  a->user = user;
  a->badge_prefix = g_strdup(args->badge_prefix);
  a->code = g_strdup(args->code);
  if (!args->code) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "adapter rostrum needs --code");
    goto fail;
  }
  if (lws_parse_uri(url, &prot, &addr, &a->port, &path) || strcmp(prot, "https") != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--url must be https://HOST:PORT");
    goto fail;
  }
  g_strlcpy(a->host, addr, sizeof a->host);
  a->loop = g_main_loop_new(ctx, FALSE);
  a->foreign_loops[0] = a->loop;
  lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.foreign_loops = a->foreign_loops;
  info.pt_serv_buf_size = 32768;
  /* lws gives up on a server after 5 s by default; a browser's fetch waits,
   * and in a storm logins queue behind the server's password hashing */
  info.timeout_secs = 120;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    info.fd_limit_per_thread = (unsigned)rl.rlim_cur;
  if (!(a->lws = lws_create_context(&info))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "lws_create_context failed (is libwebsockets-evlib-glib installed?)");
    goto fail;
  }
  return a;

fail:
  rostrum_destroy(a);
  return NULL;
}

static void
rostrum_join(gpointer self, unsigned index, const char *offer, LoadgenSdpFunc done, void *user)
{
  RostrumAdapter *a = self;
  Session *s = g_new0(Session, 1);
  s->a = a;
  s->index = index;
  s->offer = g_strdup(offer);
  s->body = g_string_new(NULL);
  s->done = done;
  s->user = user;
  s->state = S_LOGIN;
  g_hash_table_replace(a->sessions, GUINT_TO_POINTER(index), s);

  g_autofree char *badge = g_strdup_printf("%s%05u", a->badge_prefix, index + 1);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "badge");
  json_builder_add_string_value(b, badge);
  json_builder_set_member_name(b, "code");
  json_builder_add_string_value(b, a->code);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  s->out = json_to_string(root, FALSE);
  if (!connect_to(s, "/api/login", "POST")) {
    /* the error callback may already have run */
    s->state = S_DONE;
    finish_join(s, NULL, "cannot connect to signalling");
  }
}

static void
rostrum_leave(gpointer self, unsigned index)
{
  RostrumAdapter *a = self;
  Session *s = g_hash_table_lookup(a->sessions, GUINT_TO_POINTER(index));
  if (!s || !s->wsi || (s->state != S_JOINED && s->state != S_JOINING)) {
    if (s && s->state != S_DONE && !s->wsi)
      s->state = S_DONE;
    return;
  }
  g_free(s->out);
  s->out = g_strdup("{\"type\":\"leave\"}");
  s->state = S_LEAVING;
  lws_callback_on_writable(s->wsi);
}

static gboolean
rostrum_idle(gpointer self)
{
  RostrumAdapter *a = self;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, a->sessions);
  while (g_hash_table_iter_next(&it, NULL, &value))
    if (((Session *)value)->state == S_LEAVING)
      return FALSE;
  return TRUE;
}

static void
rostrum_destroy(gpointer self)
{
  RostrumAdapter *a = self;
  if (a->lws)
    lws_context_destroy(a->lws); /* closes every connection, callbacks still see sessions */
  g_hash_table_destroy(a->sessions);
  if (a->loop)
    g_main_loop_unref(a->loop);
  g_free(a->badge_prefix);
  g_free(a->code);
  g_free(a);
}

const LoadgenAdapterOps loadgen_adapter_rostrum = {
  .name = "rostrum",
  .remote_offers = FALSE,
  .create = rostrum_create,
  .join = rostrum_join,
  .answer = NULL,
  .leave = rostrum_leave,
  .idle = rostrum_idle,
  .destroy = rostrum_destroy,
};
