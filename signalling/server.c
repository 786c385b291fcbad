/* SPDX-License-Identifier: Apache-2.0 */
#include "server.h"

#include "export.h"
#include "json_text.h"
#include "token.h"
#include "ws.h"

#include <gio/gio.h>
#include <libwebsockets.h>
#include <string.h>
#include <sys/resource.h>

#define FD_LIMIT_CAP 262144

/* Per HTTP transaction on the /api mount (lws zeroes it, lws frees it). */
typedef struct PendingLogin PendingLogin;

typedef struct {
  GByteArray *body; /* owned */
  char *response;   /* owned, JSON text (or the content_type's) */
  const char *content_type; /* static; NULL: application/json */
  char *filename;   /* owned: a download's name (Content-Disposition), or NULL */
  unsigned int status;
  gboolean too_big;
  gboolean is_login;
  PendingLogin *pending; /* a login whose hash is being checked (borrowed) */
} HttpReq;

/* A login on its way through the hashing pool and back to the loop. */
struct PendingLogin {
  SigApp *app;
  struct lws *wsi; /* NULL once the connection closed */
  LoginJob *job;   /* owned */
};

static void
http_req_clear(HttpReq *req)
{
  if (req->pending)
    req->pending->wsi = NULL; /* the answer finds nobody; the attempt still counts */
  if (req->body)
    g_byte_array_unref(req->body);
  g_free(req->response);
  g_free(req->filename);
  memset(req, 0, sizeof *req);
}

static void
respond(struct lws *wsi, HttpReq *req, unsigned int status, char *json)
{
  req->status = status;
  g_free(req->response);
  req->response = json;
  lws_callback_on_writable(wsi);
}

static int
write_response(struct lws *wsi, HttpReq *req)
{
  size_t body_len = req->response ? strlen(req->response) : 0;
  g_autofree unsigned char *buf = g_malloc(LWS_PRE + 1024 + body_len);
  unsigned char *start = buf + LWS_PRE, *p = start, *end = start + 1024;

  g_autofree char *disposition =
    req->filename ? g_strdup_printf("attachment; filename=\"%s\"", req->filename) : NULL;
  if (lws_add_http_common_headers(wsi, req->status,
                                  req->content_type ? req->content_type : "application/json",
                                  body_len, &p, end) ||
      (disposition &&
       lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:",
                                   (const unsigned char *)disposition, (int)strlen(disposition),
                                   &p, end)) ||
      lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                  (const unsigned char *)"no-store", 8, &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  if (body_len) {
    memcpy(start, req->response, body_len);
    if (lws_write(wsi, start, body_len, LWS_WRITE_HTTP_FINAL) != (int)body_len)
      return -1;
  }
  http_req_clear(req);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static char *
venue_text(SigApp *app)
{
  g_autoptr(JsonNode) node = live_venue_json(&app->live);
  return json_text_write(node);
}

/* The operator behind "Authorization: Bearer <token>" (transfer full), or
 * NULL after answering 401 / 403. */
static char *
operator_of(struct lws *wsi, SigApp *app, HttpReq *req)
{
  char auth[1024] = "";
  char *badge = NULL;
  if (lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
      g_ascii_strncasecmp(auth, "Bearer ", 7) != 0 ||
      token_verify(app->token_key, app->token_key_len, auth + 7,
                   g_get_real_time() / G_USEC_PER_SEC, &badge, NULL) < 0) {
    respond(wsi, req, 401, login_error_json("unauthorized",
                                            "Send an operator's token as Authorization: Bearer."));
    return NULL;
  }
  const RosterEntry *e = roster_lookup(app->roster, badge);
  if (!e || !roster_entry_has_role(e, "operator")) {
    g_free(badge);
    respond(wsi, req, 403, login_error_json("forbidden", "Only an operator may download this."));
    return NULL;
  }
  return badge;
}

/* The URL argument @name (without '='), or "" (into @buf). */
static void
url_arg(struct lws *wsi, const char *name, char *buf, int len)
{
  g_autofree char *key = g_strdup_printf("%s=", name);
  char tmp[256];
  const char *v = lws_get_urlarg_by_name(wsi, key, tmp, sizeof tmp);
  g_strlcpy(buf, v ? v : "", (gsize)len);
}

/* GET /api/bluesheet?session=S[&item=I][&per=session][&format=csv|json]
 * and GET /api/audit[?format=...]: downloads for the operator console. */
static void
export_route(struct lws *wsi, SigApp *app, HttpReq *req, gboolean audit)
{
  char session[128] = "", item[64] = "", format[16] = "csv", per[16] = "";
  g_autoptr(GError) error = NULL;
  g_autofree char *badge = operator_of(wsi, app, req);
  if (!badge)
    return;
  url_arg(wsi, "session", session, sizeof session);
  url_arg(wsi, "item", item, sizeof item);
  url_arg(wsi, "format", format, sizeof format);
  url_arg(wsi, "per", per, sizeof per);
  if (!*format)
    g_strlcpy(format, "csv", sizeof format);
  if (!audit && !*session && app->live.session)
    g_strlcpy(session, app->live.session->id, sizeof session);
  Storage *st = attendance_storage(app->attendance);
  ExportFormat fmt;
  BluesheetOptions opt = {.grace_us = BLUESHEET_GRACE_DEFAULT_S * G_USEC_PER_SEC,
                          .item = *item ? item : NULL,
                          .per_session = strcmp(per, "session") == 0};
  char *text = !export_format_parse(format, &fmt, &error) ? NULL
               : audit ? export_audit(st, fmt, &error)
                       : export_bluesheet(st, session, &opt, fmt, &error);
  if (!text) {
    respond(wsi, req, 400, login_error_json("bad_request", error->message));
    return;
  }
  req->content_type = export_content_type(fmt);
  req->filename = audit ? g_strdup_printf("%s-audit.%s", app->meeting->id, format)
                        : g_strdup_printf("%s-%s%s%s-bluesheet.%s", app->meeting->id, session,
                                          *item ? "-item-" : "", item, format);
  respond(wsi, req, 200, text);
}

/* Routes one request; POST bodies are handled at BODY_COMPLETION. */
static int
http_route(struct lws *wsi, SigApp *app, HttpReq *req)
{
  char uri[256] = "";
  gboolean post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;

  lws_hdr_copy(wsi, uri, sizeof uri, post ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI);
  if (strcmp(uri, "/api/login") == 0) {
    char type[128] = "", origin[256] = "";
    if (!post) {
      respond(wsi, req, 405, login_error_json("method_not_allowed", "Use POST."));
      return 0;
    }
    /* CSRF: a page of another site may POST "simple" bodies (text/plain)
     * without asking; JSON needs a preflight we never grant. A browser's
     * Origin, when sent, must be ours. */
    lws_hdr_copy(wsi, type, sizeof type, WSI_TOKEN_HTTP_CONTENT_TYPE);
    if (g_ascii_strncasecmp(type, "application/json", 16) != 0 ||
        (type[16] != '\0' && type[16] != ';' && type[16] != ' ')) {
      respond(wsi, req, 415,
              login_error_json("unsupported_media_type", "Send the login as application/json."));
      return 0;
    }
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) > 0 &&
        !sig_app_origin_allowed(app, origin)) {
      respond(wsi, req, 403, login_error_json("forbidden_origin",
                                              "Sign in from the meeting's own page."));
      return 0;
    }
    req->is_login = TRUE;
    req->body = g_byte_array_new();
    return 0;
  }
  if (strcmp(uri, "/api/venue") == 0) {
    if (post || lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) == 0) {
      respond(wsi, req, 405, login_error_json("method_not_allowed", "Use GET."));
      return 0;
    }
    respond(wsi, req, 200, venue_text(app));
    return 0;
  }
  if (strcmp(uri, "/api/bluesheet") == 0 || strcmp(uri, "/api/audit") == 0) {
    if (post) {
      respond(wsi, req, 405, login_error_json("method_not_allowed", "Use GET."));
      return 0;
    }
    export_route(wsi, app, req, strcmp(uri, "/api/audit") == 0);
    return 0;
  }
  respond(wsi, req, 404, login_error_json("not_found", "No such API endpoint."));
  return 0;
}

/* Loop thread: the hash is checked; answer if the client is still there. */
static gboolean
login_done(gpointer data)
{
  PendingLogin *p = data;
  char *out = NULL;
  guint status = login_finish(&p->app->login, p->job, g_get_real_time(), &out);
  if (p->wsi) {
    HttpReq *req = lws_wsi_user(p->wsi);
    req->pending = NULL;
    respond(p->wsi, req, status, out);
  } else {
    g_free(out);
  }
  login_job_free(p->job);
  g_free(p);
  return G_SOURCE_REMOVE;
}

/* A login the pool dropped at shutdown, never verified (loop thread). */
static void
login_dropped(gpointer data)
{
  PendingLogin *p = data;
  if (p->wsi)
    ((HttpReq *)lws_wsi_user(p->wsi))->pending = NULL;
  login_job_free(p->job);
  g_free(p);
}

/* Pool thread: PBKDF2 (tens of ms) must not stall every other connection. */
static void
login_verify(gpointer data, gpointer unused)
{
  PendingLogin *p = data;
  login_job_verify(p->job);
  g_main_context_invoke(NULL, login_done, p);
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
              size_t len)
{
  SigApp *app = lws_context_user(lws_get_context(wsi));
  HttpReq *req = user;

  switch (reason) {
  case LWS_CALLBACK_HTTP:
    return http_route(wsi, app, req);
  case LWS_CALLBACK_HTTP_BODY:
    if (!req->is_login || !req->body)
      return 0;
    if (req->body->len + len > SERVER_MAX_MESSAGE)
      req->too_big = TRUE;
    else
      g_byte_array_append(req->body, in, (guint)len);
    return 0;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
    char *out = NULL;
    guint status;
    if (!req->is_login)
      return 0;
    if (req->too_big) {
      respond(wsi, req, 413, login_error_json("too_large", "Request body too large."));
      return 0;
    }
    LoginJob *job = NULL;
    char addr[64] = "";
    lws_get_peer_simple(wsi, addr, sizeof addr);
    status = login_begin(&app->login, (const char *)req->body->data, req->body->len,
                         g_get_real_time(), *addr ? addr : NULL, &job, &out);
    if (!job) {
      respond(wsi, req, status, out);
      return 0;
    }
    /* queued behind other logins' hashing: give it time, not the idle timeout */
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 120);
    req->pending = g_new0(PendingLogin, 1);
    req->pending->app = app;
    req->pending->wsi = wsi;
    req->pending->job = job;
    g_thread_pool_push(app->hash_pool, req->pending, NULL);
    return 0;
  }
  case LWS_CALLBACK_HTTP_WRITEABLE:
    if (!req->status)
      return 0;
    return write_response(wsi, req);
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
  case LWS_CALLBACK_CLOSED_HTTP:
    http_req_clear(req);
    return 0;
  default:
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

/* protocols[0] also gets WebSocket connections that name no subprotocol. */
static const struct lws_protocols protocols[] = {
  {"rostrum", ws_callback, sizeof(void *), 16384, 0, NULL, 16384},
  {"rostrum-http", http_callback, sizeof(HttpReq), 16384, 0, NULL, 0},
  {NULL, NULL, 0, 0, 0, NULL, 0},
};

#define MIME(next, ext, type) {next, NULL, ext, type}
static const struct lws_protocol_vhost_options mime_any = MIME(NULL, "*", "application/octet-stream");
static const struct lws_protocol_vhost_options mime_svg = MIME(&mime_any, ".svg", "image/svg+xml");
static const struct lws_protocol_vhost_options mime_json = MIME(&mime_svg, ".json", "application/json");
static const struct lws_protocol_vhost_options mime_html = MIME(&mime_json, ".html", "text/html; charset=utf-8");
static const struct lws_protocol_vhost_options mime_css = MIME(&mime_html, ".css", "text/css; charset=utf-8");
static const struct lws_protocol_vhost_options mime_js = MIME(&mime_css, ".js", "text/javascript; charset=utf-8");
static const struct lws_protocol_vhost_options mime_mjs = MIME(&mime_js, ".mjs", "text/javascript; charset=utf-8");

static const struct lws_protocol_vhost_options hdr_nosniff =
  {NULL, NULL, "x-content-type-options:", "nosniff"};
static const struct lws_protocol_vhost_options hdr_referrer =
  {&hdr_nosniff, NULL, "referrer-policy:", "no-referrer"};
static const struct lws_protocol_vhost_options hdr_frame =
  {&hdr_referrer, NULL, "x-frame-options:", "DENY"};

static unsigned int
fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
    return 1024;
  if (rl.rlim_cur < rl.rlim_max) { /* raise the soft limit as far as allowed */
    struct rlimit want = rl;
    want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? FD_LIMIT_CAP : rl.rlim_max;
    if (want.rlim_cur > FD_LIMIT_CAP)
      want.rlim_cur = FD_LIMIT_CAP;
    if (want.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &want) == 0)
      rl.rlim_cur = want.rlim_cur;
  }
  return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FD_LIMIT_CAP ? FD_LIMIT_CAP
                                                                      : (unsigned int)rl.rlim_cur;
}

gboolean
server_start(SigApp *app, GError **error)
{
  struct lws_context_creation_info info;
  /* lws keeps pointers to these: they live as long as the app. */
  static struct lws_http_mount mount_api, mount_web;
  static char web_root[4096];

  g_autofree char *abs_root = g_canonicalize_filename(app->cfg->web_root, NULL);
  if (!g_file_test(abs_root, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "web_root %s is not a directory",
                abs_root);
    return FALSE;
  }
  g_strlcpy(web_root, abs_root, sizeof web_root);

  mount_web = (struct lws_http_mount){
    .mountpoint = "/", .origin = web_root, .def = "index.html",
    .extra_mimetypes = &mime_mjs, .origin_protocol = LWSMPRO_FILE, .mountpoint_len = 1,
    .cache_max_age = 0, .cache_revalidate = 1,
  };
  mount_api = (struct lws_http_mount){
    .mount_next = &mount_web, .mountpoint = "/api", .origin = "rostrum-http",
    .origin_protocol = LWSMPRO_CALLBACK, .mountpoint_len = 4,
  };

  lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
  memset(&info, 0, sizeof info);
  app->foreign_loops[0] = app->loop;
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
  info.foreign_loops = app->foreign_loops;
  info.pt_serv_buf_size = 32768;
  info.fd_limit_per_thread = fd_limit();
  info.user = app;
  app->lws = lws_create_context(&info);
  if (!app->lws) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "lws_create_context failed (is libwebsockets-evlib-glib installed?)");
    return FALSE;
  }

  memset(&info, 0, sizeof info);
  info.vhost_name = "rostrum";
  info.iface = app->cfg->listen_address;
  info.port = app->cfg->listen_port;
  info.protocols = protocols;
  info.mounts = &mount_api;
  info.headers = &hdr_frame;
  info.ssl_cert_filepath = app->cfg->tls_cert;
  info.ssl_private_key_filepath = app->cfg->tls_key;
  info.alpn = "http/1.1";
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (!strchr(app->cfg->listen_address, ':'))
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.keepalive_timeout = 30;
  info.timeout_secs = 20;
  app->vhost = lws_create_vhost(app->lws, &info);
  if (!app->vhost) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "cannot listen on https://%s:%u/ (address in use, or bad TLS files %s %s)",
                app->cfg->listen_address, app->cfg->listen_port, app->cfg->tls_cert,
                app->cfg->tls_key);
    server_stop(app);
    return FALSE;
  }
  app->port = lws_get_vhost_listen_port(app->vhost);
  sig_app_set_origins(app);
  app->hash_pool = g_thread_pool_new_full(login_verify, NULL, login_dropped, (gint)g_get_num_processors(), FALSE,
                                     NULL);
  return TRUE;
}

void
server_stop(SigApp *app)
{
  if (app->hash_pool) {
    g_thread_pool_free(app->hash_pool, TRUE, TRUE); /* queued logins are dropped */
    app->hash_pool = NULL;
    /* the verified ones wait on the loop for their answer: finish them */
    while (g_main_context_iteration(NULL, FALSE))
      ;
  }
  if (!app->lws)
    return;
  lws_context_destroy(app->lws);
  app->lws = NULL;
  app->vhost = NULL;
}
