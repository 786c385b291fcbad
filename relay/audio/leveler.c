/* SPDX-License-Identifier: Apache-2.0 */
#include "leveler.h"

#include <errno.h>
#include <math.h>

#include "frame.h"

int
leveler_init(Leveler *l, bool enabled, double target_dbfs)
{
  if (target_dbfs < -40.0 || target_dbfs > -6.0)
    return -EINVAL;
  l->enabled = enabled;
  l->target_dbfs = target_dbfs;
  l->gain_db = l->last_from_db = l->last_to_db = 0.0;
  return level_init(&l->meter, LEVEL_DEFAULT_WINDOW_MS);
}

void
leveler_process(Leveler *l, float *pcm, size_t n)
{
  if (!l->enabled || n == 0)
    return;
  double sq = 0;
  for (size_t i = 0; i < n; i++)
    sq += (double)pcm[i] * (double)pcm[i];
  double frame_dbfs = level_to_dbfs(sqrt(sq / (double)n));
  level_process(&l->meter, pcm, n);
  LevelReading r;
  level_read(&l->meter, &r);
  double from = l->gain_db, to = from;
  /* speech, not a pause (this frame and the window): move towards the target */
  if (frame_dbfs > LEVELER_GATE_DBFS && r.rms_dbfs > LEVELER_GATE_DBFS) {
    double want = l->target_dbfs - r.rms_dbfs;
    double step = LEVELER_RATE_DB_PER_S * (double)n / AUDIO_RATE;
    if (want > LEVELER_RANGE_DB)
      want = LEVELER_RANGE_DB;
    if (want < -LEVELER_RANGE_DB)
      want = -LEVELER_RANGE_DB;
    to = want > from ? fmin(want, from + step) : fmax(want, from - step);
  }
  l->last_from_db = from;
  l->last_to_db = to;
  l->gain_db = to;
  leveler_apply_last(l, pcm, n);
}

void
leveler_apply_last(const Leveler *l, float *pcm, size_t n)
{
  if (!l->enabled || n == 0 || (l->last_from_db == 0.0 && l->last_to_db == 0.0))
    return;
  double g0 = pow(10.0, l->last_from_db / 20.0), g1 = pow(10.0, l->last_to_db / 20.0);
  for (size_t i = 0; i < n; i++)
    pcm[i] = (float)((double)pcm[i] * (g0 + (g1 - g0) * (double)i / (double)n));
}

double
leveler_gain_db(const Leveler *l)
{
  return l->gain_db;
}
