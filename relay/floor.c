/* SPDX-License-Identifier: Apache-2.0 */
#include "floor.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

#define FLOOR_PT 111
#define QUEUE_MAX 64 /* ~1.3 s of 20 ms packets: beyond that the loop is stuck */

struct Floor {
  GstElement *pipeline;
  GMainContext *ctx;
  GSource *wakeup;
  GAsyncQueue *packets; /* GstSample*, from the streaming thread */
  FloorPacketFunc func;
  void *user;
  gboolean loop_file;
};

char *
floor_describe(const RelayConfig *cfg, uint32_t ssrc)
{
  g_autofree char *source = NULL;
  switch (cfg->floor_source) {
  case FLOOR_SOURCE_TONE:
    source = g_strdup_printf("audiotestsrc is-live=true wave=sine volume=0.5 freq=%d",
                             cfg->floor_tone_hz);
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
                         "audio/x-raw,rate=48000,channels=1 ! "
                         "opusenc bitrate=%d frame-size=20 audio-type=voice inband-fec=true ! "
                         "rtpopuspay pt=%d ssrc=%u mtu=1200 ! "
                         "appsink name=out sync=%s max-buffers=%d drop=true",
                         source, cfg->floor_bitrate, FLOOR_PT, ssrc,
                         cfg->floor_source == FLOOR_SOURCE_FILE ? "true" : "false", QUEUE_MAX);
}

/* Streaming thread: hand the packet to the loop thread without blocking. */
static GstFlowReturn
on_new_sample(GstAppSink *sink, gpointer data)
{
  Floor *floor = data;
  GstSample *sample = gst_app_sink_pull_sample(sink);
  if (!sample)
    return GST_FLOW_OK;
  if (g_async_queue_length(floor->packets) >= QUEUE_MAX)
    gst_sample_unref(sample); /* the loop is stalled: drop rather than grow */
  else
    g_async_queue_push(floor->packets, sample);
  g_main_context_wakeup(floor->ctx);
  return GST_FLOW_OK;
}

static gboolean
drain_packets(gpointer data)
{
  Floor *floor = data;
  GstSample *sample;
  while ((sample = g_async_queue_try_pop(floor->packets))) {
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstMapInfo map;
    if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
      floor->func(map.data, map.size, floor->user);
      gst_buffer_unmap(buf, &map);
    }
    gst_sample_unref(sample);
  }
  return G_SOURCE_CONTINUE;
}

/* A source that is ready whenever the queue holds packets. */
static gboolean
queue_prepare(GSource *source, gint *timeout)
{
  Floor *floor = *(Floor **)(source + 1);
  *timeout = -1;
  return g_async_queue_length(floor->packets) > 0;
}

static gboolean
queue_check(GSource *source)
{
  Floor *floor = *(Floor **)(source + 1);
  return g_async_queue_length(floor->packets) > 0;
}

static gboolean
queue_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
  return callback(data);
}

static GSourceFuncs queue_funcs = {queue_prepare, queue_check, queue_dispatch, NULL, NULL, NULL};

static gboolean
on_bus_message(GstBus *bus, GstMessage *msg, gpointer data)
{
  Floor *floor = data;
  switch (GST_MESSAGE_TYPE(msg)) {
  case GST_MESSAGE_EOS:
    if (floor->loop_file)
      gst_element_seek_simple(floor->pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0);
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr(GError) err = NULL;
    gst_message_parse_error(msg, &err, NULL);
    g_printerr("relay: floor pipeline error: %s\n", err->message);
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

Floor *
floor_new(const RelayConfig *cfg, uint32_t ssrc, GMainContext *ctx, FloorPacketFunc func,
          void *user, GError **error)
{
  g_autofree char *desc = floor_describe(cfg, ssrc);
  Floor *floor = g_new0(Floor, 1);
  GstElement *sink;
  GstBus *bus;
  GstAppSinkCallbacks callbacks = {.new_sample = on_new_sample};

  floor->ctx = g_main_context_ref(ctx);
  floor->func = func;
  floor->user = user;
  floor->loop_file = cfg->floor_source == FLOOR_SOURCE_FILE;
  floor->packets = g_async_queue_new_full((GDestroyNotify)gst_sample_unref);
  floor->pipeline = gst_parse_launch(desc, error);
  if (!floor->pipeline) {
    g_prefix_error(error, "floor pipeline '%s': ", desc);
    goto fail;
  }
  sink = gst_bin_get_by_name(GST_BIN(floor->pipeline), "out");
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, floor, NULL);
  gst_object_unref(sink);

  floor->wakeup = g_source_new(&queue_funcs, sizeof(GSource) + sizeof(Floor *));
  *(Floor **)(floor->wakeup + 1) = floor;
  g_source_set_callback(floor->wakeup, drain_packets, floor, NULL);
  g_source_set_priority(floor->wakeup, G_PRIORITY_HIGH);
  g_source_attach(floor->wakeup, ctx);

  bus = gst_element_get_bus(floor->pipeline);
  gst_bus_add_watch(bus, on_bus_message, floor);
  gst_object_unref(bus);
  if (gst_element_set_state(floor->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                "floor pipeline '%s' does not start", desc);
    goto fail;
  }
  return floor;

fail:
  floor_free(floor);
  return NULL;
}

void
floor_free(Floor *floor)
{
  if (!floor)
    return;
  if (floor->pipeline) {
    gst_element_set_state(floor->pipeline, GST_STATE_NULL);
    GstBus *bus = gst_element_get_bus(floor->pipeline);
    gst_bus_remove_watch(bus);
    gst_object_unref(bus);
    gst_object_unref(floor->pipeline);
  }
  if (floor->wakeup) {
    g_source_destroy(floor->wakeup);
    g_source_unref(floor->wakeup);
  }
  g_async_queue_unref(floor->packets);
  g_main_context_unref(floor->ctx);
  g_free(floor);
}
