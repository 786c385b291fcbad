/* SPDX-License-Identifier: Apache-2.0 */
/* A webrtcbin peer for the audio engine's scenarios
 * (tests/integration/audio_scenarios.py): it joins the relay over the
 * control socket as a delegate or an interpreter, may send a test tone as
 * its microphone, decodes each track it receives (rtpopusdepay ! opusdec,
 * 48 kHz) and prints, on stdout, one JSON line per report window and track
 * so that a script can say which tone arrives where and when.
 *
 *   audio_peer [OPTION...] CONTROL_SOCKET
 *
 * stdout, one JSON object per line:
 *   {"start":true,"peer":ID,"mono_us":N,"report_ms":10,"method":"fit","hz":[...]}
 *       first line; mono_us is CLOCK_MONOTONIC (g_get_monotonic_time) at
 *       t_ms 0, so a script can put the peer's times on its own clock.
 *   {"pad":"src_0","track":"floor","mline":0,"t_ms":...}   a receive pad appeared
 *   {"ready":true,"peer":ID,"t_ms":...}      the floor track decodes audio
 *   {"t_ms":..,"track":"floor"|"channel","rms_dbfs":x,"peak":x,"e":{"440":e,...},
 *    "ssrc":N,"seq":N,"rx_ms":x,"media_ms":x}
 *       one report window (--report-ms of decoded audio) of one track:
 *       t_ms   when the window was analysed (ms since start);
 *       rx_ms  when the RTP packet that carried the window's first sample
 *              reached us (before our jitter buffer; -1 for audio that no
 *              packet carried: concealment, or a timestamp gap we filled
 *              with silence);
 *       media_ms  the window's start on the track's own timeline (decoded
 *              samples since the track's first one, gaps filled);
 *       rms_dbfs, peak  RMS and sample peak in dBFS (-200 for digital silence);
 *       e      energy at each --report-hz frequency, normalised like
 *              tone_goertzel(): a full-scale sine at the frequency gives 1.0
 *              (10*log10(e) is the tone's peak amplitude in dBFS);
 *       ssrc, seq  of that packet (seq as it came on the wire).
 *   {"spectrum":true,"track":..,"max_hz":F,"threshold_db":-60,"peak_hz":F,"peak_db":x,
 *    "band_hz":[12000,16000],"band_db":x,...}
 *       with --spectrum S, once per track after S s of its audio: the highest
 *       frequency whose bin is above --spectrum-db, the strongest bin, and
 *       the power in --spectrum-band as the dBFS of a sine.
 *   {"event":...,"t_ms":N}   every event the relay sends on our control
 *       connection (it broadcasts every event to every client).
 *   {"error":"..."}    the link failed (also on stderr); exit 1 or 2.
 *
 * Runs until SIGTERM/SIGINT (exit 0) or --timeout S (exit 0 if the floor
 * track was ready, else 3). */
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

#define AP_RATE 48000
#define AP_MAX_HZ 16
#define AP_MAX_PADS 8
#define AP_RING 128      /* PTS -> packet map, per pad */
#define AP_ARRIVALS 1024 /* RTP timestamp -> arrival time, per SSRC */
#define AP_MAX_SSRCS 8
#define AP_GAP_FILL_MAX_S 5 /* longer timestamp gaps restart the timeline */
#define AP_SPECTRUM_N 16384 /* FFT size for --spectrum (341 ms) */
#define AP_SILENT_DB -200.0

typedef enum { METHOD_GOERTZEL, METHOD_FIT } ReportMethod;

typedef struct {
  GstClockTime pts;
  gint64 rx_us; /* -1: unknown */
  guint32 ssrc;
  guint16 seq;
} PacketInfo;

typedef struct AudioPeer AudioPeer;

/* One receive pad of webrtcbin. Everything in it but the header fields is
 * touched only by the pad's streaming thread (the webrtcbin src pad probe
 * and the appsink callback run on the same thread). */
typedef struct {
  AudioPeer *ap;
  const char *track; /* "floor", "channel" */
  char name[16];
  PacketInfo ring[AP_RING];
  unsigned ring_head;
  float *win;
  size_t n_win;
  PacketInfo win_pkt; /* packet of the window's first sample */
  guint64 media_samples;
  GstClockTime next_pts;
  gboolean started;
  float *spec;
  size_t n_spec;
  gboolean spec_done;
} RxPad;

struct AudioPeer {
  /* options */
  const char *peer_id;
  const char *participant;
  const char *role;
  const char *booth;
  gboolean want_channel, want_mic, mic_sendrecv;
  double mic_hz, mic_gain_db;
  const char *mic_wave;
  int mic_bitrate;
  double hz[AP_MAX_HZ];
  size_t n_hz;
  int report_ms;
  ReportMethod method;
  int timeout_s;
  int latency_ms;
  double spectrum_s;
  double spectrum_db;
  double band_lo, band_hi;

  GMainLoop *loop;
  PeerLink *link;
  gint64 t0_us;
  int status;
  gboolean ready;  /* atomic */
  GMutex out_lock; /* one line at a time on stdout */
  GMutex arr_lock;
  struct {
    guint32 ssrc;
    gboolean used;
    guint32 ts[AP_ARRIVALS];
    guint16 seq[AP_ARRIVALS];
    gint64 t_us[AP_ARRIVALS];
  } arr[AP_MAX_SSRCS];
  RxPad *pads[AP_MAX_PADS];
  int n_pads;
  /* the joint least-squares fit: basis (n x 2k, row major) and the
   * Cholesky factor of its Gram matrix (2k x 2k, lower) */
  size_t win_n;
  double *basis;
  double *chol;
};

static double
ap_ms(const AudioPeer *ap, gint64 t_us)
{
  return (double)(t_us - ap->t0_us) / 1000.0;
}

static void
ap_print(AudioPeer *ap, const char *line)
{
  g_mutex_lock(&ap->out_lock);
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  g_mutex_unlock(&ap->out_lock);
}

static void
ap_fail(AudioPeer *ap, int status, const char *msg)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, msg);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = json_to_string(root, FALSE);
  g_printerr("audio_peer: FAIL: %s\n", msg);
  ap_print(ap, text);
  if (ap->status == 0)
    ap->status = status;
  g_main_loop_quit(ap->loop);
}

/* --- analysis (pure) ------------------------------------------------------ */

static double
db(double x)
{
  return x > 0.0 ? 10.0 * log10(x) : AP_SILENT_DB;
}

/* Builds the basis and factors its Gram matrix (+ a small ridge, so that
 * two close or edge frequencies cannot make it singular). */
static gboolean
fit_init(AudioPeer *ap)
{
  size_t n = ap->win_n, k2 = 2 * ap->n_hz;
  double *g = g_new0(double, k2 *k2);
  ap->basis = g_new(double, n *k2);
  ap->chol = g_new0(double, k2 *k2);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ap->n_hz; k++) {
      double w = 2.0 * M_PI * ap->hz[k] / AP_RATE * (double)i;
      ap->basis[i * k2 + 2 * k] = cos(w);
      ap->basis[i * k2 + 2 * k + 1] = sin(w);
    }
  for (size_t a = 0; a < k2; a++)
    for (size_t b = 0; b <= a; b++) {
      double s = 0.0;
      for (size_t i = 0; i < n; i++)
        s += ap->basis[i * k2 + a] * ap->basis[i * k2 + b];
      g[a * k2 + b] = g[b * k2 + a] = s;
    }
  for (size_t a = 0; a < k2; a++)
    g[a * k2 + a] += 1e-6 * (double)n;
  for (size_t a = 0; a < k2; a++) {
    for (size_t b = 0; b <= a; b++) {
      double s = g[a * k2 + b];
      for (size_t c = 0; c < b; c++)
        s -= ap->chol[a * k2 + c] * ap->chol[b * k2 + c];
      if (a == b) {
        if (s <= 0.0) {
          g_free(g);
          return FALSE;
        }
        ap->chol[a * k2 + a] = sqrt(s);
      } else {
        ap->chol[a * k2 + b] = s / ap->chol[b * k2 + b];
      }
    }
  }
  g_free(g);
  return TRUE;
}

/* Amplitude^2 of each frequency, all fitted at once: a tone's energy does
 * not leak into its neighbours' (440 Hz is no whole number of periods in
 * 10 ms, and its rectangular-window leakage would read as -25 dB at 1 kHz). */
static void
fit_energies(const AudioPeer *ap, const float *x, double *e)
{
  size_t n = ap->win_n, k2 = 2 * ap->n_hz;
  double b[2 * AP_MAX_HZ] = {0}, y[2 * AP_MAX_HZ], c[2 * AP_MAX_HZ];
  for (size_t i = 0; i < n; i++)
    for (size_t a = 0; a < k2; a++)
      b[a] += ap->basis[i * k2 + a] * (double)x[i];
  for (size_t a = 0; a < k2; a++) { /* L y = b */
    double s = b[a];
    for (size_t c0 = 0; c0 < a; c0++)
      s -= ap->chol[a * k2 + c0] * y[c0];
    y[a] = s / ap->chol[a * k2 + a];
  }
  for (size_t a = k2; a-- > 0;) { /* L^T c = y */
    double s = y[a];
    for (size_t c0 = a + 1; c0 < k2; c0++)
      s -= ap->chol[c0 * k2 + a] * c[c0];
    c[a] = s / ap->chol[a * k2 + a];
  }
  for (size_t k = 0; k < ap->n_hz; k++)
    e[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
}

/* In-place radix-2 FFT of @n (a power of two) complex values. */
static void
fft(double *re, double *im, size_t n)
{
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    double ang = -2.0 * M_PI / (double)len;
    for (size_t i = 0; i < n; i += len)
      for (size_t k = 0; k < len / 2; k++) {
        double wr = cos(ang * (double)k), wi = sin(ang * (double)k);
        double ur = re[i + k], ui = im[i + k];
        double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
        double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
        re[i + k] = ur + vr;
        im[i + k] = ui + vi;
        re[i + k + len / 2] = ur - vr;
        im[i + k + len / 2] = ui - vi;
      }
  }
}

/* Hann-windowed magnitude spectrum, normalised so that a full-scale sine
 * on a bin reads 0 dB: the highest frequency above @threshold_db, the
 * strongest bin, and the power in --spectrum-band (divided by Hann's noise
 * bandwidth, 1.5 bins, so that one sine in the band reads its level however
 * the codec smeared it). */
static void
spectrum_line(AudioPeer *ap, RxPad *pad)
{
  size_t n = AP_SPECTRUM_N;
  double *re = g_new(double, n), *im = g_new0(double, n);
  double max_hz = 0.0, peak_hz = 0.0, peak_db = AP_SILENT_DB, band = 0.0;
  for (size_t i = 0; i < n; i++)
    re[i] = (double)pad->spec[i] * (0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)(n - 1)));
  fft(re, im, n);
  for (size_t k = 1; k < n / 2; k++) {
    double mag = sqrt(re[k] * re[k] + im[k] * im[k]) * 4.0 / (double)n;
    double d = mag > 0.0 ? 20.0 * log10(mag) : AP_SILENT_DB;
    double hz = (double)k * AP_RATE / (double)n;
    if (d > ap->spectrum_db)
      max_hz = hz;
    if (hz >= ap->band_lo && hz <= ap->band_hi)
      band += mag * mag / 1.5;
    if (d > peak_db) {
      peak_db = d;
      peak_hz = hz;
    }
  }
  g_free(re);
  g_free(im);
  g_autofree char *line = g_strdup_printf(
      "{\"spectrum\":true,\"track\":\"%s\",\"pad\":\"%s\",\"t_ms\":%.1f,\"max_hz\":%.1f,"
      "\"threshold_db\":%.1f,\"peak_hz\":%.1f,\"peak_db\":%.2f,\"band_hz\":[%g,%g],"
      "\"band_db\":%.2f,\"n\":%zu}",
      pad->track, pad->name, ap_ms(ap, g_get_monotonic_time()), max_hz, ap->spectrum_db, peak_hz,
      peak_db, ap->band_lo, ap->band_hi, db(band), n);
  ap_print(ap, line);
}

/* --- per-pad streaming ------------------------------------------------------ */

static void
ap_report(AudioPeer *ap, RxPad *pad)
{
  double e[AP_MAX_HZ], sum = 0.0, peak = 0.0;
  size_t n = ap->win_n;
  for (size_t i = 0; i < n; i++) {
    double v = pad->win[i];
    sum += v * v;
    if (fabs(v) > peak)
      peak = fabs(v);
  }
  if (ap->method == METHOD_FIT)
    fit_energies(ap, pad->win, e);
  else
    for (size_t k = 0; k < ap->n_hz; k++)
      e[k] = tone_goertzel(pad->win, n, AP_RATE, ap->hz[k]);

  GString *s = g_string_sized_new(256);
  g_string_append_printf(
      s, "{\"t_ms\":%.1f,\"track\":\"%s\",\"rms_dbfs\":%.2f,\"peak\":%.2f,\"e\":{",
      ap_ms(ap, g_get_monotonic_time()), pad->track, db(sum / (double)n), db(peak * peak));
  for (size_t k = 0; k < ap->n_hz; k++)
    g_string_append_printf(s, "%s\"%g\":%.4g", k ? "," : "", ap->hz[k], e[k]);
  g_string_append_printf(s,
                         "},\"ssrc\":%" G_GUINT32_FORMAT ",\"seq\":%u,\"rx_ms\":%.2f,"
                         "\"media_ms\":%.1f,\"pad\":\"%s\"}",
                         pad->win_pkt.ssrc, pad->win_pkt.seq,
                         pad->win_pkt.rx_us < 0 ? -1.0 : ap_ms(ap, pad->win_pkt.rx_us),
                         (double)(pad->media_samples - n) * 1000.0 / AP_RATE, pad->name);
  ap_print(ap, s->str);
  g_string_free(s, TRUE);

  if (g_strcmp0(pad->track, "floor") == 0 && !g_atomic_int_get(&ap->ready)) {
    g_atomic_int_set(&ap->ready, TRUE);
    g_autofree char *line = g_strdup_printf("{\"ready\":true,\"peer\":\"%s\",\"t_ms\":%.1f}",
                                            ap->peer_id, ap_ms(ap, g_get_monotonic_time()));
    ap_print(ap, line);
  }
}

/* @x NULL: silence (a timestamp gap filled). */
static void
ap_push(AudioPeer *ap, RxPad *pad, const float *x, size_t n, const PacketInfo *pkt)
{
  for (size_t i = 0; i < n; i++) {
    float v = x ? x[i] : 0.0f;
    if (ap->win_n) {
      if (pad->n_win == 0)
        pad->win_pkt = *pkt;
      pad->win[pad->n_win++] = v;
    }
    pad->media_samples++;
    if (ap->win_n && pad->n_win == ap->win_n) {
      ap_report(ap, pad);
      pad->n_win = 0;
    }
    if (pad->spec && !pad->spec_done && (double)pad->media_samples > ap->spectrum_s * AP_RATE) {
      pad->spec[pad->n_spec++] = v;
      if (pad->n_spec == AP_SPECTRUM_N) {
        pad->spec_done = TRUE;
        spectrum_line(ap, pad);
      }
    }
  }
}

static PacketInfo
ap_lookup(RxPad *pad, GstClockTime pts)
{
  PacketInfo best = {.pts = pts, .rx_us = -1};
  GstClockTimeDiff best_d = 3 * GST_MSECOND;
  for (unsigned i = 0; i < AP_RING; i++) {
    const PacketInfo *p = &pad->ring[i];
    if (!GST_CLOCK_TIME_IS_VALID(p->pts) || !GST_CLOCK_TIME_IS_VALID(pts))
      continue;
    GstClockTimeDiff d = GST_CLOCK_DIFF(p->pts, pts);
    if (d < 0)
      d = -d;
    if (d <= best_d) {
      best_d = d;
      best = *p;
    }
  }
  if (best.rx_us < 0 && pad->ring_head) /* concealment: keep the last SSRC */
    best.ssrc = pad->ring[(pad->ring_head - 1) % AP_RING].ssrc;
  return best;
}

static GstFlowReturn
ap_on_sample(GstAppSink *sink, gpointer data)
{
  RxPad *pad = data;
  AudioPeer *ap = pad->ap;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  GstMapInfo map;

  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  if (!gst_buffer_map(buf, &map, GST_MAP_READ))
    return GST_FLOW_ERROR;
  size_t n = map.size / sizeof(float);
  GstClockTime pts = GST_BUFFER_PTS(buf);
  PacketInfo pkt = ap_lookup(pad, pts);
  if (GST_CLOCK_TIME_IS_VALID(pts) && pad->started && GST_CLOCK_TIME_IS_VALID(pad->next_pts)) {
    GstClockTimeDiff gap = GST_CLOCK_DIFF(pad->next_pts, pts);
    if (gap > (GstClockTimeDiff)(AP_GAP_FILL_MAX_S * GST_SECOND)) {
      pad->n_win = 0; /* too long: a new timeline */
    } else if (gap > (GstClockTimeDiff)(5 * GST_MSECOND / 2)) {
      PacketInfo none = {.pts = pad->next_pts, .rx_us = -1, .ssrc = pkt.ssrc};
      ap_push(ap, pad, NULL, (size_t)gst_util_uint64_scale_round((guint64)gap, AP_RATE, GST_SECOND),
              &none);
    }
  }
  ap_push(ap, pad, (const float *)map.data, n, &pkt);
  pad->started = TRUE;
  pad->next_pts = GST_CLOCK_TIME_IS_VALID(pts)
                      ? pts + gst_util_uint64_scale_round(n, GST_SECOND, AP_RATE)
                      : GST_CLOCK_TIME_NONE;
  gst_buffer_unmap(buf, &map);
  return GST_FLOW_OK;
}

typedef struct {
  guint16 seq;
  guint32 ts, ssrc;
} RtpHeader;

static gboolean
rtp_header(GstBuffer *buf, RtpHeader *h)
{
  guint8 b[12];
  if (gst_buffer_extract(buf, 0, b, sizeof b) != sizeof b || (b[0] >> 6) != 2)
    return FALSE;
  h->seq = (guint16)(b[2] << 8 | b[3]);
  h->ts = (guint32)b[4] << 24 | (guint32)b[5] << 16 | (guint32)b[6] << 8 | b[7];
  h->ssrc = (guint32)b[8] << 24 | (guint32)b[9] << 16 | (guint32)b[10] << 8 | b[11];
  return TRUE;
}

/* Packets are matched across the jitter buffer by SSRC and RTP timestamp,
 * not by sequence number: webrtcbin's rtpulpfecdec, after the jitter
 * buffer, renumbers the packets of a stream that starts late. */
static guint
arrival_index(guint32 ts)
{
  return (ts / 960u) % AP_ARRIVALS; /* 20 ms frames at 48 kHz */
}

/* A jitter buffer's input: SRTP is already removed, and nothing has
 * waited yet. Any streaming thread. */
static gboolean
ap_note_arrival(GstBuffer **buf, guint idx, gpointer data)
{
  AudioPeer *ap = data;
  RtpHeader h;
  gint64 now = g_get_monotonic_time();
  if (!rtp_header(*buf, &h))
    return TRUE;
  g_mutex_lock(&ap->arr_lock);
  int slot = -1, free_slot = -1;
  for (int i = 0; i < AP_MAX_SSRCS; i++) {
    if (ap->arr[i].used && ap->arr[i].ssrc == h.ssrc)
      slot = i;
    else if (!ap->arr[i].used && free_slot < 0)
      free_slot = i;
  }
  if (slot < 0 && free_slot >= 0) {
    slot = free_slot;
    ap->arr[slot].used = TRUE;
    ap->arr[slot].ssrc = h.ssrc;
  }
  if (slot >= 0) {
    guint k = arrival_index(h.ts);
    ap->arr[slot].ts[k] = h.ts;
    ap->arr[slot].seq[k] = h.seq;
    ap->arr[slot].t_us[k] = now;
  }
  g_mutex_unlock(&ap->arr_lock);
  return TRUE;
}

static GstPadProbeReturn
ap_on_jb_input(GstPad *p, GstPadProbeInfo *info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach(GST_PAD_PROBE_INFO_BUFFER_LIST(info), ap_note_arrival, data);
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    ap_note_arrival(&buf, 0, data);
  }
  return GST_PAD_PROBE_OK;
}

/* Fills @pkt's arrival time and wire sequence number; FALSE if unknown. */
static gboolean
ap_arrival(AudioPeer *ap, const RtpHeader *h, PacketInfo *pkt)
{
  gboolean found = FALSE;
  guint k = arrival_index(h->ts);
  g_mutex_lock(&ap->arr_lock);
  for (int i = 0; i < AP_MAX_SSRCS; i++)
    if (ap->arr[i].used && ap->arr[i].ssrc == h->ssrc && ap->arr[i].ts[k] == h->ts &&
        ap->arr[i].t_us[k] > 0) {
      pkt->rx_us = ap->arr[i].t_us[k];
      pkt->seq = ap->arr[i].seq[k];
      found = TRUE;
    }
  g_mutex_unlock(&ap->arr_lock);
  return found;
}

/* webrtcbin's output (RTP after the jitter buffer): remember which packet
 * each PTS came from. The pad's streaming thread. */
static GstPadProbeReturn
ap_on_rtp_out(GstPad *p, GstPadProbeInfo *info, gpointer data)
{
  RxPad *pad = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  PacketInfo pkt = {.pts = GST_BUFFER_PTS(buf), .rx_us = -1};
  RtpHeader h;
  if (!rtp_header(buf, &h))
    return GST_PAD_PROBE_OK;
  pkt.ssrc = h.ssrc;
  pkt.seq = h.seq;
  ap_arrival(pad->ap, &h, &pkt);
  pad->ring[pad->ring_head++ % AP_RING] = pkt;
  return GST_PAD_PROBE_OK;
}

static void
ap_on_element_added(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data)
{
  GstElementFactory *f = gst_element_get_factory(element);
  if (!f || g_strcmp0(GST_OBJECT_NAME(f), "rtpjitterbuffer") != 0)
    return;
  GstPad *sink = gst_element_get_static_pad(element, "sink");
  if (sink) {
    gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                      ap_on_jb_input, data, NULL);
    gst_object_unref(sink);
  }
}

static void
ap_on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
  AudioPeer *ap = data;
  g_autoptr(GError) error = NULL;

  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
    return;
  int mline = peer_link_pad_mline(pad);
  /* m-lines in the order of main(): floor, [channel] (the mic's, if
   * separate, never receives) */
  const char *track = mline == 0 ? "floor" : mline == 1 && ap->want_channel ? "channel" : NULL;
  g_mutex_lock(&ap->arr_lock);
  gboolean room = ap->n_pads < AP_MAX_PADS;
  RxPad *rx = track && room ? (ap->pads[ap->n_pads++] = g_new0(RxPad, 1)) : NULL;
  g_mutex_unlock(&ap->arr_lock);
  if (!rx) {
    g_printerr("audio_peer: ignoring pad %s (m-line %d)\n", GST_PAD_NAME(pad), mline);
    return;
  }
  rx->ap = ap;
  rx->track = track;
  g_strlcpy(rx->name, GST_PAD_NAME(pad), sizeof rx->name);
  for (unsigned i = 0; i < AP_RING; i++)
    rx->ring[i].pts = GST_CLOCK_TIME_NONE;
  rx->next_pts = GST_CLOCK_TIME_NONE;
  rx->win = ap->win_n ? g_new0(float, ap->win_n) : NULL;
  rx->spec = ap->spectrum_s > 0 ? g_new0(float, AP_SPECTRUM_N) : NULL;

  /* fullband: opusdec decodes at 48 kHz, so 14 kHz survives; S16 out */
  GstElement *bin = gst_parse_bin_from_description(
      "rtpopusdepay ! opusdec plc=true use-inband-fec=true ! audio/x-raw,rate=48000 ! "
      "audioconvert ! audio/x-raw,format=F32LE,channels=1,rate=48000 ! "
      "appsink name=sink sync=false",
      TRUE, &error);
  if (!bin) {
    g_printerr("audio_peer: decode bin: %s\n", error->message);
    return;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
  GstAppSinkCallbacks cb = {.new_sample = ap_on_sample};
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, rx, NULL);
  gst_object_unref(sink);
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, ap_on_rtp_out, rx, NULL);
  gst_bin_add(GST_BIN(peer_link_pipeline(ap->link)), bin);
  gst_element_sync_state_with_parent(bin);
  GstPad *sinkpad = gst_element_get_static_pad(bin, "sink");
  GstPadLinkReturn rc = gst_pad_link(pad, sinkpad);
  gst_object_unref(sinkpad);
  g_printerr("audio_peer: pad %s (m-line %d, %s) linked: %s\n", GST_PAD_NAME(pad), mline, track,
             gst_pad_link_get_name(rc));
  g_autofree char *line =
      g_strdup_printf("{\"pad\":\"%s\",\"track\":\"%s\",\"mline\":%d,\"t_ms\":%.1f}",
                      GST_PAD_NAME(pad), track, mline, ap_ms(ap, g_get_monotonic_time()));
  ap_print(ap, line);
}

/* --- control link ------------------------------------------------------------ */

static void
ap_on_line(PeerLink *link, const char *line, gsize len, const CtlMessage *msg, int rc,
           const char *detail, gpointer data)
{
  AudioPeer *ap = data;
  /* events newer than this build's schema (level, booth.state) are
   * passed on too: json-glib reads them, ctl_parse() may not know them */
  g_autoptr(JsonNode) root = json_from_string(line, NULL);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_printerr("audio_peer: not JSON from the relay (%s: %s): %.200s\n", ctl_error_name(rc),
               detail ? detail : "", line);
    return;
  }
  JsonObject *obj = json_node_get_object(root);
  if (!json_object_has_member(obj, "event")) {
    g_printerr("audio_peer: unexpected line: %s\n", line);
    return;
  }
  json_object_set_int_member(obj, "t_ms", (gint64)ap_ms(ap, g_get_monotonic_time()));
  g_autofree char *text = json_to_string(root, FALSE);
  ap_print(ap, text);
}

static void
ap_on_link_failed(PeerLink *link, int status, const char *message, gpointer data)
{
  ap_fail(data, status, message);
}

static gboolean
ap_on_offer(PeerLink *link, char *offer, gpointer data)
{
  g_printerr("audio_peer: offer:\n%s\n", offer);
  return TRUE;
}

static gboolean
ap_on_answer(PeerLink *link, const char *answer, gpointer data)
{
  g_printerr("audio_peer: answer:\n%s\n", answer);
  return TRUE;
}

static gboolean
ap_on_signal(gpointer data)
{
  AudioPeer *ap = data;
  g_printerr("audio_peer: signal: stopping\n");
  g_main_loop_quit(ap->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
ap_on_timeout(gpointer data)
{
  AudioPeer *ap = data;
  if (!g_atomic_int_get(&ap->ready)) {
    g_printerr("audio_peer: timeout after %d s and the floor track never decoded audio "
               "(offer sent: %s, answer applied: %s)\n",
               ap->timeout_s, peer_link_offer_sent(ap->link) ? "yes" : "no",
               peer_link_answered(ap->link) ? "yes" : "no");
    ap->status = 3;
  }
  g_main_loop_quit(ap->loop);
  return G_SOURCE_REMOVE;
}

/* Our microphone: a tone on a send track. */
static gboolean
ap_add_mic(AudioPeer *ap)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = g_strdup_printf(
      "audiotestsrc is-live=true wave=%s freq=%.3f volume=1.0 ! "
      "audio/x-raw,format=F32LE,rate=48000,channels=1 ! volume volume=%.6f ! audioconvert ! "
      "opusenc bitrate=%d frame-size=20 bandwidth=fullband audio-type=generic ! "
      "rtpopuspay pt=111 ! capsfilter caps=\"application/x-rtp,media=audio,encoding-name=OPUS,"
      "clock-rate=48000,payload=111,encoding-params=(string)2\"",
      ap->mic_wave, ap->mic_hz, pow(10.0, ap->mic_gain_db / 20.0), ap->mic_bitrate);
  GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &error);
  if (!bin) {
    g_printerr("audio_peer: microphone: %s\n", error->message);
    return FALSE;
  }
  gst_bin_add(GST_BIN(peer_link_pipeline(ap->link)), bin);
  if (!peer_link_add_source(ap->link, bin,
                            ap->mic_sendrecv ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                                             : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY)) {
    g_printerr("audio_peer: cannot link the microphone to webrtcbin\n");
    return FALSE;
  }
  return TRUE;
}

static gboolean
ap_parse_tracks(AudioPeer *ap, const char *s)
{
  g_auto(GStrv) parts = g_strsplit(s, ",", -1);
  gboolean floor = FALSE;
  for (char **p = parts; *p; p++) {
    if (strcmp(*p, "floor") == 0)
      floor = TRUE;
    else if (strcmp(*p, "channel") == 0)
      ap->want_channel = TRUE;
    else if (strcmp(*p, "mic") == 0)
      ap->want_mic = TRUE;
    else
      return FALSE;
  }
  return floor;
}

static gboolean
ap_parse_hz(AudioPeer *ap, const char *s)
{
  g_auto(GStrv) parts = g_strsplit(s, ",", -1);
  ap->n_hz = 0;
  for (char **p = parts; *p; p++) {
    char *end;
    double f = g_ascii_strtod(*p, &end);
    if (end == *p || *end || f <= 0.0 || f >= AP_RATE / 2 || ap->n_hz == AP_MAX_HZ)
      return FALSE;
    ap->hz[ap->n_hz++] = f;
  }
  return ap->n_hz > 0;
}

int
main(int argc, char **argv)
{
  AudioPeer ap = {.peer_id = "ap-1",
                  .participant = "TEST-AP",
                  .role = "delegate",
                  .mic_hz = 1000,
                  .mic_gain_db = -12,
                  .mic_wave = "sine",
                  .mic_bitrate = 64000,
                  .report_ms = 10,
                  .timeout_s = 60,
                  .latency_ms = 100,
                  .spectrum_db = -60,
                  .band_lo = 12000,
                  .band_hi = 16000};
  g_autoptr(GError) error = NULL;
  char *peer_id = NULL, *participant = NULL, *role = NULL, *booth = NULL, *tracks = NULL,
       *mic_wave = NULL, *report_hz = NULL, *method = NULL, *band = NULL;
  GOptionEntry entries[] = {
      {"peer-id", 0, 0, G_OPTION_ARG_STRING, &peer_id, "Peer id in peer.add (ap-1)", "ID"},
      {"participant", 0, 0, G_OPTION_ARG_STRING, &participant, "Badge in peer.add (TEST-AP)",
       "BADGE"},
      {"role", 0, 0, G_OPTION_ARG_STRING, &role, "delegate | interpreter (delegate)", "ROLE"},
      {"booth", 0, 0, G_OPTION_ARG_STRING, &booth, "The interpreter's booth (a language)", "L"},
      {"tracks", 0, 0, G_OPTION_ARG_STRING, &tracks,
       "What to offer: floor[,channel][,mic] (floor): a recvonly m-line for the floor, a second "
       "recvonly for the channel, a sendonly one for the microphone",
       "LIST"},
      {"mic-sendrecv", 0, 0, G_OPTION_ARG_NONE, &ap.mic_sendrecv,
       "Send the microphone on the floor's m-line (sendrecv) instead of its own", NULL},
      {"mic-hz", 0, 0, G_OPTION_ARG_DOUBLE, &ap.mic_hz, "Microphone tone frequency (1000)", "F"},
      {"mic-wave", 0, 0, G_OPTION_ARG_STRING, &mic_wave,
       "Microphone waveform, an audiotestsrc wave: sine | square | ... (sine)", "WAVE"},
      {"mic-gain-db", 0, 0, G_OPTION_ARG_DOUBLE, &ap.mic_gain_db,
       "Microphone peak level, dBFS (-12)", "DB"},
      {"mic-bitrate", 0, 0, G_OPTION_ARG_INT, &ap.mic_bitrate,
       "Microphone Opus bitrate (64000, fullband)", "BPS"},
      {"report-hz", 0, 0, G_OPTION_ARG_STRING, &report_hz,
       "Frequencies to measure in each window (440,700,900,1000,1100,1300)", "F1,F2,..."},
      {"report-ms", 0, 0, G_OPTION_ARG_INT, &ap.report_ms,
       "Report window, ms of decoded audio (10); 0: no reports", "MS"},
      {"report-method", 0, 0, G_OPTION_ARG_STRING, &method,
       "goertzel (tone_goertzel per frequency) | fit (all frequencies fitted at once by least "
       "squares, no leakage between them) (goertzel)",
       "M"},
      {"spectrum", 0, 0, G_OPTION_ARG_DOUBLE, &ap.spectrum_s,
       "After S s of a track's audio print its spectrum's highest frequency above "
       "--spectrum-db, once",
       "S"},
      {"spectrum-db", 0, 0, G_OPTION_ARG_DOUBLE, &ap.spectrum_db, "Threshold for --spectrum (-60)",
       "DB"},
      {"spectrum-band", 0, 0, G_OPTION_ARG_STRING, &band,
       "Band whose power --spectrum reports (12000,16000)", "LO,HI"},
      {"latency-ms", 0, 0, G_OPTION_ARG_INT, &ap.latency_ms, "webrtcbin's jitter buffer (100)",
       "MS"},
      {"timeout", 0, 0, G_OPTION_ARG_INT, &ap.timeout_s, "Stop after S seconds (60)", "S"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) opts = g_option_context_new("CONTROL_SOCKET");

  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_add_group(opts, gst_init_get_option_group());
  gboolean ok = g_option_context_parse(opts, &argc, &argv, &error) && argc == 2;
  ok = ok && ap_parse_hz(&ap, report_hz ? report_hz : "440,700,900,1000,1100,1300");
  ok = ok && ap_parse_tracks(&ap, tracks ? tracks : "floor");
  ok = ok && ap.report_ms >= 0 && ap.report_ms <= 1000 && ap.timeout_s > 0 && ap.latency_ms >= 0 &&
       ap.mic_hz > 0 && ap.mic_bitrate >= 6000 && ap.mic_gain_db <= 20;
  if (band && (sscanf(band, "%lf,%lf", &ap.band_lo, &ap.band_hi) != 2 || ap.band_lo < 0 ||
               ap.band_hi <= ap.band_lo))
    ok = FALSE;
  if (method && strcmp(method, "fit") == 0)
    ap.method = METHOD_FIT;
  else if (method && strcmp(method, "goertzel") != 0)
    ok = FALSE;
  if (role)
    ap.role = role;
  if (booth)
    ap.booth = booth;
  if (strcmp(ap.role, "interpreter") == 0 && !ap.booth)
    ok = FALSE;
  if (!ok) {
    g_printerr("usage: %s [OPTION...] CONTROL_SOCKET%s%s (--help)\n", argv[0], error ? ": " : "",
               error ? error->message : "");
    return 2;
  }
  if (peer_id)
    ap.peer_id = peer_id;
  if (participant)
    ap.participant = participant;
  if (mic_wave)
    ap.mic_wave = mic_wave;
  ap.win_n = (size_t)ap.report_ms * AP_RATE / 1000;
  if (ap.method == METHOD_FIT && ap.win_n && !fit_init(&ap)) {
    g_printerr("audio_peer: --report-hz frequencies cannot be fitted in %d ms\n", ap.report_ms);
    return 2;
  }
  alarm((unsigned)ap.timeout_s + 10); /* backstop if the main loop itself hangs */
  g_mutex_init(&ap.out_lock);
  g_mutex_init(&ap.arr_lock);
  ap.loop = g_main_loop_new(NULL, FALSE);
  ap.t0_us = g_get_monotonic_time();
  {
    GString *s = g_string_new(NULL);
    g_string_append_printf(s,
                           "{\"start\":true,\"peer\":\"%s\",\"mono_us\":%" G_GINT64_FORMAT
                           ",\"report_ms\":%d,\"method\":\"%s\",\"hz\":[",
                           ap.peer_id, ap.t0_us, ap.report_ms,
                           ap.method == METHOD_FIT ? "fit" : "goertzel");
    for (size_t k = 0; k < ap.n_hz; k++)
      g_string_append_printf(s, "%s%g", k ? "," : "", ap.hz[k]);
    g_string_append(s, "]}");
    ap_print(&ap, s->str);
    g_string_free(s, TRUE);
  }

  const char *track_list[4];
  size_t nt = 0;
  track_list[nt++] = "floor";
  if (ap.want_channel)
    track_list[nt++] = "channel";
  if (ap.want_mic)
    track_list[nt++] = "mic";
  track_list[nt] = NULL;
  PeerLinkIdentity id = {.peer = ap.peer_id,
                         .participant = ap.participant,
                         .role = ap.role,
                         .booth = ap.booth,
                         .tracks = track_list};
  static const PeerLinkCallbacks link_cb = {.line = ap_on_line,
                                            .offer = ap_on_offer,
                                            .answer = ap_on_answer,
                                            .failed = ap_on_link_failed};
  if (!(ap.link = peer_link_new(argv[1], &id, "audio_peer", &link_cb, &ap, &error))) {
    g_printerr("audio_peer: %s\n", error->message);
    return 2;
  }
  GstElement *webrtc = peer_link_webrtc(ap.link);
  g_object_set(webrtc, "latency", (guint)ap.latency_ms, NULL);
  g_signal_connect(peer_link_pipeline(ap.link), "deep-element-added",
                   G_CALLBACK(ap_on_element_added), &ap);
  /* m-lines: floor (sendrecv with --mic-sendrecv), channel, mic */
  if (ap.want_mic && ap.mic_sendrecv)
    ok = ap_add_mic(&ap);
  else
    ok = peer_link_add_transceiver(ap.link, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY);
  if (ok && ap.want_channel)
    ok = peer_link_add_transceiver(ap.link, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY);
  if (ok && ap.want_mic && !ap.mic_sendrecv)
    ok = ap_add_mic(&ap);
  if (!ok) {
    g_printerr("audio_peer: cannot set up the transceivers\n");
    return 2;
  }
  g_signal_connect(webrtc, "pad-added", G_CALLBACK(ap_on_pad_added), &ap);
  g_timeout_add_seconds((guint)ap.timeout_s, ap_on_timeout, &ap);
  g_unix_signal_add(SIGTERM, ap_on_signal, &ap);
  g_unix_signal_add(SIGINT, ap_on_signal, &ap);

  if (gst_element_set_state(peer_link_pipeline(ap.link), GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr("audio_peer: pipeline does not start\n");
    return 2;
  }
  g_main_loop_run(ap.loop);

  peer_link_free(ap.link);
  for (int i = 0; i < ap.n_pads; i++) {
    g_free(ap.pads[i]->win);
    g_free(ap.pads[i]->spec);
    g_free(ap.pads[i]);
  }
  g_main_loop_unref(ap.loop);
  g_free(ap.basis);
  g_free(ap.chol);
  g_free(peer_id);
  g_free(participant);
  g_free(role);
  g_free(booth);
  g_free(tracks);
  g_free(mic_wave);
  g_free(report_hz);
  g_free(method);
  g_free(band);
  return ap.status;
}
