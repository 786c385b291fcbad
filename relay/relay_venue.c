/* SPDX-License-Identifier: Apache-2.0 */
#include "relay_venue.h"

#include <errno.h>
#include <string.h>

#include "audio/engine_venue.h"
#include "audio/recorder.h"
#include "audio/venue_out.h"
#include "relay_private.h"

#define WATCH_MS 100

struct RelayVenue {
  Relay *relay;
  guint watch;
  AudioVenueState venue_state; /* the last one told on the control link */
  Recorder *recorder;          /* NULL: recording_dir is empty */
  guint32 recording_gen;       /* the last state told */
  char *meeting, *session, *item;
  VenueOut *out; /* NULL: no venue_out */
};

/* Engine thread: the products' PCM for the venue outputs. */
static void
on_pcm(int product, const float *pcm, void *user)
{
  RelayVenue *rv = user;
  venue_out_pcm(rv->out, product, pcm);
}

static gboolean
start_outputs(RelayVenue *rv, GError **error)
{
  const RelayConfig *cfg = rv->relay->cfg;
  int products[VENUE_OUT_MAX];
  for (unsigned i = 0; i < cfg->n_venue_out; i++) {
    const char *name = cfg->venue_out[i].product;
    products[i] = strcmp(name, "remote") == 0
                      ? AUDIO_TAP_REMOTE
                      : audio_engine_product_by_name(rv->relay->engine, name);
    if (products[i] < 0 && products[i] != AUDIO_TAP_REMOTE) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "venue_out: no product %s", name);
      return FALSE;
    }
  }
  if (!(rv->out = venue_out_new(cfg, products, error)))
    return FALSE;
  audio_engine_set_pcm_tap(rv->relay->engine, on_pcm, rv);
  return TRUE;
}

static void
emit_recording_state(RelayVenue *rv, const RecorderStats *st)
{
  g_autoptr(JsonObject) o = json_object_new();
  json_object_set_string_member(o, "state", recorder_state_name(st->state));
  if (st->state == RECORDER_ERROR)
    json_object_set_string_member(o, "reason", st->reason);
  if (st->state == RECORDER_RECORDING && rv->item) {
    json_object_set_string_member(o, "meeting", rv->meeting);
    json_object_set_string_member(o, "session", rv->session);
    json_object_set_string_member(o, "item", rv->item);
  }
  relay_emit(rv->relay, "recording.state", NULL, o);
}

static void
emit_venue_state(RelayVenue *rv, AudioVenueState st)
{
  g_autoptr(JsonObject) o = json_object_new();
  json_object_set_string_member(o, "state", audio_venue_state_name(st));
  relay_emit(rv->relay, "venue.state", NULL, o);
  g_print("relay: venue feed %s\n", audio_venue_state_name(st));
}

static gboolean
on_watch(gpointer data)
{
  RelayVenue *rv = data;
  AudioVenueStats vs;
  audio_engine_venue_stats(rv->relay->engine, &vs);
  if (vs.state != rv->venue_state) {
    rv->venue_state = vs.state;
    emit_venue_state(rv, vs.state);
  }
  if (rv->recorder) {
    RecorderStats rs;
    recorder_stats(rv->recorder, &rs);
    if (rs.generation != rv->recording_gen) {
      rv->recording_gen = rs.generation;
      emit_recording_state(rv, &rs);
    }
  }
  return G_SOURCE_CONTINUE;
}

static char *
handle_agenda_item(Relay *relay, const CtlMessage *msg)
{
  RelayVenue *rv = relay->venue;
  const char *session = ctl_get_string(msg, "session");
  const char *item = session ? ctl_get_string(msg, "item") : NULL; /* no session: no item */
  g_free(rv->meeting);
  g_free(rv->session);
  g_free(rv->item);
  rv->meeting = g_strdup(ctl_get_string(msg, "meeting"));
  rv->session = g_strdup(session);
  rv->item = g_strdup(item);
  if (rv->recorder)
    recorder_set_item(rv->recorder, rv->meeting, rv->session ? rv->session : "", rv->item);
  g_autoptr(JsonObject) extra = json_object_new();
  json_object_set_string_member(extra, "recording", relay_venue_recording_state(rv));
  return ctl_build_reply_ok(msg->id, extra);
}

static const struct {
  const char *type;
  RelayRequestHandler handle;
} handlers[] = {
    {"agenda.item", handle_agenda_item},
};

RelayRequestHandler
relay_venue_handler(const char *type)
{
  for (size_t i = 0; i < G_N_ELEMENTS(handlers); i++)
    if (strcmp(type, handlers[i].type) == 0)
      return handlers[i].handle;
  return NULL;
}

RelayVenue *
relay_venue_new(Relay *relay, GError **error)
{
  RelayVenue *rv = g_new0(RelayVenue, 1);
  AudioVenueStats vs;
  rv->relay = relay;
  audio_engine_venue_stats(relay->engine, &vs);
  rv->venue_state = vs.state;
  if (relay->cfg->recording_dir[0]) {
    AudioEngine *e = relay->engine;
    unsigned n = audio_engine_languages(e) + 1;
    const char *names[AUDIO_MAX_LANGUAGES + 1];
    for (unsigned i = 0; i < n; i++)
      names[i] = audio_engine_product_name(e, (int)i);
    if (!(rv->recorder = recorder_new(relay->cfg->recording_dir, names, n, error)))
      goto fail;
  }
  if (relay->cfg->n_venue_out && !start_outputs(rv, error))
    goto fail;
  rv->watch = g_timeout_add(WATCH_MS, on_watch, rv);
  return rv;

fail:
  relay_venue_free(rv);
  return NULL;
}

void
relay_venue_free(RelayVenue *rv)
{
  if (!rv)
    return;
  if (rv->watch)
    g_source_remove(rv->watch);
  if (rv->out) {
    audio_engine_set_pcm_tap(rv->relay->engine, NULL, NULL); /* no call runs after it */
    venue_out_free(rv->out);
  }
  recorder_free(rv->recorder);
  g_free(rv->meeting);
  g_free(rv->session);
  g_free(rv->item);
  g_free(rv);
}

void
relay_venue_packet(RelayVenue *rv, int product, const uint8_t *rtp, size_t len)
{
  if (rv->recorder)
    recorder_packet(rv->recorder, product, rtp, len); /* it records the floor and channels */
  if (rv->out)
    venue_out_packet(rv->out, product, rtp, len);
}

const char *
relay_venue_state(RelayVenue *rv)
{
  return audio_venue_state_name(rv->venue_state);
}

const char *
relay_venue_recording_state(RelayVenue *rv)
{
  RecorderStats rs;
  if (!rv->recorder)
    return "off";
  recorder_stats(rv->recorder, &rs);
  return recorder_state_name(rs.state);
}

void
relay_venue_metrics(RelayVenue *rv, GString *out)
{
  AudioVenueStats vs;
  audio_engine_venue_stats(rv->relay->engine, &vs);
  g_string_append_printf(
      out,
      "# HELP rostrum_venue_up The venue feed brings audio (RTP: a valid packet in the last "
      "250 ms).\n"
      "# TYPE rostrum_venue_up gauge\n"
      "rostrum_venue_up %d\n"
      "# TYPE rostrum_venue_losses_total counter\n"
      "rostrum_venue_losses_total %" G_GUINT64_FORMAT "\n"
      "# TYPE rostrum_venue_rtp_packets_total counter\n"
      "rostrum_venue_rtp_packets_total %" G_GUINT64_FORMAT "\n"
      "# HELP rostrum_venue_rtp_dropped_total Datagrams on the venue port dropped unread.\n"
      "# TYPE rostrum_venue_rtp_dropped_total counter\n"
      "rostrum_venue_rtp_dropped_total{why=\"not_rtp\"} %" G_GUINT64_FORMAT "\n"
      "rostrum_venue_rtp_dropped_total{why=\"payload_type\"} %" G_GUINT64_FORMAT "\n"
      "rostrum_venue_rtp_dropped_total{why=\"format\"} %" G_GUINT64_FORMAT "\n",
      vs.state == AUDIO_VENUE_UP, vs.losses, vs.rtp_packets, vs.rtp_bad[1], vs.rtp_bad[2],
      vs.rtp_bad[3]);
  if (rv->out) {
    VenueOutStats os;
    venue_out_stats(rv->out, &os);
    g_string_append_printf(out,
                           "# HELP rostrum_venue_out_ptp The venue outputs run on a PTP clock.\n"
                           "# TYPE rostrum_venue_out_ptp gauge\n"
                           "rostrum_venue_out_ptp %d\n"
                           "# TYPE rostrum_venue_out_frames_total counter\n"
                           "rostrum_venue_out_frames_total %" G_GUINT64_FORMAT "\n"
                           "# TYPE rostrum_venue_out_packets_total counter\n"
                           "rostrum_venue_out_packets_total %" G_GUINT64_FORMAT "\n"
                           "# TYPE rostrum_venue_out_errors_total counter\n"
                           "rostrum_venue_out_errors_total %" G_GUINT64_FORMAT "\n",
                           os.ptp, os.frames, os.packets, os.errors);
  }
  if (rv->recorder) {
    RecorderStats rs;
    recorder_stats(rv->recorder, &rs);
    g_string_append_printf(
        out,
        "# HELP rostrum_recording_active Files are being written (1), or not (0: no item, or "
        "stopped by an error).\n"
        "# TYPE rostrum_recording_active gauge\n"
        "rostrum_recording_active %d\n"
        "# HELP rostrum_recording_errors_total Recordings stopped by a disk error.\n"
        "# TYPE rostrum_recording_errors_total counter\n"
        "rostrum_recording_errors_total %" G_GUINT64_FORMAT "\n"
        "# TYPE rostrum_recording_packets_total counter\n"
        "rostrum_recording_packets_total %" G_GUINT64_FORMAT "\n"
        "# TYPE rostrum_recording_bytes_total counter\n"
        "rostrum_recording_bytes_total %" G_GUINT64_FORMAT "\n"
        "# TYPE rostrum_recording_files_total counter\n"
        "rostrum_recording_files_total %" G_GUINT64_FORMAT "\n"
        "# HELP rostrum_recording_dropped_total Packets the writer could not keep up with.\n"
        "# TYPE rostrum_recording_dropped_total counter\n"
        "rostrum_recording_dropped_total %" G_GUINT64_FORMAT "\n",
        rs.state == RECORDER_RECORDING, rs.errors, rs.packets, rs.bytes, rs.files, rs.dropped);
  }
}
