/* SPDX-License-Identifier: Apache-2.0 */
/* The floor's loudness target: a slow make-up gain that brings the floor's
 * speech towards a target RMS level (a loudness target in the sense of
 * EBU R 128's -23 LUFS, measured as unweighted short-term RMS), so a quiet
 * desk feed and a loud remote speaker reach listeners alike. It moves at
 * most LEVELER_RATE_DB_PER_S, stays within +-LEVELER_RANGE_DB, and holds
 * still in pauses (below LEVELER_GATE_DBFS), so it never pumps silence up.
 * The limiter after it still guards the peaks. Pure value type; no
 * allocation, no clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "level.h"

#define LEVELER_RATE_DB_PER_S 3.0
#define LEVELER_RANGE_DB 12.0
#define LEVELER_GATE_DBFS (-50.0)

/* Fields are private. */
typedef struct {
  bool enabled;
  double target_dbfs;
  double gain_db; /* applied now */
  double last_from_db, last_to_db; /* the ramp of the last frame */
  LevelMeter meter; /* of the input, before the gain */
} Leveler;

/* @enabled false: a unity pass-through. @target_dbfs: -40..-6. Returns 0
 * or -EINVAL. */
int leveler_init(Leveler *l, bool enabled, double target_dbfs);

/* Applies the gain to @pcm (@n samples, in place; a ramp across the frame
 * when it changes) and updates it from what it measured. */
void leveler_process(Leveler *l, float *pcm, size_t n);

/* Applies the last frame's ramp to another frame of the same tick (a
 * speaker's mix-minus: it must be levelled like the floor it comes from). */
void leveler_apply_last(const Leveler *l, float *pcm, size_t n);

double leveler_gain_db(const Leveler *l);
