/* SPDX-License-Identifier: Apache-2.0 */
/* What engine-bench feeds the audio engine: speech-like and burst signals,
 * pre-encoded the way a browser would send a microphone (Opus 32 kb/s,
 * 20 ms, in-band FEC), the RTP header around each packet, and the onset
 * detector that both sides of the latency measurement use. */
#pragma once

#include <opus.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define SIG_MIC_BITRATE 32000
#define SIG_BURST_AMP 0.25f /* -12 dBFS: a microphone at speech level */
#define SIG_BURST_HZ 1000.0
#define SIG_ONSET_THRESHOLD 0.05f                            /* 14 dB under the burst */
#define SIG_ONSET_QUIET_SAMPLES (100 * AUDIO_SAMPLES_PER_MS) /* before an onset */

/* A microphone's packets, encoded once and sent in a loop. */
typedef struct {
  unsigned n;     /* packets */
  uint8_t **data; /* Opus payloads */
  unsigned *len;
  uint32_t ssrc;
  uint16_t seq0;
  uint32_t ts0;
} SigStream;

/* @frames of a voice-like signal (harmonics of a gliding f0, a syllable
 * envelope, a little noise, -23 dBFS RMS); @voice picks f0 and the rhythm
 * so that no two microphones are alike. @pcm holds frames * AUDIO_FRAME. */
void sig_speech(float *pcm, unsigned frames, unsigned voice);

/* Silence, and every @period frames from frame @first a 1 kHz burst of
 * @len frames at SIG_BURST_AMP starting on a frame boundary. */
void sig_bursts(float *pcm, unsigned frames, unsigned period, unsigned first, unsigned len);

/* White noise at @dbfs RMS (a quiet open microphone: room tone). */
void sig_noise(float *pcm, unsigned frames, double dbfs, unsigned seed);

/* Encodes @pcm as a browser would (libopus, VOIP, 32 kb/s, FEC with a 10 %
 * loss assumption). Returns 0 or a negative errno. Free with sig_stream_clear(). */
int sig_stream_encode(SigStream *s, const float *pcm, unsigned frames, uint32_t ssrc);
void sig_stream_clear(SigStream *s);

/* Packet @k of the stream (looped) as RTP: version 2, pt 111, seq and ts
 * counting from the stream's random start. Returns the length. */
size_t sig_stream_rtp(const SigStream *s, uint64_t k, uint8_t *rtp, size_t cap);

/* Onsets in a stream of decoded samples, fed in any chunks: an onset is
 * the first sample above SIG_ONSET_THRESHOLD after at least
 * SIG_ONSET_QUIET_SAMPLES under it. */
typedef struct {
  uint64_t pos;   /* samples seen so far */
  uint64_t quiet; /* samples under the threshold, in a row */
} SigOnset;

void sig_onset_init(SigOnset *o);
/* Scans @n samples; calls @found (if not NULL) with the index of each
 * onset in the stream (from 0) and its offset in @pcm. */
void sig_onset_scan(SigOnset *o, const float *pcm, size_t n,
                    void (*found)(uint64_t index, size_t offset, void *user), void *user);
