/* SPDX-License-Identifier: Apache-2.0 */
/* What one language channel carries, tick by tick, derived from the booths:
 *  - INTERPRETER: the live microphone of the booth working into this channel
 *    (its pauses are silence, never floor);
 *  - SILENCE: that microphone with the cough key held;
 *  - FLOOR_RAMP: no mic on: the channel's encoder encodes the floor's PCM
 *    times a gain ramping up to 1 over ramp_frames frames;
 *  - FLOOR_FORWARD: after the ramp, the floor's own packets are forwarded
 *    (no re-encode; seqmap.h keeps seq/ts continuous).
 * A mic coming on during FLOOR_RAMP or FLOOR_FORWARD is INTERPRETER at once.
 * A channel that never had an interpreter starts in FLOOR_FORWARD (there is
 * nothing to jump from).
 *
 * Level-matched start (the rule): the ramp starts at
 *   g0 = min(ramp_start_max, 10^((L_channel - L_floor) / 20))
 * where L_channel is the channel's short-term level when its mic went off
 * (what listeners were hearing) and L_floor the floor's, both in dBFS from
 * level.h. The floor thus enters at the level of the voice it replaces and
 * rises to its own; if the channel was quieter than silence_dbfs (a pause,
 * a cough) the ramp starts from 0. The gain inside frame k of N runs
 * linearly from gain_from = g0 + (1 - g0) k / N at sample 0 towards
 * gain_to = g0 + (1 - g0) (k + 1) / N, the next frame's gain_from:
 * g(n) = gain_from + (gain_to - gain_from) * n / AUDIO_FRAME.
 *
 * Pure value type: embed one per channel, no allocation, no clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "booth.h"

typedef struct {
  unsigned ramp_frames; /* floor ramp length in frames (25 = 500 ms); 0: no ramp */
  float ramp_start_max; /* the ramp never starts above this gain (0.5, -6 dB) */
  double silence_dbfs;  /* a channel below this was in a pause (-50) */
} ChannelConfig;

typedef enum {
  CHANNEL_FLOOR_FORWARD = 0,
  CHANNEL_FLOOR_RAMP,
  CHANNEL_INTERPRETER,
  CHANNEL_SILENCE,
} ChannelSourceKind;

typedef struct {
  ChannelSourceKind kind;
  int booth;        /* INTERPRETER, SILENCE: index of the producing booth, else -1 */
  int interpreter;  /* its live slot, else -1 */
  const char *peer; /* its peer id, transfer none (owned by the booth), else NULL */
  float gain_from;  /* FLOOR_RAMP: see above; FLOOR_FORWARD 1; otherwise 0 */
  float gain_to;
  bool changed; /* kind, booth or interpreter differ from the previous tick */
} ChannelOutput;

/* Fields are private. */
typedef struct {
  ChannelConfig cfg;
  char lang[BOOTH_LANG_MAX + 1];
  bool started;
  ChannelSourceKind kind;
  int booth, slot;
  unsigned ramp_pos;
  float ramp_g0;
} Channel;

void channel_config_default(ChannelConfig *cfg);

/* Channel @lang (a booth language or retour id). @cfg NULL: the defaults.
 * Returns 0 or -EINVAL. */
int channel_init(Channel *ch, const char *lang, const ChannelConfig *cfg);

/* Index of the booth whose live mic feeds channel @lang (the lowest, should
 * the engine have let two go live), or -ENOENT: then the channel carries
 * the floor. */
int channel_producer(const Booth *const *booths, size_t n, const char *lang);

/* One tick: fills @out (transfer none) from @booths[@n] and the levels of
 * the floor and of this channel's last output (dBFS). */
void channel_tick(Channel *ch, const Booth *const *booths, size_t n, double floor_dbfs,
                  double channel_dbfs, ChannelOutput *out);

/* The level-matched start gain g0 of the rule above. */
float channel_ramp_start(const ChannelConfig *cfg, double channel_dbfs, double floor_dbfs);
