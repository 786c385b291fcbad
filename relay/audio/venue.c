/* SPDX-License-Identifier: Apache-2.0 */
#include "venue.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

#define RING (AUDIO_RATE) /* 1 s: far more than AUDIO_VENUE_MAX_MS */

struct AudioVenue {
  GstElement *pipeline;
  gboolean loop_file;
  guint bus_watch;
  GMutex lock; /* guards the ring and the stats */
  float ring[RING];
  size_t head, fill; /* read position, samples held */
  gboolean primed;
  AudioVenueStats stats;
};

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
  const size_t max = (size_t)AUDIO_VENUE_MAX_MS * AUDIO_SAMPLES_PER_MS;
  const size_t prime = (size_t)AUDIO_VENUE_PRIME_MS * AUDIO_SAMPLES_PER_MS;
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
  if (!v->primed && v->fill >= (size_t)AUDIO_VENUE_PRIME_MS * AUDIO_SAMPLES_PER_MS)
    v->primed = TRUE;
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

void
audio_venue_stats(AudioVenue *v, AudioVenueStats *out)
{
  g_mutex_lock(&v->lock);
  *out = v->stats;
  g_mutex_unlock(&v->lock);
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
  v->pipeline = gst_parse_launch(desc, error);
  if (!v->pipeline) {
    g_prefix_error(error, "venue pipeline '%s': ", desc);
    goto fail;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(v->pipeline), "out");
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, v, NULL);
  gst_object_unref(sink);
  GstBus *bus = gst_element_get_bus(v->pipeline);
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
  if (v->pipeline) {
    gst_element_set_state(v->pipeline, GST_STATE_NULL);
    if (v->bus_watch)
      g_source_remove(v->bus_watch);
    gst_object_unref(v->pipeline);
  }
  g_mutex_clear(&v->lock);
  g_free(v);
}
