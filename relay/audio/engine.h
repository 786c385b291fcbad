/* SPDX-License-Identifier: Apache-2.0 */
/* The audio engine: one thread that every 20 ms decodes the live
 * microphones (jitter buffer, Opus with FEC and PLC), mixes the floor with
 * mix-minus for each remote speaker, makes each language channel from its
 * booth's live interpreter (or, with no microphone on, the floor's own
 * packets after a ramp), limits and encodes each product once, and hands
 * the packets to the main loop. It never waits for the main loop and the
 * main loop never waits for it: microphone packets go in and product
 * packets come out through AudioQueues; requests are applied at the next
 * frame boundary.
 *
 * Products are numbered: AUDIO_PRODUCT_FLOOR, then one channel per
 * language in the config's order (audio_engine_channel()), then the
 * speakers' mix-minus and the low-bandwidth encodes, made as needed.
 * Every function here runs on the main loop's thread, except where said.
 * GError idiom for construction; the requests return negative errno. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "jitter.h"
#include "level.h"
#include "relay_config.h"

#define AUDIO_PRODUCT_FLOOR 0
#define AUDIO_MAX_PRODUCTS 128
#define AUDIO_MAX_MICS 96
#define AUDIO_MAX_LANGUAGES 16

typedef struct AudioEngine AudioEngine;

/* A product's packet, on the main loop: @rtp (borrowed) is ready to fan out. */
typedef void (*AudioPacketFunc)(int product, const uint8_t *rtp, size_t len, void *user);

/* Starts the engine and its venue source. @cfg is borrowed and outlives it.
 * Transfer full. */
AudioEngine *audio_engine_new(const RelayConfig *cfg, GMainContext *ctx, AudioPacketFunc func,
                              void *user, GError **error);
void audio_engine_free(AudioEngine *e);

unsigned audio_engine_languages(const AudioEngine *e);
/* The language code of channel @i ("fr"), transfer none. */
const char *audio_engine_language(const AudioEngine *e, unsigned i);
/* The product of channel "@lang", or -ENOENT. */
int audio_engine_channel(const AudioEngine *e, const char *lang);
/* Parses "floor" or "channel:L" into a product, or -ENOENT. */
int audio_engine_product_by_name(const AudioEngine *e, const char *name);
/* "floor", "channel:fr", "minus:<peer>", "<base>@lowbw" (transfer none). */
const char *audio_engine_product_name(const AudioEngine *e, int product);

/* A peer's microphone. @booth: the interpreter's booth language or NULL.
 * Returns the mic id (>= 0), -ENOSPC (no room, or the booth has two
 * interpreters already), -ENOENT (no such booth) or -EEXIST. */
int audio_engine_mic_add(AudioEngine *e, const char *peer, const char *booth);
void audio_engine_mic_remove(AudioEngine *e, int mic);
int audio_engine_mic_by_peer(const AudioEngine *e, const char *peer);
/* The microphone's next RTP packet (SRTP already removed), any thread that
 * is not the engine's; never blocks. */
void audio_engine_mic_packet(AudioEngine *e, int mic, const uint8_t *rtp, size_t len);

/* The speaker's microphone joins (@on) or leaves the floor. Granting
 * returns its mix-minus product; revoking returns 0. */
int audio_engine_floor(AudioEngine *e, int mic, bool on);
/* The speaker's mix-minus product while it has the floor, else -1. */
int audio_engine_speaker_minus(const AudioEngine *e, int mic);
/* Booth @lang's live microphone: @mic of one of its interpreters, or -1
 * for none. Returns 0, -ENOENT, -EINVAL (not this booth's) or -EBUSY
 * (another booth is live into the same channel). */
int audio_engine_booth_live(AudioEngine *e, const char *lang, int mic);
/* -EPERM unless @mic is its booth's live one (a speaker's mic may always). */
int audio_engine_cough(AudioEngine *e, int mic, bool on);

typedef struct {
  char live[65]; /* the live interpreter's peer, or "" */
  bool cough;
  int input;  /* product its interpreters hear */
  int output; /* the channel it feeds */
} AudioBoothState;

/* Fills @out (caller's struct). FALSE if @lang is no booth. */
bool audio_engine_booth_state(const AudioEngine *e, const char *lang, AudioBoothState *out);
/* What the booth's interpreters hear: AUDIO_PRODUCT_FLOOR or a channel.
 * -ELOOP if booths would relay in a circle. */
int audio_engine_booth_input(AudioEngine *e, const char *lang, int product);
int audio_engine_booth_input_product(const AudioEngine *e, const char *lang);
/* The channel the booth's interpreter feeds (retour); -EPERM if the
 * config does not allow it, -EBUSY if this booth is live and another live
 * booth feeds that channel. */
int audio_engine_booth_output(AudioEngine *e, const char *lang, const char *channel);

/* A listener wants (@on) or no longer wants the low-bandwidth encode of
 * @product; returns the low-bandwidth product (made at the first want). */
int audio_engine_lowbw(AudioEngine *e, int product, bool on);
/* @product's low-bandwidth product, or -1 while nobody wants one. */
int audio_engine_lowbw_product(const AudioEngine *e, int product);

typedef struct {
  LevelReading level;
  double gain_reduction_db;
  bool limiting;
  bool active;
} AudioLevel;

/* Snapshots (transfer none: caller's structs), refreshed every 100 ms. */
bool audio_engine_product_level(AudioEngine *e, int product, AudioLevel *out);
bool audio_engine_mic_level(AudioEngine *e, int mic, AudioLevel *out);

typedef struct {
  unsigned encoders; /* Opus encoders that encoded in the last tick */
  unsigned decoders; /* microphones decoded in the last tick */
  guint64 ticks, late_ticks;
  guint64 mic_packets, mic_dropped;
  guint64 out_dropped;
  guint64 venue_underruns;
  double tick_cpu_us; /* engine thread CPU per tick, smoothed */
  /* mic packet in → the packet of the product that carries it out (the
   * floor for a speaker, the channel for an interpreter), every decoded
   * microphone every tick, the last ~30 s weighted most (1 ms buckets:
   * the upper edge) */
  double latency_p50_ms, latency_p99_ms;
  JitterStats jitter; /* every microphone's jitter buffer, summed (every 100 ms) */
} AudioEngineStats;

void audio_engine_stats(AudioEngine *e, AudioEngineStats *out);
