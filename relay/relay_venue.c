/* SPDX-License-Identifier: Apache-2.0 */
#include "relay_venue.h"

#include "audio/engine_venue.h"
#include "relay_private.h"

#define WATCH_MS 100

struct RelayVenue {
  Relay *relay;
  guint watch;
  AudioVenueState venue_state; /* the last one told on the control link */
};

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
  return G_SOURCE_CONTINUE;
}

RelayVenue *
relay_venue_new(Relay *relay, GError **error)
{
  RelayVenue *rv = g_new0(RelayVenue, 1);
  AudioVenueStats vs;
  rv->relay = relay;
  audio_engine_venue_stats(relay->engine, &vs);
  rv->venue_state = vs.state;
  rv->watch = g_timeout_add(WATCH_MS, on_watch, rv);
  (void)error;
  return rv;
}

void
relay_venue_free(RelayVenue *rv)
{
  if (!rv)
    return;
  if (rv->watch)
    g_source_remove(rv->watch);
  g_free(rv);
}

void
relay_venue_packet(RelayVenue *rv, int product, const uint8_t *rtp, size_t len)
{
  (void)rv;
  (void)product;
  (void)rtp;
  (void)len;
}

const char *
relay_venue_state(RelayVenue *rv)
{
  return audio_venue_state_name(rv->venue_state);
}

const char *
relay_venue_recording_state(RelayVenue *rv)
{
  (void)rv;
  return "off";
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
}
