/* SPDX-License-Identifier: Apache-2.0 */
/* Adapter "rostrum": a listener joins like the delegate page does
 * (docs/websocket.md): POST /api/login {badge, code} over HTTPS → token,
 * then a WebSocket /ws: {"type":"join",token,offer} → {"type":"joined",
 * answer}; leaving sends {"type":"leave"} and waits for "left". One
 * libwebsockets client context on the GLib loop for every connection.
 *
 * With --prelogin the two steps come apart: prepare() logs every listener
 * in first, at most login_concurrency at a time (PBKDF2 on the server is
 * the delegate's once-a-day cost, not the join's), keeps the tokens and
 * prints its own summary; join() then opens the WebSocket at once and joins
 * with the kept token, like delegates who re-join after a network blip or a
 * relay restart. */
#include <json-glib/json-glib.h>
#include <libwebsockets.h>
#include <string.h>
#include <sys/resource.h>

#include "listener.h"
#include "loadgen.h"

#define MSG_MAX 65536
#define LWS_TIMEOUT_S 120    /* see rostrum_create() */
#define PROGRESS_US 2000000  /* prelogin progress on stderr */
#define TOKEN_MARGIN_S 120   /* warn if a kept token expires sooner */

typedef enum {
  S_IDLE,
  S_LOGIN,   /* HTTPS POST in flight */
  S_READY,   /* prelogin: logged in, the token kept for join() */
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
  char *error;               /* prelogin: why the login failed, for join() */
  GString *body;             /* HTTP response or WebSocket message being read */
  int http_status;
  struct lws *wsi;
  gint64 t_login_us;         /* the login's request */
  gint64 t_ws_us;            /* the WebSocket's connect, for traces */
  double login_ms;           /* request → response; -1 if none */
  gint64 expires_at;         /* the token's, Unix seconds */
  GSource *fail_soon;        /* prelogin: join() fails from the loop, not inside */
  LoadgenSdpFunc done;
  void *user;
} Session;

struct RostrumAdapter {
  struct lws_context *lws;
  GMainLoop *loop; /* lws's foreign loop: ours, never run by lws */
  void *foreign_loops[1];
  char host[128];
  char origin[160]; /* https://host:port: the page's origin, which signalling checks */
  int port;
  char *badge_prefix, *code;
  gboolean trace;
  GHashTable *sessions; /* index → Session* (owned) */
  LoadgenLostFunc lost;
  void *user;
  /* prelogin: listeners 0..n_login-1 log in, at most login_concurrency at once */
  gboolean prelogin;
  unsigned login_concurrency, n_login, login_next, login_active, login_ok, login_failed;
  gboolean pumping; /* login_pump() is starting logins: no nested pump */
  gint64 t_login0_us, t_progress_us;
  GSource *prepared_idle;
  LoadgenPreparedFunc prepared; /* NULL once called */
  void *prepared_user;
};

static Session *
session_new(RostrumAdapter *a, unsigned index)
{
  Session *s = g_new0(Session, 1);
  s->a = a;
  s->index = index;
  s->body = g_string_new(NULL);
  s->login_ms = -1;
  g_hash_table_replace(a->sessions, GUINT_TO_POINTER(index), s);
  return s;
}

/* --verbose: one signalling step of the join, since the WebSocket's connect. */
static void
trace(Session *s, const char *what)
{
  if (s->a->trace)
    g_printerr("loadgen: lg-%u ws +%.1f ms %s\n", s->index,
               (double)(g_get_monotonic_time() - s->t_ws_us) / 1000.0, what);
}

static void
session_free(Session *s)
{
  loadgen_clear_source(&s->fail_soon);
  g_free(s->offer);
  g_free(s->token);
  g_free(s->out);
  g_free(s->error);
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
  i.origin = s->a->origin;
  i.method = method; /* NULL: WebSocket */
  i.alpn = "http/1.1";
  i.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_INSECURE;
  i.local_protocol_name = "rostrum-loadgen";
  i.userdata = s;
  i.pwsi = &s->wsi;
  return lws_client_connect_via_info(&i) != NULL;
}

/* The join message with the token; the WebSocket connects now. */
static void
start_ws_join(Session *s)
{
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
  g_free(s->out);
  s->out = json_to_string(root, FALSE);
  s->state = S_WS;
  g_string_truncate(s->body, 0);
  s->t_ws_us = g_get_monotonic_time();
  if (!connect_to(s, "/ws", NULL)) {
    s->state = S_DONE;
    finish_join(s, NULL, "cannot open the WebSocket");
  }
}

static void login_pump(RostrumAdapter *a);

/* A login has its answer: @token (borrowed), or NULL and @why. Without
 * prelogin the join goes on; with it the token is kept for join(). */
static void
login_ended(Session *s, const char *token, gint64 expires_at, const char *why)
{
  RostrumAdapter *a = s->a;
  gint64 now = g_get_monotonic_time();

  if (s->state != S_LOGIN)
    return; /* the error callback ran already */
  s->login_ms = (double)(now - s->t_login_us) / 1000.0;
  g_string_truncate(s->body, 0);
  if (!a->prelogin) {
    if (!token) {
      s->state = S_DONE;
      finish_join(s, NULL, why);
      return;
    }
    s->token = g_strdup(token);
    start_ws_join(s);
    return;
  }
  if (token) {
    s->token = g_strdup(token);
    s->expires_at = expires_at;
    s->state = S_READY;
    a->login_ok++;
  } else {
    s->error = g_strdup(why);
    s->state = S_DONE;
    a->login_failed++;
    g_printerr("loadgen: lg-%u login failed: %s\n", s->index, why);
  }
  a->login_active--;
  if (now - a->t_progress_us >= PROGRESS_US) {
    a->t_progress_us = now;
    g_printerr("loadgen: prelogin %u/%u logged in, %u failed\n", a->login_ok, a->n_login,
               a->login_failed);
  }
  login_pump(a);
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
    login_ended(s, NULL, 0, why);
    return;
  }
  login_ended(s, token, json_object_get_int_member_with_default(o, "expires_at", 0), NULL);
}

static void
on_ws_message(Session *s)
{
  g_autoptr(JsonObject) o = parse_object(s->body->str, s->body->len);
  const char *type = member_string(o, "type");
  if (!type)
    return;
  if (strcmp(type, "joined") == 0 && s->state == S_JOINING) {
    trace(s, "joined");
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
      trace(s, "established");
      s->state = S_JOINING;
      lws_callback_on_writable(wsi);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_WRITEABLE:
    if (s && s->out) {
      g_autofree char *text = g_steal_pointer(&s->out);
      if (s->state == S_JOINING)
        trace(s, "join sent");
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
      if (s->state == S_LOGIN) {
        login_ended(s, NULL, 0, why);
        return 0;
      }
      if (s->state != S_JOINED)
        s->state = S_DONE;
      finish_join(s, NULL, why);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_CLOSED:
  case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    if (s && s->wsi == wsi) {
      s->wsi = NULL;
      if (s->state == S_LOGIN) {
        login_ended(s, NULL, 0, "login: connection closed");
        return 0;
      }
      if (s->state == S_JOINED)
        s->a->lost(s->index, "websocket_closed", s->a->user);
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
  a->prelogin = args->prelogin;
  a->trace = args->trace;
  a->login_concurrency = args->login_concurrency ? args->login_concurrency : 1;
  if (!args->code) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "adapter rostrum needs --code");
    goto fail;
  }
  if (lws_parse_uri(url, &prot, &addr, &a->port, &path) || strcmp(prot, "https") != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--url must be https://HOST:PORT");
    goto fail;
  }
  g_strlcpy(a->host, addr, sizeof a->host);
  g_snprintf(a->origin, sizeof a->origin, "https://%s:%d", a->host, a->port);
  a->loop = g_main_loop_new(ctx, FALSE);
  a->foreign_loops[0] = a->loop;
  lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  /* RAW_ORIGIN: send our origin as is, not "http://" + it */
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
  info.foreign_loops = a->foreign_loops;
  info.pt_serv_buf_size = 32768;
  /* lws gives up on a server after 5 s by default; a browser's fetch waits,
   * and in a storm logins queue behind the server's password hashing, and
   * TLS and WebSocket handshakes behind each other on the server's loop */
  info.timeout_secs = LWS_TIMEOUT_S;
  info.connect_timeout_secs = LWS_TIMEOUT_S;
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

/* POSTs the login of @s (new, S_LOGIN); login_ended() follows. */
static void
start_login(Session *s)
{
  RostrumAdapter *a = s->a;
  g_autofree char *badge = g_strdup_printf("%s%05u", a->badge_prefix, s->index + 1);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "badge");
  json_builder_add_string_value(b, badge);
  json_builder_set_member_name(b, "code");
  json_builder_add_string_value(b, a->code);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  s->out = json_to_string(root, FALSE);
  s->state = S_LOGIN;
  s->t_login_us = g_get_monotonic_time();
  if (!connect_to(s, "/api/login", "POST"))
    login_ended(s, NULL, 0, "cannot connect to signalling"); /* no-op if the error callback ran */
}

/* prelogin: "prelogin listeners=… ok=… …" once every login has ended. */
static gboolean
on_prepared(gpointer data)
{
  RostrumAdapter *a = data;
  gint64 now = g_get_monotonic_time(), wall = g_get_real_time() / G_USEC_PER_SEC;
  g_autofree double *ms = g_new0(double, a->n_login + 1);
  gint64 first_expiry = G_MAXINT64;
  size_t n_ms = 0;

  g_source_unref(a->prepared_idle);
  a->prepared_idle = NULL;
  for (unsigned i = 0; i < a->n_login; i++) {
    Session *s = g_hash_table_lookup(a->sessions, GUINT_TO_POINTER(i));
    if (!s || s->state != S_READY)
      continue;
    ms[n_ms++] = s->login_ms;
    if (s->expires_at > 0)
      first_expiry = MIN(first_expiry, s->expires_at);
  }
  double took_s = (double)(now - a->t_login0_us) / 1e6;
  gint64 ttl_left = first_expiry == G_MAXINT64 ? 0 : first_expiry - wall;
  double p50 = loadgen_quantile(ms, n_ms, 0.5), p99 = loadgen_quantile(ms, n_ms, 0.99);
  g_autofree char *summary = g_strdup_printf(
      "prelogin listeners=%u ok=%u failed=%u login_concurrency=%u duration_s=%.2f "
      "logins_per_s=%.1f login_p50_ms=%.0f login_p99_ms=%.0f token_ttl_left_s=%" G_GINT64_FORMAT,
      a->n_login, a->login_ok, a->login_failed, a->login_concurrency, took_s,
      took_s > 0 ? a->login_ok / took_s : 0.0, p50, p99, ttl_left);
  if (n_ms && ttl_left < TOKEN_MARGIN_S)
    g_printerr("loadgen: warning: the first token expires in %" G_GINT64_FORMAT
               " s; joins after that get expired_token (raise [signalling] token_ttl_seconds)\n",
               ttl_left);
  LoadgenPreparedFunc done = a->prepared;
  a->prepared = NULL;
  if (done)
    done(summary, a->prepared_user);
  return G_SOURCE_REMOVE;
}

/* prelogin: starts logins up to login_concurrency in flight; once all ended,
 * on_prepared() from the loop. */
static void
login_pump(RostrumAdapter *a)
{
  if (a->pumping)
    return; /* a login ended inside start_login(): the outer loop goes on */
  a->pumping = TRUE;
  while (a->login_active < a->login_concurrency && a->login_next < a->n_login) {
    Session *s = session_new(a, a->login_next++);
    a->login_active++;
    start_login(s);
  }
  a->pumping = FALSE;
  if (a->login_ok + a->login_failed == a->n_login && a->prepared && !a->prepared_idle)
    a->prepared_idle = loadgen_timeout_on(g_main_loop_get_context(a->loop), 0, on_prepared, a);
}

static gboolean
rostrum_prepare(gpointer self, unsigned n, LoadgenPreparedFunc done, void *user)
{
  RostrumAdapter *a = self;
  if (!a->prelogin)
    return FALSE;
  a->n_login = n;
  a->prepared = done;
  a->prepared_user = user;
  a->t_login0_us = a->t_progress_us = g_get_monotonic_time();
  g_printerr("loadgen: prelogin: %u logins, %u in flight at most (untimed)\n", n,
             a->login_concurrency);
  login_pump(a);
  return TRUE;
}

static gboolean
on_fail_soon(gpointer data)
{
  Session *s = data;
  g_source_unref(s->fail_soon);
  s->fail_soon = NULL;
  finish_join(s, NULL, s->error ? s->error : "not logged in");
  return G_SOURCE_REMOVE;
}

static void
rostrum_join(gpointer self, unsigned index, const char *offer, LoadgenSdpFunc done, void *user)
{
  RostrumAdapter *a = self;
  Session *s = g_hash_table_lookup(a->sessions, GUINT_TO_POINTER(index));

  if (!a->prelogin || !s)
    s = session_new(a, index);
  g_free(s->offer);
  s->offer = g_strdup(offer);
  s->done = done;
  s->user = user;
  if (!a->prelogin) {
    start_login(s);
    return;
  }
  if (s->state != S_READY) { /* its login failed: the listener fails with its reason */
    if (!s->fail_soon)
      s->fail_soon = loadgen_timeout_on(g_main_loop_get_context(a->loop), 0, on_fail_soon, s);
    return;
  }
  start_ws_join(s); /* the join clock started at this call */
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
  loadgen_clear_source(&a->prepared_idle);
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
  .join_from = "login",
  .join_from_prepared = "token",
  .create = rostrum_create,
  .prepare = rostrum_prepare,
  .join = rostrum_join,
  .answer = NULL,
  .leave = rostrum_leave,
  .idle = rostrum_idle,
  .destroy = rostrum_destroy,
};
