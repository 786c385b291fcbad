/* SPDX-License-Identifier: Apache-2.0 */
#include "level.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* ITU-R BS.1770-4 Annex 2: the order-48, four-phase FIR interpolator (12
 * taps per phase), as the Recommendation prints it. Tap k of a phase
 * multiplies the sample k steps back. */
static const float level_fir[4][LEVEL_TAPS] = {
    {0.0017089843750f, 0.0109863281250f, -0.0196533203125f, 0.0332031250000f, -0.0594482421875f,
     0.1373291015625f, 0.9721679687500f, -0.1022949218750f, 0.0476074218750f, -0.0266113281250f,
     0.0148925781250f, -0.0083007812500f},
    {-0.0291748046875f, 0.0292968750000f, -0.0517578125000f, 0.0891113281250f, -0.1665039062500f,
     0.4650878906250f, 0.7797851562500f, -0.2003173828125f, 0.1015625000000f, -0.0582275390625f,
     0.0330810546875f, -0.0189208984375f},
    {-0.0189208984375f, 0.0330810546875f, -0.0582275390625f, 0.1015625000000f, -0.2003173828125f,
     0.7797851562500f, 0.4650878906250f, -0.1665039062500f, 0.0891113281250f, -0.0517578125000f,
     0.0292968750000f, -0.0291748046875f},
    {-0.0083007812500f, 0.0148925781250f, -0.0266113281250f, 0.0476074218750f, -0.1022949218750f,
     0.9721679687500f, 0.1373291015625f, -0.0594482421875f, 0.0332031250000f, -0.0196533203125f,
     0.0109863281250f, 0.0017089843750f},
};

int
level_init(LevelMeter *m, unsigned window_ms)
{
  if (window_ms < 10 || window_ms > 10 * LEVEL_MAX_BLOCKS || window_ms % 10 != 0)
    return -EINVAL;
  memset(m, 0, sizeof *m);
  m->n_blocks = window_ms / 10;
  for (unsigned k = 0; k < LEVEL_TAPS; k++)
    for (unsigned p = 0; p < 4; p++)
      m->fir[k][p] = level_fir[p][k];
  return 0;
}

void
level_reset(LevelMeter *m)
{
  unsigned n_blocks = m->n_blocks;
  level_init(m, n_blocks * 10);
}

/* The largest magnitude of the four interpolated values that follow the
 * newest sample in the delay line. */
static float
level_oversampled_peak(const LevelMeter *m)
{
  /* hist[pos .. pos+TAPS-1] holds the samples newest first; the four
   * phases side by side, so that the compiler makes one vector of them */
  const float *x = m->hist + m->hist_pos;
  float y[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (unsigned k = 0; k < LEVEL_TAPS; k++)
    for (unsigned p = 0; p < 4; p++)
      y[p] += m->fir[k][p] * x[k];
  for (unsigned p = 0; p < 4; p++)
    y[p] = fabsf(y[p]);
  y[0] = y[0] > y[1] ? y[0] : y[1];
  y[2] = y[2] > y[3] ? y[2] : y[3];
  return y[0] > y[2] ? y[0] : y[2];
}

static void
level_commit_block(LevelMeter *m)
{
  m->sq[m->head] = m->partial_sq;
  m->peak[m->head] = m->partial_peak;
  m->tp[m->head] = m->partial_tp;
  m->head = (m->head + 1) % m->n_blocks;
  if (m->filled < m->n_blocks)
    m->filled++;
  m->partial_n = 0;
  m->partial_sq = 0.0;
  m->partial_peak = 0.0f;
  m->partial_tp = 0.0f;
}

void
level_process(LevelMeter *m, const float *pcm, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    float x = pcm[i];
    float a = fabsf(x);

    /* newest first: step the window back one slot, write the sample at both
     * copies so that hist[pos .. pos+TAPS-1] is always contiguous */
    m->hist_pos = m->hist_pos == 0 ? LEVEL_TAPS - 1 : m->hist_pos - 1;
    m->hist[m->hist_pos] = x;
    m->hist[m->hist_pos + LEVEL_TAPS] = x;

    float tp = level_oversampled_peak(m);
    m->partial_sq += (double)x * (double)x;
    if (a > m->partial_peak)
      m->partial_peak = a;
    if (tp > m->partial_tp)
      m->partial_tp = tp;
    if (++m->partial_n == LEVEL_BLOCK)
      level_commit_block(m);
  }
}

double
level_to_dbfs(double linear)
{
  if (!(linear > 0.0))
    return AUDIO_SILENCE_DBFS;
  double db = 20.0 * log10(linear);
  return db < AUDIO_SILENCE_DBFS ? AUDIO_SILENCE_DBFS : db;
}

void
level_read(const LevelMeter *m, LevelReading *out)
{
  double sq = m->partial_sq;
  double count = m->partial_n;
  float peak = m->partial_peak, tp = m->partial_tp;

  for (unsigned b = 0; b < m->filled; b++) {
    sq += m->sq[b];
    if (m->peak[b] > peak)
      peak = m->peak[b];
    if (m->tp[b] > tp)
      tp = m->tp[b];
  }
  count += (double)m->filled * LEVEL_BLOCK;
  out->rms_dbfs = count > 0 ? level_to_dbfs(sqrt(sq / count)) : AUDIO_SILENCE_DBFS;
  out->peak_dbfs = level_to_dbfs((double)peak);
  out->true_peak_dbfs = level_to_dbfs((double)(tp > peak ? tp : peak));
}
