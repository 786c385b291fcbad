/* SPDX-License-Identifier: Apache-2.0 */
/* The floor bus with mix-minus: up to a fixed number of sources (the venue
 * feed and every remote speaker holding the floor), each with a gain. One
 * mix_bus_run() per tick makes the total and, for each source flagged as a
 * speaker, the total without that source (what the speaker hears).
 *
 * Sums are kept in 64-bit fixed point (Q32): integer addition is exact and
 * associative, so total - self equals the sum of the others bit for bit and
 * a speaker's own signal is absent exactly, in one O(sources) pass instead
 * of O(speakers x sources). The quantisation step (2^-32, about -190 dBFS)
 * is far below float resolution at any audible level.
 *
 * Pure: no clock, no locks; one thread drives a bus. All memory is allocated
 * by mix_bus_new(); adding and removing sources between ticks allocates
 * nothing. Frames are AUDIO_FRAME float samples. Outputs are not clipped:
 * the limiter after the bus does that. */
#pragma once

#include <stdbool.h>

#include "frame.h"

#define MIX_MAX_CAPACITY 256
#define MIX_DEFAULT_CAPACITY 64
#define MIX_GAIN_MAX 16.0f /* +24 dB */
#define MIX_INPUT_MAX 8.0f /* inputs are clamped to +-8; NaN counts as 0 */

typedef struct MixBus MixBus;

/* A bus for up to @capacity (1..MIX_MAX_CAPACITY) sources. Returns NULL with
 * errno EINVAL or ENOMEM. Transfer full: free with mix_bus_free(). */
MixBus *mix_bus_new(unsigned capacity);
void mix_bus_free(MixBus *bus);

/* Adds a source with @gain (0..MIX_GAIN_MAX, linear); a @speaker source gets
 * a mix-minus output. Returns its id (>= 0, reused after removal), -EINVAL,
 * or -ENOSPC when the bus is full. The gain applies from the next run. */
int mix_bus_add(MixBus *bus, float gain, bool speaker);

/* Removes source @id at once. Returns 0 or -ENOENT. */
int mix_bus_remove(MixBus *bus, int id);

/* A new gain is reached by a linear ramp across the next frame (no click).
 * Returns 0, -ENOENT or -EINVAL. */
int mix_bus_set_gain(MixBus *bus, int id, float gain);
int mix_bus_set_speaker(MixBus *bus, int id, bool speaker);

/* Source @id's frame for the next run: @pcm (AUDIO_FRAME samples, borrowed)
 * must stay valid until mix_bus_run() returns. Each run forgets the inputs,
 * so a source whose frame is not set for a tick is silent in that tick (it
 * still gets its mix-minus output). Returns 0 or -ENOENT. */
int mix_bus_set_input(MixBus *bus, int id, const float *pcm);

/* Mixes one frame. Returns the number of sources mixed. */
int mix_bus_run(MixBus *bus);

/* Transfer none: AUDIO_FRAME samples owned by the bus, valid until the next
 * run or free. mix_bus_minus() is NULL unless @id is a speaker. */
const float *mix_bus_total(const MixBus *bus);
const float *mix_bus_minus(const MixBus *bus, int id);

unsigned mix_bus_count(const MixBus *bus);
