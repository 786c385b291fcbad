/* SPDX-License-Identifier: Apache-2.0 */
/* The audio engine's frame: 48 kHz mono float PCM, one 20 ms frame per
 * tick. Every pure module of relay/audio/ counts in these units. */
#pragma once

#define AUDIO_RATE 48000  /* samples per second, everywhere (fullband) */
#define AUDIO_FRAME_MS 20 /* one engine tick */
#define AUDIO_FRAME 960   /* samples per tick: AUDIO_RATE * AUDIO_FRAME_MS / 1000 */
#define AUDIO_SAMPLES_PER_MS 48

/* Opus at 48 kHz: the shortest and longest packet durations (RFC 6716 3.1). */
#define AUDIO_OPUS_MIN_SAMPLES 120  /* 2.5 ms */
#define AUDIO_OPUS_MAX_SAMPLES 5760 /* 120 ms */

#define AUDIO_MAX_PAYLOAD 1500 /* largest RTP payload the engine stores, bytes */
#define AUDIO_PEER_ID_MAX 64   /* peer id length, without the NUL */

/* Reported instead of -inf for silence, so that levels stay finite numbers
 * in JSON events and metrics. */
#define AUDIO_SILENCE_DBFS (-120.0)
