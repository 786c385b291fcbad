/* SPDX-License-Identifier: Apache-2.0 */
#include "mix.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIX_Q_SCALE 4294967296.0 /* 2^32 */

typedef struct {
  bool used, speaker;
  float gain, gain_prev; /* gain_prev: where this frame's ramp starts */
  const float *in;
  float *minus; /* AUDIO_FRAME samples, allocated with the bus */
} MixSource;

struct MixBus {
  unsigned capacity, count;
  MixSource *src;
  int64_t acc[AUDIO_FRAME];
  float total[AUDIO_FRAME];
  double ramp[AUDIO_FRAME]; /* (n + 1) / AUDIO_FRAME */
  float *minus_store;
};

MixBus *
mix_bus_new(unsigned capacity)
{
  MixBus *bus = NULL;

  if (capacity == 0 || capacity > MIX_MAX_CAPACITY) {
    errno = EINVAL;
    return NULL;
  }
  bus = calloc(1, sizeof *bus);
  if (!bus)
    goto fail;
  bus->capacity = capacity;
  bus->src = calloc(capacity, sizeof *bus->src);
  bus->minus_store = calloc((size_t)capacity * AUDIO_FRAME, sizeof(float));
  if (!bus->src || !bus->minus_store)
    goto fail;
  for (unsigned i = 0; i < capacity; i++)
    bus->src[i].minus = bus->minus_store + (size_t)i * AUDIO_FRAME;
  for (unsigned n = 0; n < AUDIO_FRAME; n++)
    bus->ramp[n] = (double)(n + 1) / AUDIO_FRAME;
  return bus;

fail:
  mix_bus_free(bus);
  errno = ENOMEM;
  return NULL;
}

void
mix_bus_free(MixBus *bus)
{
  if (!bus)
    return;
  free(bus->minus_store);
  free(bus->src);
  free(bus);
}

static bool
mix_gain_valid(float gain)
{
  return gain >= 0.0f && gain <= MIX_GAIN_MAX; /* false for NaN */
}

static MixSource *
mix_source(const MixBus *bus, int id)
{
  if (id < 0 || (unsigned)id >= bus->capacity || !bus->src[id].used)
    return NULL;
  return &bus->src[id];
}

int
mix_bus_add(MixBus *bus, float gain, bool speaker)
{
  if (!mix_gain_valid(gain))
    return -EINVAL;
  for (unsigned i = 0; i < bus->capacity; i++) {
    MixSource *s = &bus->src[i];
    if (s->used)
      continue;
    s->used = true;
    s->speaker = speaker;
    s->gain = s->gain_prev = gain; /* a new source starts from its own silence */
    s->in = NULL;
    memset(s->minus, 0, AUDIO_FRAME * sizeof(float));
    bus->count++;
    return (int)i;
  }
  return -ENOSPC;
}

int
mix_bus_remove(MixBus *bus, int id)
{
  MixSource *s = mix_source(bus, id);
  if (!s)
    return -ENOENT;
  s->used = false;
  s->in = NULL;
  bus->count--;
  return 0;
}

int
mix_bus_set_gain(MixBus *bus, int id, float gain)
{
  MixSource *s = mix_source(bus, id);
  if (!s)
    return -ENOENT;
  if (!mix_gain_valid(gain))
    return -EINVAL;
  s->gain = gain;
  return 0;
}

int
mix_bus_set_speaker(MixBus *bus, int id, bool speaker)
{
  MixSource *s = mix_source(bus, id);
  if (!s)
    return -ENOENT;
  s->speaker = speaker;
  return 0;
}

int
mix_bus_set_input(MixBus *bus, int id, const float *pcm)
{
  MixSource *s = mix_source(bus, id);
  if (!s)
    return -ENOENT;
  s->in = pcm;
  return 0;
}

/* One sample's contribution in Q32. The total and each mix-minus call this
 * with the same arguments and get the same integer (the library is built
 * with -ffp-contract=off, so no fused multiply-add can make them differ). */
static inline int64_t
mix_q(float x, double gain)
{
  x = x == x ? x : 0.0f; /* NaN */
  x = x > MIX_INPUT_MAX ? MIX_INPUT_MAX : x;
  x = x < -MIX_INPUT_MAX ? -MIX_INPUT_MAX : x;
  /* truncation, not rounding: an inline conversion, and just as exact for
   * the cancellation (both sides truncate the same product) */
  return (int64_t)((double)x * gain * MIX_Q_SCALE);
}

static inline double
mix_gain_at(const MixBus *bus, const MixSource *s, unsigned n)
{
  return (double)s->gain_prev + ((double)s->gain - (double)s->gain_prev) * bus->ramp[n];
}

static inline float
mix_to_float(int64_t q)
{
  return (float)((double)q * (1.0 / MIX_Q_SCALE));
}

int
mix_bus_run(MixBus *bus)
{
  int mixed = 0;

  memset(bus->acc, 0, sizeof bus->acc);

  for (unsigned i = 0; i < bus->capacity; i++) {
    const MixSource *s = &bus->src[i];
    if (!s->used || !s->in)
      continue;
    mixed++;
    if (s->gain == s->gain_prev) {
      double g = (double)s->gain;
      for (unsigned n = 0; n < AUDIO_FRAME; n++)
        bus->acc[n] += mix_q(s->in[n], g);
    } else {
      for (unsigned n = 0; n < AUDIO_FRAME; n++)
        bus->acc[n] += mix_q(s->in[n], mix_gain_at(bus, s, n));
    }
  }
  for (unsigned n = 0; n < AUDIO_FRAME; n++)
    bus->total[n] = mix_to_float(bus->acc[n]);

  for (unsigned i = 0; i < bus->capacity; i++) {
    MixSource *s = &bus->src[i];
    if (!s->used || !s->speaker)
      continue;
    if (!s->in) {
      memcpy(s->minus, bus->total, sizeof bus->total);
    } else if (s->gain == s->gain_prev) {
      double g = (double)s->gain;
      for (unsigned n = 0; n < AUDIO_FRAME; n++)
        s->minus[n] = mix_to_float(bus->acc[n] - mix_q(s->in[n], g));
    } else {
      for (unsigned n = 0; n < AUDIO_FRAME; n++)
        s->minus[n] = mix_to_float(bus->acc[n] - mix_q(s->in[n], mix_gain_at(bus, s, n)));
    }
  }

  for (unsigned i = 0; i < bus->capacity; i++) {
    MixSource *s = &bus->src[i];
    s->in = NULL;
    s->gain_prev = s->gain;
  }
  return mixed;
}

const float *
mix_bus_total(const MixBus *bus)
{
  return bus->total;
}

const float *
mix_bus_minus(const MixBus *bus, int id)
{
  const MixSource *s = mix_source(bus, id);
  return s && s->speaker ? s->minus : NULL;
}

unsigned
mix_bus_count(const MixBus *bus)
{
  return bus->count;
}
