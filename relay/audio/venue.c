/* SPDX-License-Identifier: Apache-2.0 */
#include "venue.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "venue_rtp.h"

#define RING (AUDIO_RATE) /* 1 s: far more than AUDIO_VENUE_MAX_MS */

struct AudioVenue {
  GstElement *pipeline;
  gboolean loop_file;
  guint bus_watch;
  GMutex lock; /* guards the ring and the stats */
  float ring[RING];
  size_t head, fill; /* read position, samples held */
  gboolean primed;
  size_t prime, max; /* samples */
  gboolean pin;      /* RTP: the first read after priming cuts the depth to the prime */
  AudioVenueStats stats;
  /* RTP: the checks on udpsrc's pad (streaming thread) and the loss watch
   * (main loop) */
  VenueRtpFormat rtp_fmt;
  gint64 last_packet_us; /* under @lock */
  guint watch;
};

static const char *const depay[] = {
    [VENUE_FORMAT_L24] = "rtpL24depay",
    [VENUE_FORMAT_L16] = "rtpL16depay",
    [VENUE_FORMAT_OPUS] = "rtpopusdepay ! opusdec plc=true",
};
static const char *const encoding[] = {
    [VENUE_FORMAT_L24] = "L24",
    [VENUE_FORMAT_L16] = "L16",
    [VENUE_FORMAT_OPUS] = "OPUS",
};

const char *
audio_venue_state_name(AudioVenueState s)
{
  return s == AUDIO_VENUE_UP ? "up" : "lost";
}

/* udpsrc (the group joined, or the local address bound) ! the jitter
 * buffer ! the depayloader. The caps say what the checks enforce. */
static char *
describe_rtp(const RelayConfig *cfg)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(cfg->venue_rtp_address);
  gboolean opus = cfg->venue_rtp_format == VENUE_FORMAT_OPUS;
  int ch = opus ? 2 : cfg->venue_rtp_channels;
  g_autofree char *iface = cfg->venue_rtp_interface[0]
                               ? g_strdup_printf("multicast-iface=%s ", cfg->venue_rtp_interface)
                               : g_strdup("");
  return g_strdup_printf(
      "udpsrc name=rtpin address=%s port=%d auto-multicast=%s %sbuffer-size=1048576 "
      "caps=\"application/x-rtp,media=(string)audio,clock-rate=(int)48000,"
      "encoding-name=(string)%s,payload=(int)%d,channels=(int)%d,encoding-params=(string)%d%s\" ! "
      "rtpjitterbuffer latency=%d drop-on-latency=true ! %s",
      cfg->venue_rtp_address, cfg->venue_rtp_port,
      a && g_inet_address_get_is_multicast(a) ? "true" : "false", iface,
      encoding[cfg->venue_rtp_format], cfg->venue_rtp_pt, ch, ch,
      opus ? ",sprop-stereo=(string)1" : "", cfg->venue_rtp_jitter_ms,
      depay[cfg->venue_rtp_format]);
}

char *
audio_venue_describe(const RelayConfig *cfg)
{
  g_autofree char *source = NULL;
  switch (cfg->floor_source) {
  case FLOOR_SOURCE_TONE:
    source = g_strdup_printf("audiotestsrc is-live=true wave=sine volume=0.5 freq=%d "
                             "samplesperbuffer=%d",
                             cfg->floor_tone_hz, AUDIO_FRAME);
    break;
  case FLOOR_SOURCE_FILE: {
    g_autofree char *quoted = g_strescape(cfg->floor_file, NULL);
    source = g_strdup_printf("filesrc location=\"%s\" ! decodebin", quoted);
    break;
  }
  case FLOOR_SOURCE_PIPELINE:
    source = g_strdup(cfg->floor_pipeline);
    break;
  case FLOOR_SOURCE_RTP:
    source = describe_rtp(cfg);
    break;
  }
  return g_strdup_printf("%s ! audioconvert ! audioresample ! "
                         "audio/x-raw,format=F32LE,layout=interleaved,rate=%d,channels=1 ! "
                         "appsink name=out sync=%s max-buffers=8 drop=true",
                         source, AUDIO_RATE,
                         cfg->floor_source == FLOOR_SOURCE_FILE ? "true" : "false");
}

/* Streaming thread: append to the ring, dropping the oldest beyond the
 * bound. */
static GstFlowReturn
on_new_sample(GstAppSink *sink, gpointer data)
{
  AudioVenue *v = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  GstBuffer *buf = sample ? gst_sample_get_buffer(sample) : NULL;
  GstMapInfo map;
  if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  const float *pcm = (const float *)map.data;
  size_t n = MIN(map.size / sizeof(float), (size_t)RING);
  g_mutex_lock(&v->lock);
  for (size_t i = 0; i < n; i++) {
    v->ring[(v->head + v->fill) % RING] = pcm[i];
    if (v->fill < RING)
      v->fill++;
    else
      v->head = (v->head + 1) % RING;
  }
  const size_t max = v->max, prime = v->prime;
  if (v->fill > max) { /* the source runs ahead of the engine: back to the prime depth */
    size_t drop = v->fill - prime;
    v->head = (v->head + drop) % RING;
    v->fill -= drop;
    v->stats.dropped += drop;
  }
  g_mutex_unlock(&v->lock);
  gst_buffer_unmap(buf, &map);
  return GST_FLOW_OK;
}

bool
audio_venue_read(AudioVenue *v, float *frame)
{
  bool ok = false;
  g_mutex_lock(&v->lock);
  if (!v->primed && v->fill >= v->prime) {
    v->primed = TRUE;
    if (v->pin) { /* the oldest audio goes: the depth is the prime, not prime + phase */
      size_t drop = v->fill - v->prime;
      v->head = (v->head + drop) % RING;
      v->fill -= drop;
      v->stats.dropped += drop;
    }
  }
  if (v->primed && v->fill >= AUDIO_FRAME) {
    for (size_t i = 0; i < AUDIO_FRAME; i++)
      frame[i] = v->ring[(v->head + i) % RING];
    v->head = (v->head + AUDIO_FRAME) % RING;
    v->fill -= AUDIO_FRAME;
    v->stats.frames++;
    ok = true;

  } else if (v->primed) {
    v->stats.underruns++;
    v->primed = FALSE; /* prime again rather than stutter frame by frame */
  }
  g_mutex_unlock(&v->lock);
  if (!ok)
    memset(frame, 0, AUDIO_FRAME * sizeof *frame);
  return ok;
}

/* Streaming thread: every datagram of udpsrc, before the jitter buffer. */
static GstPadProbeReturn
on_datagram(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  AudioVenue *v = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstMapInfo map;
  VenueRtpVerdict verdict = VENUE_RTP_NOT_RTP;
  if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
    verdict = venue_rtp_check(&v->rtp_fmt, map.data, map.size);
    gst_buffer_unmap(buf, &map);
  }
  g_mutex_lock(&v->lock);
  if (verdict == VENUE_RTP_OK) {
    v->stats.rtp_packets++;
    v->last_packet_us = g_get_monotonic_time();
  } else {
    v->stats.rtp_bad[-verdict]++;
  }
  g_mutex_unlock(&v->lock);
  return verdict == VENUE_RTP_OK ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* Main loop: the feed is lost after AUDIO_VENUE_LOSS_MS without a valid
 * packet; then the ring is emptied (the floor carries silence, never what
 * was left) and the pipeline is restarted from READY, so the jitter buffer
 * and the depayloader take the feed's return (a new SSRC, sequence and
 * timestamps) as a new stream. Up again at the first packet. */
static gboolean
on_watch(gpointer data)
{
  AudioVenue *v = data;
  gint64 now = g_get_monotonic_time();
  gboolean restart = FALSE;
  g_mutex_lock(&v->lock);
  gboolean fresh = v->last_packet_us > 0 && now - v->last_packet_us < AUDIO_VENUE_LOSS_MS * 1000;
  if (v->stats.state == AUDIO_VENUE_UP && !fresh) {
    v->stats.state = AUDIO_VENUE_LOST;
    v->stats.losses++;
    v->head = v->fill = 0;
    v->primed = FALSE;
    restart = TRUE;
  } else if (v->stats.state == AUDIO_VENUE_LOST && fresh) {
    v->stats.state = AUDIO_VENUE_UP;
  }
  g_mutex_unlock(&v->lock);
  if (restart) {
    g_printerr("relay: venue RTP feed lost (nothing valid for %d ms): the floor carries "
               "silence until it returns\n",
               AUDIO_VENUE_LOSS_MS);
    gst_element_set_state(v->pipeline, GST_STATE_READY);
    gst_element_set_state(v->pipeline, GST_STATE_PLAYING);
  }
  return G_SOURCE_CONTINUE;
}

void
audio_venue_stats(AudioVenue *v, AudioVenueStats *out)
{
  g_mutex_lock(&v->lock);
  *out = v->stats;
  g_mutex_unlock(&v->lock);
}

/* Streaming threads, as each starts: the venue feed is on everyone's
 * floor, so its threads go just under the engine's (SCHED_FIFO 9), else
 * at a better nice value, else as they are. */
static GstBusSyncReply
on_sync_message(GstBus *bus, GstMessage *msg, gpointer data)
{
  GstStreamStatusType type;
  GstElement *owner;
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_STREAM_STATUS)
    return GST_BUS_PASS;
  gst_message_parse_stream_status(msg, &type, &owner);
  if (type == GST_STREAM_STATUS_TYPE_ENTER) {
    struct sched_param sp = {.sched_priority = 9};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0)
      setpriority(PRIO_PROCESS, (id_t)gettid(), -10);
  }
  return GST_BUS_PASS;
}

static gboolean
on_bus_message(GstBus *bus, GstMessage *msg, gpointer data)
{
  AudioVenue *v = data;
  switch (GST_MESSAGE_TYPE(msg)) {
  case GST_MESSAGE_EOS:
    if (v->loop_file)
      gst_element_seek_simple(v->pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0);
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr(GError) err = NULL;
    gst_message_parse_error(msg, &err, NULL);
    g_printerr("relay: venue pipeline error: %s\n", err->message);
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

AudioVenue *
audio_venue_new(const RelayConfig *cfg, GError **error)
{
  g_autofree char *desc = audio_venue_describe(cfg);
  AudioVenue *v = g_new0(AudioVenue, 1);
  GstAppSinkCallbacks callbacks = {.new_sample = on_new_sample};

  g_mutex_init(&v->lock);
  v->loop_file = cfg->floor_source == FLOOR_SOURCE_FILE;
  v->stats.rtp = cfg->floor_source == FLOOR_SOURCE_RTP;
  v->stats.state = v->stats.rtp ? AUDIO_VENUE_LOST : AUDIO_VENUE_UP;
  v->prime = (size_t)(v->stats.rtp ? AUDIO_VENUE_RTP_PRIME_MS : AUDIO_VENUE_PRIME_MS) *
             AUDIO_SAMPLES_PER_MS;
  v->max =
      (size_t)(v->stats.rtp ? AUDIO_VENUE_RTP_MAX_MS : AUDIO_VENUE_MAX_MS) * AUDIO_SAMPLES_PER_MS;
  v->pin = v->stats.rtp;
  v->rtp_fmt = (VenueRtpFormat){
      .encoding = cfg->venue_rtp_format == VENUE_FORMAT_L24   ? VENUE_RTP_L24
                  : cfg->venue_rtp_format == VENUE_FORMAT_L16 ? VENUE_RTP_L16
                                                              : VENUE_RTP_OPUS,
      .channels = (unsigned)cfg->venue_rtp_channels,
      .pt = (unsigned)cfg->venue_rtp_pt,
      .ptime_ms = (unsigned)cfg->venue_rtp_ptime_ms,
  };
  v->pipeline = gst_parse_launch(desc, error);
  if (!v->pipeline) {
    g_prefix_error(error, "venue pipeline '%s': ", desc);
    goto fail;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(v->pipeline), "out");
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, v, NULL);
  gst_object_unref(sink);
  if (v->stats.rtp) {
    GstElement *udp = gst_bin_get_by_name(GST_BIN(v->pipeline), "rtpin");
    GstPad *pad = udp ? gst_element_get_static_pad(udp, "src") : NULL;
    if (pad)
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_datagram, v, NULL);
    if (pad)
      gst_object_unref(pad);
    if (udp)
      gst_object_unref(udp);
    v->watch = g_timeout_add(AUDIO_VENUE_WATCH_MS, on_watch, v);
  }
  GstBus *bus = gst_element_get_bus(v->pipeline);
  if (v->stats.rtp)
    gst_bus_set_sync_handler(bus, on_sync_message, v, NULL);
  v->bus_watch = gst_bus_add_watch(bus, on_bus_message, v);
  gst_object_unref(bus);
  if (gst_element_set_state(v->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                "venue pipeline '%s' does not start", desc);
    goto fail;
  }
  return v;

fail:
  audio_venue_free(v);
  return NULL;
}

void
audio_venue_free(AudioVenue *v)
{
  if (!v)
    return;
  if (v->watch)
    g_source_remove(v->watch);
  if (v->pipeline) {
    gst_element_set_state(v->pipeline, GST_STATE_NULL);
    if (v->bus_watch)
      g_source_remove(v->bus_watch);
    gst_object_unref(v->pipeline);
  }
  g_mutex_clear(&v->lock);
  g_free(v);
}
