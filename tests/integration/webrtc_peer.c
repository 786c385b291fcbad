/* SPDX-License-Identifier: Apache-2.0 */
/* An independent WebRTC peer (GStreamer webrtcbin, not Chromium) that asks
 * the relay for the floor over the control socket and checks that it hears
 * a tone at the expected frequency.
 *
 *   webrtc_peer [OPTION...] CONTROL_SOCKET FREQ_HZ
 *
 * Options (see --help) make it the other half of the relay's tests: check the
 * negotiated SRTP profile and DTLS role, stay connected after the first check
 * (--hold: SIGUSR1 re-checks the tone on fresh audio and exits), or send an
 * offer whose DTLS fingerprint is not its certificate's and expect the relay
 * to drop it (--forge-fingerprint --expect-lost fingerprint_mismatch).
 *
 * Exit 0 when the tone dominates (or the expected loss came), 1 on a failed
 * check, 2 on a usage or setup error, 3 on timeout. */
#include <glib-unix.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "peer_link.h"
#include "tone.h"

#define PEER_RATE 48000
#define PEER_SKIP_SAMPLES (PEER_RATE / 2) /* let the decoder and jitter settle */
#define PEER_KEEP_SAMPLES PEER_RATE       /* analyse 1 s */
#define PEER_MIC_PACKETS 50 /* ~1 s of our microphone, counted by the relay */
#define PEER_TIMEOUT_S 20 /* default of --timeout */
#define PEER_MIN_RATIO 20.0
#define PEER_MIN_DBFS -40.0

typedef struct {
  /* options */
  const char *peer_id;
  const char *participant;
  const char *expect_profile; /* NULL: any */
  const char *expect_setup;   /* relay's a=setup in the answer; NULL: any */
  const char *expect_lost;    /* success = peer.lost with this reason */
  gboolean forge_fingerprint;
  gboolean hold;
  int timeout_s;
  int rtcp_interval_ms; /* 0: GStreamer's default (RFC 3550: 5 s, randomised) */

  GMainLoop *loop;
  PeerLink *link;
  GstElement *pipe; /* the link's */
  double freq;
  double mic_hz;        /* --mic-hz: also send a tone as our microphone */
  gboolean tone_ok;     /* with --mic-hz: heard the floor, waiting for the relay's count */
  gint64 mic_packets;   /* from our stats events */
  GMutex lock; /* guards samples and n_seen (streaming thread vs main) */
  float *samples;
  gsize n_samples;
  gsize n_seen;
  gboolean full; /* all samples in; analysis scheduled */
  gboolean holding;    /* --hold: first check passed, waiting for SIGUSR1 */
  gboolean rechecking; /* --hold: SIGUSR1 came, analysing fresh audio */
  char *srtp_profile;  /* from our peer.connected event */
  gboolean done;
  int status;
  gint64 t_start;
} WebrtcPeer;

static void
peer_finish(WebrtcPeer *p, int status, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
peer_finish(WebrtcPeer *p, int status, const char *fmt, ...)
{
  va_list ap;
  if (p->done)
    return;
  p->done = TRUE;
  p->status = status;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (status == 0)
    g_print("webrtc_peer: %s\n", msg);
  else
    g_printerr("webrtc_peer: FAIL: %s\n", msg);
  fflush(stdout);
  g_main_loop_quit(p->loop);
}

static gboolean
peer_on_timeout(gpointer data)
{
  WebrtcPeer *p = data;
  gsize n;
  g_mutex_lock(&p->lock);
  n = p->n_seen;
  g_mutex_unlock(&p->lock);
  peer_finish(p, 3,
              "timeout after %d s (offer sent: %s, answer applied: %s, connected: %s, "
              "samples decoded: %zu%s)",
              p->timeout_s, peer_link_offer_sent(p->link) ? "yes" : "no",
              peer_link_answered(p->link) ? "yes" : "no",
              p->srtp_profile ? p->srtp_profile : "no", n,
              p->holding ? ", holding: no SIGUSR1 came" : p->rechecking ? ", during the re-check" : "");
  return G_SOURCE_REMOVE;
}

static gboolean
peer_analyse(gpointer data)
{
  WebrtcPeer *p = data;
  double probes[3];
  ToneResult r;

  tone_default_probes(p->freq, probes);
  int pass = tone_check(p->samples, p->n_samples, PEER_RATE, p->freq, probes, 3, PEER_MIN_RATIO,
                        PEER_MIN_DBFS, &r);
  double elapsed = (double)(g_get_monotonic_time() - p->t_start) / 1e6;
  if (p->done)
    return G_SOURCE_REMOVE;
  if (pass && p->expect_lost)
    peer_finish(p, 1, "heard the %.0f Hz floor although the relay should drop us (%s)", p->freq,
                p->expect_lost);
  else if (pass && p->expect_profile && !p->srtp_profile)
    peer_finish(p, 1, "tone heard but no peer.connected event for %s came", p->peer_id);
  else if (pass && p->hold && !p->rechecking) {
    p->holding = TRUE;
    g_print("webrtc_peer: tone %.0f Hz detected, ratio %.1f, rms %.1f dBFS, %s (%.1f s)\n",
            p->freq, r.ratio, r.rms_dbfs, p->srtp_profile ? p->srtp_profile : "?", elapsed);
    g_print("webrtc_peer: holding (SIGUSR1 re-checks the tone)\n");
    fflush(stdout);
  } else if (pass && p->mic_hz > 0 && p->mic_packets < PEER_MIC_PACKETS) {
    if (!p->tone_ok)
      g_print("webrtc_peer: tone %.0f Hz detected; waiting for the relay to count our "
              "microphone\n", p->freq);
    p->tone_ok = TRUE;
  } else if (pass)
    peer_finish(p, 0, "tone %.0f Hz %sdetected, ratio %.1f, rms %.1f dBFS, %s (%.1f s)", p->freq,
                p->rechecking ? "still " : "", r.ratio, r.rms_dbfs,
                p->srtp_profile ? p->srtp_profile : "?", elapsed);
  else
    peer_finish(p, 1,
                "tone %.0f Hz not dominant: ratio %.1f (need >= %.0f), rms %.1f dBFS (need >= %.0f); "
                "energy at %.0f Hz %.3g, probes %.0f/%.0f/%.0f Hz max %.3g",
                p->freq, r.ratio, PEER_MIN_RATIO, r.rms_dbfs, PEER_MIN_DBFS, p->freq,
                r.target_energy, probes[0], probes[1], probes[2], r.probe_max);
  return G_SOURCE_REMOVE;
}

/* Streaming thread. */
static GstFlowReturn
peer_on_sample(GstAppSink *sink, gpointer data)
{
  WebrtcPeer *p = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  GstMapInfo map;
  gboolean now_full = FALSE;

  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  if (!gst_buffer_map(buf, &map, GST_MAP_READ))
    return GST_FLOW_ERROR;
  const float *f = (const float *)map.data;
  gsize n = map.size / sizeof(float);
  g_mutex_lock(&p->lock);
  for (gsize i = 0; i < n && p->n_samples < PEER_KEEP_SAMPLES; i++, p->n_seen++)
    if (p->n_seen >= PEER_SKIP_SAMPLES)
      p->samples[p->n_samples++] = f[i];
  if (p->n_samples == PEER_KEEP_SAMPLES && !p->full)
    now_full = p->full = TRUE;
  g_mutex_unlock(&p->lock);
  gst_buffer_unmap(buf, &map);
  if (now_full) {
    g_main_context_invoke(NULL, peer_analyse, p);
    /* --hold keeps the stream running for the re-check */
    return p->hold ? GST_FLOW_OK : GST_FLOW_EOS;
  }
  return GST_FLOW_OK;
}

static void
peer_on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
  WebrtcPeer *p = data;
  g_autoptr(GError) error = NULL;

  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
    return;
  GstElement *bin = gst_parse_bin_from_description(
    "rtpopusdepay ! opusdec ! audioconvert ! audioresample ! "
    "audio/x-raw,format=F32LE,channels=1,rate=48000 ! appsink name=sink sync=false",
    TRUE, &error);
  if (!bin) {
    g_printerr("webrtc_peer: decode bin: %s\n", error->message);
    return;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
  GstAppSinkCallbacks cb = {.new_sample = peer_on_sample};
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, p, NULL);
  gst_object_unref(sink);
  gst_bin_add(GST_BIN(p->pipe), bin);
  gst_element_sync_state_with_parent(bin);
  GstPad *sinkpad = gst_element_get_static_pad(bin, "sink");
  GstPadLinkReturn rc = gst_pad_link(pad, sinkpad);
  gst_object_unref(sinkpad);
  g_printerr("webrtc_peer: remote audio pad %s linked: %s\n", GST_PAD_NAME(pad),
             gst_pad_link_get_name(rc));
}

/* SIGUSR1 in --hold: analyse a fresh second of audio, then exit. */
static gboolean
peer_on_recheck(gpointer data)
{
  WebrtcPeer *p = data;
  if (!p->holding)
    return G_SOURCE_CONTINUE; /* first check not passed yet: ignore */
  g_printerr("webrtc_peer: SIGUSR1: re-checking the tone\n");
  g_mutex_lock(&p->lock);
  p->n_samples = 0;
  p->n_seen = 0;
  p->full = FALSE;
  g_mutex_unlock(&p->lock);
  p->holding = FALSE;
  p->rechecking = TRUE;
  return G_SOURCE_CONTINUE;
}

/* Our own events (others' are broadcast to us too). */
static void
peer_on_event(WebrtcPeer *p, const CtlMessage *msg, const char *line)
{
  const char *peer = ctl_get_string(msg, "peer");
  g_printerr("webrtc_peer: event %s\n", line);
  if (!peer || strcmp(peer, p->peer_id) != 0)
    return;
  if (strcmp(msg->name, "peer.connected") == 0) {
    const char *profile = ctl_get_string(msg, "srtp_profile");
    g_free(p->srtp_profile);
    p->srtp_profile = g_strdup(profile ? profile : "(none)");
    g_print("webrtc_peer: connected, srtp_profile %s\n", p->srtp_profile);
    fflush(stdout);
    if (p->expect_lost)
      peer_finish(p, 1, "relay connected us (%s) although it should drop us with %s",
                  p->srtp_profile, p->expect_lost);
    else if (p->expect_profile && strcmp(p->srtp_profile, p->expect_profile) != 0)
      peer_finish(p, 1, "srtp_profile %s, want %s", p->srtp_profile, p->expect_profile);
  } else if (strcmp(msg->name, "stats") == 0 && p->mic_hz > 0) {
    JsonNode *n = json_object_get_member(msg->obj, "mic_packets");
    p->mic_packets = n ? json_node_get_int(n) : 0;
    if (p->tone_ok && p->mic_packets >= PEER_MIC_PACKETS)
      peer_finish(p, 0, "tone %.0f Hz detected and the relay received %" G_GINT64_FORMAT
                  " packets from our microphone", p->freq, p->mic_packets);
  } else if (strcmp(msg->name, "peer.lost") == 0) {
    const char *reason = ctl_get_string(msg, "reason");
    if (p->expect_lost && reason && strcmp(reason, p->expect_lost) == 0)
      peer_finish(p, 0, "relay dropped us as expected: %s", reason);
    else
      peer_finish(p, 1, "relay dropped us: %s%s%s", reason ? reason : "(no reason)",
                  p->expect_lost ? ", want " : "", p->expect_lost ? p->expect_lost : "");
  }
}

/* Every line from the relay but the reply to peer.add. */
static void
peer_on_line(PeerLink *link, const char *line, gsize len, const CtlMessage *msg, int rc,
             const char *detail, gpointer data)
{
  WebrtcPeer *p = data;
  if (!msg)
    peer_finish(p, 1, "relay sent an invalid control line (%s: %s): %.200s", ctl_error_name(rc),
                detail, line);
  else if (msg->kind == CTL_KIND_EVENT)
    peer_on_event(p, msg, line);
  else
    g_printerr("webrtc_peer: unexpected line: %s\n", line);
}

static void
peer_on_link_failed(PeerLink *link, int status, const char *message, gpointer data)
{
  WebrtcPeer *p = data;
  peer_finish(p, status, "%s", message);
}

static gboolean
peer_on_answer(PeerLink *link, const char *answer, gpointer data)
{
  WebrtcPeer *p = data;
  g_autofree char *setup = peer_link_sdp_setup(answer);
  g_printerr("webrtc_peer: answer:\n%s\n", answer);
  if (p->expect_setup && g_strcmp0(setup, p->expect_setup) != 0) {
    peer_finish(p, 1, "relay answered a=setup:%s, want a=setup:%s", setup ? setup : "(none)",
                p->expect_setup);
    return FALSE;
  }
  return TRUE;
}

/* Changes the first hex digit of the offer's sha-256 fingerprint in place:
 * the offer then names a certificate the peer does not have. */
static gboolean
forge_fingerprint(char *sdp)
{
  char *f = strstr(sdp, "a=fingerprint:sha-256 ");
  if (!f)
    return FALSE;
  for (f += strlen("a=fingerprint:sha-256 "); *f && *f != '\r' && *f != '\n'; f++)
    if (g_ascii_isxdigit(*f)) {
      *f = *f == '0' ? '1' : '0';
      return TRUE;
    }
  return FALSE;
}

static gboolean
peer_on_offer(PeerLink *link, char *offer, gpointer data)
{
  WebrtcPeer *p = data;
  if (p->forge_fingerprint && !forge_fingerprint(offer)) {
    peer_finish(p, 2, "no sha-256 fingerprint to forge in the offer:\n%s", offer);
    return FALSE;
  }
  g_printerr("webrtc_peer: offer%s:\n%s\n", p->forge_fingerprint ? " (forged fingerprint)" : "",
             offer);
  return TRUE;
}

/* --rtcp-interval-ms: webrtcbin's rtpbin makes its rtpsession elements on
 * demand; set the interval on each as it appears. */
static void
peer_on_element_added(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data)
{
  WebrtcPeer *p = data;
  GstElementFactory *f = gst_element_get_factory(element);
  if (f && g_strcmp0(GST_OBJECT_NAME(f), "rtpsession") == 0)
    g_object_set(element, "rtcp-min-interval", (guint64)p->rtcp_interval_ms * GST_MSECOND, NULL);
}

/* A tone as our microphone, on a send track of its own. */
static gboolean
peer_add_mic(WebrtcPeer *p)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = g_strdup_printf(
      "audiotestsrc is-live=true wave=sine volume=0.3 freq=%.0f ! audioconvert ! audioresample ! "
      "opusenc bitrate=32000 frame-size=20 ! rtpopuspay pt=111 ! capsfilter caps=\""
      "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111,"
      "encoding-params=(string)2\"",
      p->mic_hz);
  GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &error);
  if (!bin) {
    g_printerr("webrtc_peer: microphone: %s\n", error->message);
    return FALSE;
  }
  gst_bin_add(GST_BIN(p->pipe), bin);
  /* a second transceiver, sendrecv as webrtcbin makes it */
  gboolean ok = peer_link_add_source(p->link, bin, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV);
  if (!ok)
    g_printerr("webrtc_peer: cannot link the microphone to webrtcbin\n");
  return ok;
}

int
main(int argc, char **argv)
{
  WebrtcPeer p = {.peer_id = "gst-1", .participant = "TEST-GST", .timeout_s = PEER_TIMEOUT_S};
  g_autoptr(GError) error = NULL;
  char *peer_id = NULL, *participant = NULL, *expect_profile = NULL, *expect_setup = NULL,
       *expect_lost = NULL;
  GOptionEntry entries[] = {
    {"peer-id", 0, 0, G_OPTION_ARG_STRING, &peer_id, "Peer id in peer.add (default gst-1)", "ID"},
    {"participant", 0, 0, G_OPTION_ARG_STRING, &participant,
     "Participant in peer.add (default TEST-GST)", "BADGE"},
    {"expect-profile", 0, 0, G_OPTION_ARG_STRING, &expect_profile,
     "Fail unless our peer.connected event names this SRTP profile", "NAME"},
    {"expect-setup", 0, 0, G_OPTION_ARG_STRING, &expect_setup,
     "Fail unless the relay's answer says a=setup:ROLE (active: the relay is the DTLS client)",
     "ROLE"},
    {"hold", 0, 0, G_OPTION_ARG_NONE, &p.hold,
     "After the tone is heard stay connected; SIGUSR1 re-checks the tone and exits", NULL},
    {"timeout", 0, 0, G_OPTION_ARG_INT, &p.timeout_s, "Give up after S seconds (default 20)", "S"},
    {"forge-fingerprint", 0, 0, G_OPTION_ARG_NONE, &p.forge_fingerprint,
     "Change one hex digit of the offer's a=fingerprint before peer.add", NULL},
    {"expect-lost", 0, 0, G_OPTION_ARG_STRING, &expect_lost,
     "Succeed when the relay drops us with peer.lost REASON (and fail if we connect)", "REASON"},
    {"mic-hz", 0, 0, G_OPTION_ARG_DOUBLE, &p.mic_hz,
     "Also send a tone of F Hz as our microphone (tracks floor+mic); succeed only once the "
     "relay's stats events count its packets", "F"},
    {"rtcp-interval-ms", 0, 0, G_OPTION_ARG_INT, &p.rtcp_interval_ms,
     "Minimum RTCP interval (default GStreamer's 5 s): keeps consent fresh for short "
     "consent_timeout_s", "MS"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) opts = g_option_context_new("CONTROL_SOCKET FREQ_HZ");

  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_add_group(opts, gst_init_get_option_group());
  if (!g_option_context_parse(opts, &argc, &argv, &error) || argc != 3 ||
      atof(argv[2]) <= 0.0 || p.timeout_s <= 0 || p.rtcp_interval_ms < 0) {
    g_printerr("usage: %s [OPTION...] CONTROL_SOCKET FREQ_HZ%s%s\n", argv[0],
               error ? ": " : "", error ? error->message : "");
    return 2;
  }
  if (peer_id)
    p.peer_id = peer_id;
  if (participant)
    p.participant = participant;
  p.expect_profile = expect_profile;
  p.expect_setup = expect_setup;
  p.expect_lost = expect_lost;
  alarm((unsigned)p.timeout_s + 5); /* backstop if the main loop itself hangs */
  p.freq = atof(argv[2]);
  p.t_start = g_get_monotonic_time();
  p.samples = g_new0(float, PEER_KEEP_SAMPLES);
  g_mutex_init(&p.lock);
  p.loop = g_main_loop_new(NULL, FALSE);

  const char *tracks_floor[] = {"floor", NULL}, *tracks_mic[] = {"floor", "mic", NULL};
  PeerLinkIdentity id = {.peer = p.peer_id, .participant = p.participant, .role = "delegate",
                         .tracks = p.mic_hz > 0 ? tracks_mic : tracks_floor};
  static const PeerLinkCallbacks link_cb = {.line = peer_on_line, .offer = peer_on_offer,
                                            .answer = peer_on_answer,
                                            .failed = peer_on_link_failed};
  if (!(p.link = peer_link_new(argv[1], &id, "webrtc_peer", &link_cb, &p, &error))) {
    g_printerr("webrtc_peer: %s\n", error->message);
    return 2;
  }
  p.pipe = peer_link_pipeline(p.link);
  if (p.rtcp_interval_ms > 0)
    g_signal_connect(p.pipe, "deep-element-added", G_CALLBACK(peer_on_element_added), &p);
  if (!peer_link_add_transceiver(p.link, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY)) {
    g_printerr("webrtc_peer: add-transceiver failed\n");
    return 2;
  }
  if (p.mic_hz > 0 && !peer_add_mic(&p))
    return 2;
  g_signal_connect(peer_link_webrtc(p.link), "pad-added", G_CALLBACK(peer_on_pad_added), &p);
  g_timeout_add_seconds((guint)p.timeout_s, peer_on_timeout, &p);
  if (p.hold)
    g_unix_signal_add(SIGUSR1, peer_on_recheck, &p);

  if (gst_element_set_state(p.pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr("webrtc_peer: pipeline does not start\n");
    return 2;
  }
  g_main_loop_run(p.loop);

  peer_link_free(p.link);
  g_main_loop_unref(p.loop);
  g_free(p.srtp_profile);
  g_free(p.samples);
  g_free(peer_id);
  g_free(participant);
  g_free(expect_profile);
  g_free(expect_setup);
  g_free(expect_lost);
  g_mutex_clear(&p.lock);
  return p.status;
}
