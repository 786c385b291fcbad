/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's per-frame steps timed one by one, hot in cache, in this
 * thread (CLOCK_THREAD_CPUTIME_ID around a loop of frames; the least of
 * several repeats): what a product encode and a microphone decode are made
 * of. */
#pragma once

typedef struct {
  double limiter_speech;  /* µs per 20 ms frame: speech under the ceiling */
  double limiter_loud;    /* limiting every frame (speech +20 dB) */
  double level;           /* the level meter (4x true peak), every product and mic */
  double encode_speech;   /* opus_encode_float with stream.c's settings */
  double encode_tone;     /* the same on the 440 Hz venue tone */
  double encode_mix10;    /* the same on ten voices mixed */
  double stream_encode;   /* audio_stream_encode(): limiter + level + encode + RTP, speech */
  double decode;          /* opus_decode_float of a browser-like 32 kb/s packet */
  double jitter;          /* jitter_push() + jitter_pop() of one packet */
  double mix_base;        /* mix_bus_run() with the venue only */
  double mix_per_speaker; /* its slope per speaker on the floor (1..10) */
} MicroResult;

/* @frames frames per measurement, the least of @repeat. Returns 0 or a
 * negative errno. */
int micro_run(unsigned frames, unsigned repeat, MicroResult *out);
