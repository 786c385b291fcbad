/* SPDX-License-Identifier: Apache-2.0 */
#include "peer_link.h"

#include <gio/gunixsocketaddress.h>
#include <gst/sdp/sdp.h>
#include <nice/agent.h>
#include <string.h>

struct PeerLink {
  const PeerLinkIdentity *id;
  const PeerLinkCallbacks *cb;
  gpointer user;
  const char *prefix;
  GSocketConnection *conn;
  GDataInputStream *in;
  GCancellable *cancel;
  GstElement *pipe;
  GstElement *webrtc;
  guint bus_watch;
  char *offer_text;
  gboolean offer_sent;
  gboolean answered;
  gboolean failed;
};

static void link_read_next(PeerLink *link);

static void link_fail(PeerLink *link, int status, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
link_fail(PeerLink *link, int status, const char *fmt, ...)
{
  va_list ap;
  if (link->failed)
    return;
  link->failed = TRUE;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  link->cb->failed(link, status, msg, link->user);
}

char *
peer_link_sdp_setup(const char *sdp)
{
  const char *s = strstr(sdp, "a=setup:");
  if (!s)
    return NULL;
  s += strlen("a=setup:");
  return g_strndup(s, strcspn(s, "\r\n "));
}

static void
link_apply_answer(PeerLink *link, const char *sdp_text)
{
  GstSDPMessage *sdp = NULL;
  if (gst_sdp_message_new_from_text(sdp_text, &sdp) != GST_SDP_OK) {
    link_fail(link, 1, "relay answer is not SDP");
    return;
  }
  GstWebRTCSessionDescription *answer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  GstPromise *promise = gst_promise_new();
  g_signal_emit_by_name(link->webrtc, "set-remote-description", answer, promise);
  gst_promise_wait(promise);
  const GstStructure *reply = gst_promise_get_reply(promise);
  GError *err = NULL;
  if (reply && gst_structure_get(reply, "error", G_TYPE_ERROR, &err, NULL) && err) {
    link_fail(link, 1, "webrtcbin refused the answer: %s", err->message);
    g_error_free(err);
  } else {
    link->answered = TRUE;
  }
  gst_promise_unref(promise);
  gst_webrtc_session_description_free(answer);
}

static void
link_on_add_reply(PeerLink *link, const CtlMessage *msg, const char *line)
{
  const char *answer = ctl_get_string(msg, "answer");
  if (!msg->ok) {
    g_printerr("%s: offer was:\n%s\n", link->prefix, link->offer_text);
    link_fail(link, 1, "peer.add refused: %s: %s", ctl_get_string(msg, "error"),
              ctl_get_string(msg, "message"));
  } else if (!answer) {
    link_fail(link, 1, "peer.add reply has no answer: %s", line);
  } else if (!link->cb->answer || link->cb->answer(link, answer, link->user)) {
    link_apply_answer(link, answer);
  }
}

static void
link_on_line(GObject *src, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *line =
      g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(src), res, &len, &error);
  g_autofree char *detail = NULL;
  CtlMessage msg;

  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  PeerLink *link = data;
  if (!line) {
    if (!link->answered)
      link_fail(link, 1, "control socket closed before the reply: %s",
                error ? error->message : "EOF");
    return;
  }
  int rc = ctl_parse(line, len, &msg, &detail);
  if (rc == CTL_OK && msg.kind == CTL_KIND_REPLY && msg.id == PEER_LINK_ADD_ID &&
      link->offer_sent && !link->answered)
    link_on_add_reply(link, &msg, line);
  else
    link->cb->line(link, line, len, rc == CTL_OK ? &msg : NULL, rc, detail, link->user);
  if (rc == CTL_OK)
    ctl_message_clear(&msg);
  if (!link->failed)
    link_read_next(link);
}

static void
link_read_next(PeerLink *link)
{
  g_data_input_stream_read_line_async(link->in, G_PRIORITY_DEFAULT, link->cancel, link_on_line,
                                      link);
}

gboolean
peer_link_request(PeerLink *link, gint64 id, const char *type, JsonObject *extra, GError **error)
{
  g_autofree char *line = ctl_build_request(id, type, extra);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(link->conn));
  return g_output_stream_write_all(out, line, strlen(line), NULL, NULL, error);
}

static void
link_send_offer(PeerLink *link)
{
  g_autoptr(JsonObject) extra = json_object_new();
  g_autoptr(GError) error = NULL;
  GstWebRTCSessionDescription *local = NULL;

  if (link->offer_sent || link->failed)
    return;
  g_object_get(link->webrtc, "local-description", &local, NULL);
  if (!local) {
    link_fail(link, 2, "no local description after ICE gathering");
    return;
  }
  link->offer_text = gst_sdp_message_as_text(local->sdp);
  gst_webrtc_session_description_free(local);
  if (link->cb->offer && !link->cb->offer(link, link->offer_text, link->user)) {
    link->failed = TRUE;
    return;
  }

  json_object_set_string_member(extra, "peer", link->id->peer);
  json_object_set_string_member(extra, "participant", link->id->participant);
  json_object_set_string_member(extra, "role", link->id->role);
  if (link->id->booth)
    json_object_set_string_member(extra, "booth", link->id->booth);
  JsonArray *tracks = json_array_new();
  for (const char *const *t = link->id->tracks; *t; t++)
    json_array_add_string_element(tracks, *t);
  json_object_set_array_member(extra, "tracks", tracks);
  json_object_set_string_member(extra, "offer", link->offer_text);
  if (!peer_link_request(link, PEER_LINK_ADD_ID, "peer.add", extra, &error)) {
    link_fail(link, 2, "write to control socket: %s", error->message);
    return;
  }
  link->offer_sent = TRUE;
}

static gboolean
link_send_offer_idle(gpointer data)
{
  link_send_offer(data);
  return G_SOURCE_REMOVE;
}

/* webrtcbin's thread: hop to the main context. */
static void
link_on_gathering(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    g_main_context_invoke(NULL, link_send_offer_idle, data);
}

static void
link_on_ice_state(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  PeerLink *link = data;
  GstWebRTCICEConnectionState state;
  g_object_get(webrtc, "ice-connection-state", &state, NULL);
  g_printerr("%s: ice-connection-state %d\n", link->prefix, (int)state);
}

static void
link_on_offer_created(GstPromise *promise, gpointer data)
{
  PeerLink *link = data;
  GstWebRTCSessionDescription *offer = NULL;
  const GstStructure *reply = gst_promise_get_reply(promise);
  gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref(promise);
  if (!offer) {
    g_printerr("%s: create-offer gave no offer\n", link->prefix);
    return;
  }
  /* With a promise, not NULL: when webrtcbin is already closed (the peer is
   * stopping), it replies with an error structure, and with no promise to
   * own it that structure leaks (GStreamer 1.22, LeakSanitizer). */
  GstPromise *done = gst_promise_new();
  g_signal_emit_by_name(link->webrtc, "set-local-description", offer, done);
  gst_promise_unref(done);
  gst_webrtc_session_description_free(offer);
}

static void
link_on_negotiation_needed(GstElement *webrtc, gpointer data)
{
  GstPromise *promise = gst_promise_new_with_change_func(link_on_offer_created, data, NULL);
  g_signal_emit_by_name(webrtc, "create-offer", NULL, promise);
}

static gboolean
link_on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
  PeerLink *link = data;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = NULL;
    g_autofree char *dbg = NULL;
    gst_message_parse_error(msg, &err, &dbg);
    link_fail(link, 1, "pipeline error from %s: %s (%s)", GST_OBJECT_NAME(msg->src), err->message,
              dbg ? dbg : "");
  }
  return G_SOURCE_CONTINUE;
}

/* Gather on 127.0.0.1 only, over UDP: the test stays on loopback whatever
 * interfaces the host has (libnice skips loopback by default). */
static gboolean
link_use_loopback(GstElement *webrtc, GError **error)
{
  g_autoptr(GObject) ice = NULL;
  g_autoptr(GObject) agent = NULL;
  NiceAddress addr;

  g_object_get(webrtc, "ice-agent", &ice, NULL);
  if (!ice || !g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "webrtcbin's ICE agent is not libnice");
    return FALSE;
  }
  g_object_set(ice, "ice-tcp", FALSE, NULL);
  g_object_get(ice, "agent", &agent, NULL);
  nice_address_init(&addr);
  if (!agent || !nice_address_set_from_string(&addr, "127.0.0.1") ||
      !nice_agent_add_local_address(NICE_AGENT(agent), &addr)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot restrict ICE to 127.0.0.1");
    return FALSE;
  }
  return TRUE;
}

PeerLink *
peer_link_new(const char *socket_path, const PeerLinkIdentity *id, const char *log_prefix,
              const PeerLinkCallbacks *cb, gpointer user, GError **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(socket_path);
  PeerLink *link = g_new0(PeerLink, 1);

  link->id = id;
  link->cb = cb;
  link->user = user;
  link->prefix = log_prefix;
  link->cancel = g_cancellable_new();
  link->pipe = gst_pipeline_new("peer");
  link->webrtc = gst_element_factory_make("webrtcbin", "webrtc");
  if (!link->webrtc) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "no webrtcbin element (gstreamer1.0-plugins-bad)");
    goto fail;
  }
  g_object_set(link->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  if (!link_use_loopback(link->webrtc, error))
    goto fail;
  gst_bin_add(GST_BIN(link->pipe), link->webrtc);
  if (!(link->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, error))) {
    g_prefix_error(error, "connect %s: ", socket_path);
    goto fail;
  }
  link->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(link->conn)));
  g_data_input_stream_set_newline_type(link->in, G_DATA_STREAM_NEWLINE_TYPE_LF);
  g_buffered_input_stream_set_buffer_size(G_BUFFERED_INPUT_STREAM(link->in), CTL_MAX_LINE);

  g_signal_connect(link->webrtc, "on-negotiation-needed", G_CALLBACK(link_on_negotiation_needed),
                   link);
  g_signal_connect(link->webrtc, "notify::ice-gathering-state", G_CALLBACK(link_on_gathering),
                   link);
  g_signal_connect(link->webrtc, "notify::ice-connection-state", G_CALLBACK(link_on_ice_state),
                   link);
  GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(link->pipe));
  link->bus_watch = gst_bus_add_watch(bus, link_on_bus, link);
  gst_object_unref(bus);
  link_read_next(link);
  return link;

fail:
  peer_link_free(link);
  return NULL;
}

void
peer_link_free(PeerLink *link)
{
  if (!link)
    return;
  g_cancellable_cancel(link->cancel);
  if (link->bus_watch)
    g_source_remove(link->bus_watch);
  gst_element_set_state(link->pipe, GST_STATE_NULL);
  gst_object_unref(link->pipe);
  if (link->conn)
    g_io_stream_close(G_IO_STREAM(link->conn), NULL, NULL);
  g_clear_object(&link->in);
  g_clear_object(&link->conn);
  g_object_unref(link->cancel);
  g_free(link->offer_text);
  g_free(link);
}

GstElement *
peer_link_pipeline(PeerLink *link)
{
  return link->pipe;
}

GstElement *
peer_link_webrtc(PeerLink *link)
{
  return link->webrtc;
}

gboolean
peer_link_add_transceiver(PeerLink *link, GstWebRTCRTPTransceiverDirection direction)
{
  GstWebRTCRTPTransceiver *trans = NULL;
  /* encoding-params=2: RFC 7587 requires "opus/48000/2" in the rtpmap and
   * the relay insists; without it webrtcbin offers "OPUS/48000". */
  GstCaps *caps = gst_caps_from_string("application/x-rtp,media=audio,encoding-name=OPUS,"
                                       "clock-rate=48000,payload=111,encoding-params=(string)2");
  g_signal_emit_by_name(link->webrtc, "add-transceiver", direction, caps, &trans);
  gst_caps_unref(caps);
  if (!trans)
    return FALSE;
  gst_object_unref(trans);
  return TRUE;
}

gboolean
peer_link_add_source(PeerLink *link, GstElement *src_bin,
                     GstWebRTCRTPTransceiverDirection direction)
{
  g_autoptr(GstWebRTCRTPTransceiver) trans = NULL;
  GstPad *src = gst_element_get_static_pad(src_bin, "src");
  GstPad *sink = gst_element_request_pad_simple(link->webrtc, "sink_%u");
  gboolean ok = src && sink && gst_pad_link(src, sink) == GST_PAD_LINK_OK;
  if (ok && direction != GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV) {
    g_object_get(sink, "transceiver", &trans, NULL);
    ok = trans != NULL;
    if (ok)
      g_object_set(trans, "direction", direction, NULL);
  }
  if (src)
    gst_object_unref(src);
  if (sink)
    gst_object_unref(sink);
  return ok;
}

gboolean
peer_link_offer_sent(const PeerLink *link)
{
  return link->offer_sent;
}

gboolean
peer_link_answered(const PeerLink *link)
{
  return link->answered;
}

const char *
peer_link_offer(const PeerLink *link)
{
  return link->offer_text;
}

int
peer_link_pad_mline(GstPad *pad)
{
  g_autoptr(GstWebRTCRTPTransceiver) trans = NULL;
  guint mline = G_MAXUINT;
  if (!g_object_class_find_property(G_OBJECT_GET_CLASS(pad), "transceiver"))
    return -1;
  g_object_get(pad, "transceiver", &trans, NULL);
  if (!trans)
    return -1;
  g_object_get(trans, "mlineindex", &mline, NULL);
  return mline == G_MAXUINT ? -1 : (int)mline;
}
