/* SPDX-License-Identifier: Apache-2.0 */
/* The venue feed: a GStreamer source (a test tone, a file, or a gst-launch
 * description; the venue's RTP input comes later) decoded to 48 kHz mono
 * float and kept in a short ring that the engine reads one frame per tick.
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

typedef struct AudioVenue AudioVenue;

typedef struct {
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
