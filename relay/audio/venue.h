/* SPDX-License-Identifier: Apache-2.0 */
/* The venue feed: a GStreamer source (a test tone, a file, a gst-launch
 * description, or the venue's RTP: L24/L16 or Opus, unicast or multicast)
 * decoded to 48 kHz mono float and kept in a short ring that the engine
 * reads one frame per tick.
 * The ring decouples GStreamer's streaming thread from the engine's clock:
 * it primes to AUDIO_VENUE_PRIME_MS before the first read, and beyond
 * AUDIO_VENUE_MAX_MS it drops the oldest audio, so the delay stays bounded.
 * GError idiom; thread-safe between the one writer and the one reader. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "frame.h"
#include "relay_config.h"

#define AUDIO_VENUE_PRIME_MS 40
#define AUDIO_VENUE_MAX_MS 120
/* RTP from the venue's LAN arrives steadily (1-20 ms packets, after a jitter
 * buffer of venue_rtp_jitter_ms): a frame and a little margin is enough.
 * At the first read after priming the depth is cut to exactly the prime
 * (it would otherwise keep whatever the tick's phase added, up to a frame
 * more), and the pipeline's streaming threads run at real-time priority
 * when allowed, so the margin holds. */
#define AUDIO_VENUE_RTP_PRIME_MS 22
#define AUDIO_VENUE_RTP_MAX_MS 60
/* RTP: what is left in the ring after a read is watched over a second; if
 * even its minimum exceeds this, the excess is dropped once (the latency
 * a late start or a fast sender's clock left behind). */
#define AUDIO_VENUE_RTP_REST_MS 4
#define AUDIO_VENUE_RTP_TRIM_READS 50
/* No valid RTP packet for this long: the feed is lost (the floor carries
 * silence; the ring is emptied; the pipeline restarts to wait for it). */
#define AUDIO_VENUE_LOSS_MS 250
#define AUDIO_VENUE_WATCH_MS 50

typedef struct AudioVenue AudioVenue;

typedef enum {
  AUDIO_VENUE_UP,   /* audio comes (always, for a local source) */
  AUDIO_VENUE_LOST, /* RTP: nothing valid for AUDIO_VENUE_LOSS_MS (or not yet) */
} AudioVenueState;

typedef struct {
  AudioVenueState state;
  gboolean rtp;      /* floor_source = rtp */
  guint64 losses;    /* times the RTP feed was lost */
  guint64 rtp_packets; /* valid RTP packets taken */
  guint64 rtp_bad[4];  /* dropped, by VenueRtpVerdict (index -verdict; [0] unused) */
  guint64 frames;    /* read whole */
  guint64 underruns; /* a tick found less than a frame: it read silence */
  guint64 dropped;   /* samples dropped to keep the delay bounded */
} AudioVenueStats;

/* Builds and starts the pipeline. Transfer full. */
AudioVenue *audio_venue_new(const RelayConfig *cfg, GError **error);
void audio_venue_free(AudioVenue *v);

/* The gst-launch description audio_venue_new() builds (transfer full). */
char *audio_venue_describe(const RelayConfig *cfg);

/* Fills @frame (AUDIO_FRAME samples, caller's) with the next frame, or
 * with silence if not enough audio is there (underrun, or priming); returns
 * whether it was audio. Engine thread. */
bool audio_venue_read(AudioVenue *v, float *frame);

void audio_venue_stats(AudioVenue *v, AudioVenueStats *out);
/* "up" or "lost" (static). */
const char *audio_venue_state_name(AudioVenueState s);
