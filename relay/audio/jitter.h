/* SPDX-License-Identifier: Apache-2.0 */
/* Jitter buffer for one incoming Opus microphone (RTP, 48 kHz timestamps).
 *
 * Play-out follows the sender's timestamps: each pop produces the frame that
 * starts at the play-out timestamp and advances it by that frame's length,
 * so loss, late packets and DTX pauses (seq contiguous, ts jumping) all come
 * out in time. Sequence numbers (16-bit, wrapping) order the packets and
 * tell loss from a DTX pause:
 *  - PACKET: decode the payload normally;
 *  - FEC: this frame's packet is missing and the next one is here: decode the
 *    next packet's payload with decode_fec=1 for @samples (it stays buffered
 *    and comes out as PACKET at the next pop);
 *  - PLC: conceal @samples (opus_decode() with no data);
 *  - EMPTY: not playing (before the first target depth is reached, or after
 *    idle_reset_ms with nothing to play): output silence, do not conceal.
 *
 * Packet durations come from the Opus TOC byte (2.5 to 120 ms, so 10, 40 and
 * 60 ms packets work). Call jitter_pop() once per packet duration consumed:
 * with 20 ms packets that is once per tick; with other durations keep a PCM
 * reserve and pop when it holds less than a tick.
 *
 * Start waits until the buffered packets span target_ms. A stream whose
 * packets keep landing outside the window (resync_after of them in a row
 * with consecutive seqs: a restart, a seq or ts jump) restarts the buffer;
 * lone stray packets are dropped and counted. Deeper than max_ms (sender
 * clock faster than ours, a burst), the oldest packets are dropped back to
 * the target, so the delay stays bounded.
 *
 * Draining: a buffer that has held a packet more than it needs for
 * drain_after_ms (a sender whose clock is fast, a burst after a stall)
 * drops one packet, a quiet one if one comes within as long again (its
 * payload half the average size or less: Opus spends little on silence),
 * else the next, and counts it in `drained`. "More than it needs" is the
 * depth at a pop: a packet above the target; or, where the caller gives
 * arrival times and a wait budget (jitter_push_at(), jitter_pop_at(),
 * jitter_set_wait_budget()), every packet played in that time waited
 * longer than the budget (and would still wait 10 ms without one packet).
 * A late packet in that time restarts the count; a late packet after a
 * wait-budget drain gives the packet back (one frame concealed without
 * moving on: `regrown`; that frame and the next have the same ts) and
 * turns those drains off for ten times as long. With a budget, the start
 * already skips a packet that would wait past it. The depth counts in
 * packets; the wait budget is what makes a target between two packet
 * multiples mean something (see docs/audio.md).
 *
 * Pure: no clock, no locks; memory is allocated once by jitter_new(). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define JITTER_MAX_CAPACITY 256

typedef enum {
  JITTER_EMPTY = 0,
  JITTER_PACKET,
  JITTER_FEC,
  JITTER_PLC,
} JitterKind;

typedef struct {
  JitterKind kind;
  /* PACKET and FEC: the packet's payload (transfer none: owned by the
   * buffer, valid until the next push, pop or reset) and its seq */
  const uint8_t *payload;
  size_t len;
  uint16_t seq;
  uint32_t ts;        /* play-out timestamp of this frame (not EMPTY) */
  unsigned samples;   /* samples to decode or conceal at 48 kHz (not EMPTY) */
  int64_t arrival_us; /* PACKET: as given to jitter_push_at() (0: not given) */
} JitterFrame;

typedef struct {
  unsigned capacity;       /* slots, a power of two, 4..JITTER_MAX_CAPACITY (16) */
  size_t max_payload;      /* bytes per slot (AUDIO_MAX_PAYLOAD) */
  unsigned target_ms;      /* depth to reach before playing (40) */
  unsigned max_ms;         /* deeper than this, drop back to the target (target + 60) */
  unsigned idle_reset_ms;  /* nothing to play for this long: back to EMPTY (1000) */
  unsigned resync_after;   /* consecutive out-of-window packets that restart (3) */
  unsigned drain_after_ms; /* a packet too many for this long: drop one (1000; 0: never) */
} JitterConfig;

typedef struct {
  uint64_t received; /* stored */
  uint64_t late;     /* arrived after their play-out time */
  uint64_t duplicate;
  uint64_t lost; /* seqs never played (whether FEC covered them or not) */
  uint64_t fec_used;
  uint64_t plc;           /* frames concealed for a missing packet or an underrun */
  uint64_t gap_fill;      /* frames concealed in a sender's DTX pause */
  uint64_t underruns;     /* PLC with nothing buffered */
  uint64_t dropped;       /* played late by design: over max_ms, or before start */
  uint64_t invalid;       /* not an Opus packet, empty, too long */
  uint64_t out_of_window; /* far future or far past */
  uint64_t resyncs;
  uint64_t drained; /* dropped to bring the delay back (see Draining above) */
  uint64_t regrown; /* frames concealed to give back a wait-budget drain (in plc too) */
} JitterStats;

typedef struct JitterBuffer JitterBuffer;

/* Fills @cfg with the defaults above (transfer none). */
void jitter_config_default(JitterConfig *cfg);

/* Returns NULL with errno EINVAL (bad config) or ENOMEM. Transfer full: free
 * with jitter_free(). */
JitterBuffer *jitter_new(const JitterConfig *cfg);
void jitter_free(JitterBuffer *jb);

/* Stores one packet; @payload is copied. Returns 0, -EINVAL (garbage),
 * -EEXIST (duplicate), -ETIME (late) or -ERANGE (out of window, dropped;
 * the packet that completes a resync returns 0). Every outcome is counted. */
int jitter_push(JitterBuffer *jb, uint16_t seq, uint32_t ts, const uint8_t *payload, size_t len);

/* jitter_push() with the packet's arrival time (any clock in µs, > 0). */
int jitter_push_at(JitterBuffer *jb, uint16_t seq, uint32_t ts, const uint8_t *payload, size_t len,
                   int64_t arrival_us);

/* The next frame, in @out (transfer none). Returns its kind (>= 0). */
int jitter_pop(JitterBuffer *jb, JitterFrame *out);

/* jitter_pop() at @now_us (the clock of jitter_push_at()). */
int jitter_pop_at(JitterBuffer *jb, int64_t now_us, JitterFrame *out);

/* The longest a packet should wait from its arrival to its pop, µs (0:
 * no budget, the depth alone). May change at any pop. */
void jitter_set_wait_budget(JitterBuffer *jb, int64_t budget_us);

/* Forgets every packet and goes back to waiting for the target depth. The
 * counters stay. */
void jitter_reset(JitterBuffer *jb);

/* Transfer none: fills @out. */
void jitter_stats(const JitterBuffer *jb, JitterStats *out);

/* Adds every counter of @more to @sum (totals over microphones). */
void jitter_stats_add(JitterStats *sum, const JitterStats *more);

/* Buffered audio ahead of the play-out point, in samples (0 when EMPTY). */
unsigned jitter_depth(const JitterBuffer *jb);

/* Duration of an Opus packet from its TOC (RFC 6716 3.1), in 48 kHz samples,
 * or -EINVAL when the packet cannot be Opus. */
int jitter_opus_samples(const uint8_t *payload, size_t len);
