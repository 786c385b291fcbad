/* SPDX-License-Identifier: Apache-2.0 */
/* The audio engine's side of venue audio: the venue feed's state and
 * counters, and a tap on every product's PCM for the venue's RTP outputs
 * (the floor and each channel as listeners hear them, after the limiter;
 * and the remote speakers alone: the floor bus without the venue feed, for
 * the venue's PA). */
#pragma once

#include "engine.h"
#include "venue.h"

/* The tap's "product" for the remote speakers alone (not a listener
 * product: no Opus encode unless a venue output asks for one). */
#define AUDIO_TAP_REMOTE (-1000)

/* Engine thread, once per tick per product: @pcm (AUDIO_FRAME samples,
 * borrowed for the call) of @product (AUDIO_PRODUCT_FLOOR, a channel, or
 * AUDIO_TAP_REMOTE, unlimited). Must not block. */
typedef void (*AudioPcmTap)(int product, const float *pcm, void *user);

/* Sets the tap (NULL: none); from the main loop, any time. */
void audio_engine_set_pcm_tap(AudioEngine *e, AudioPcmTap tap, void *user);

/* The venue feed's state and counters (caller's struct). */
void audio_engine_venue_stats(AudioEngine *e, AudioVenueStats *out);
