/* SPDX-License-Identifier: Apache-2.0 */
/* One product's output stream: its Opus encoder (fullband, settings from
 * the config), the true-peak limiter in front of it, its level meter, and
 * the RTP packets it emits, whose sequence numbers and timestamps stay
 * continuous whether they come from the encoder or are another product's
 * packets forwarded as they are (a channel carrying the floor). Engine
 * thread only; allocates in _init, nothing per packet. Negative errno. */
#pragma once

#include <glib.h>
#include <opus.h>
#include <stdbool.h>
#include <stdint.h>

#include "frame.h"
#include "level.h"
#include "limiter.h"
#include "seqmap.h"

#define AUDIO_RTP_PT 111
#define AUDIO_TRIM_MAX_DB 12.0
#define AUDIO_TRIM_RELEASE_DB 0.5 /* per 20 ms frame: 25 dB/s */
#define AUDIO_TRIM_HOLD_DB 1.5    /* decoded within this of the ceiling: hold the trim */
#define AUDIO_CHECK_MARGIN_DB 0.3 /* the check aims this far under the ceiling */
#define AUDIO_TRIM_TRIES 6        /* encodes of one frame at most, after the first */
/* a frame's tail this close to the check's target: probe it (stream.c) */
#define AUDIO_PROBE_RANGE_DB 9.0 /* while the limiter or the trim acts */
#define AUDIO_PROBE_NEAR_DB 3.0  /* otherwise */
#define AUDIO_RTP_MAX (12 + AUDIO_MAX_PAYLOAD)

typedef struct {
  int bitrate; /* bits per second */
  bool fec;    /* Opus in-band FEC (with a 10 % loss assumption) */
  bool dtx;
  double ceiling_db; /* the limiter's ceiling, dBFS */
} AudioStreamConfig;

/* Fields are the engine's to read; change them only through the functions. */
typedef struct {
  AudioStreamConfig cfg;
  OpusEncoder *enc;   /* created at the first encode; NULL while only forwarding */
  OpusDecoder *check; /* decodes what we just encoded: what listeners will hear */
  Limiter *limiter;
  /* Opus adds overshoot to a signal at the ceiling (a limited square wave
   * decodes ~3 dB hotter): when what listeners decode passes the ceiling,
   * the frames after the limiter are trimmed by the excess, then the trim
   * releases at AUDIO_TRIM_RELEASE_DB per frame. 0 dB for normal speech. */
  double trim_db;
  double decoded_peak_db; /* the last frame's, as a listener decodes it */
  /* the encoder and the check decoder before this frame: a frame that
   * would decode past the ceiling is encoded again, trimmed (libopus
   * states are flat blocks: memcpy copies them) */
  void *enc_snap, *check_snap;
  /* copies on which a loud frame's tail is decoded ahead (see stream.c) */
  void *probe_enc, *probe_check;
  size_t enc_size, check_size;
  int lookahead;     /* the encoder's, in samples (312 at 48 kHz) */
  guint64 reencoded; /* frames encoded twice to stay under the ceiling */
  guint64 probed;    /* frames whose tail was decoded ahead */
  guint64 over_sent; /* frames sent still past the check's target (best try) */
  LevelMeter level;
  SeqMap map;
  uint32_t ssrc;
  uint16_t enc_seq;   /* input seqs of the two sources */
  uint32_t last_tick; /* tick of the previous packet */
  bool sent;
  bool encoded_this_tick;
  double gain_reduction_db; /* the limiter's, over the last frame */
} AudioStream;

int audio_stream_init(AudioStream *s, const AudioStreamConfig *cfg);
void audio_stream_clear(AudioStream *s);

/* Limits @pcm in place (AUDIO_FRAME samples), meters it, encodes it and
 * writes one RTP packet for @tick into @rtp (AUDIO_RTP_MAX bytes).
 * Returns its length, 0 when DTX sends nothing, or a negative errno. */
int audio_stream_encode(AudioStream *s, float *pcm, uint32_t tick, uint8_t *rtp);

/* A cut (the cough key): forgets what the encoder and the limiter still
 * hold of the previous frames (their lookahead), so the next packet
 * carries only what comes after the cut. */
void audio_stream_cut(AudioStream *s);

/* Meters @pcm (already what the listeners hear) and writes @payload (an
 * encoded Opus packet of another stream, borrowed) as this stream's RTP
 * packet for @tick. Returns its length or a negative errno. */
int audio_stream_forward(AudioStream *s, const float *pcm, const uint8_t *payload, size_t len,
                         uint32_t tick, uint8_t *rtp);
