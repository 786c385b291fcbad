/* SPDX-License-Identifier: Apache-2.0 */
#include "limiter.h"

#include "frame.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LIMITER_TAPS 12
/* How far either side of the interpolated interval the held gain must be
 * flat: half the interpolator's support, so that the output's own true peak
 * is read through a constant gain. */
#define LIMITER_MARGIN 6
/* The interpolator's output at step n lies between x[n-6] and x[n-5]. */
#define LIMITER_DETECT_LAG 6
#define LIMITER_MIN_LOOKAHEAD 13
/* Gains in the moving average are Q31 so that the running sum is exact:
 * no drift, and all-unity is exactly unity again after a burst. */
#define LIMITER_Q_ONE 2147483648.0 /* 2^31 */
/* A release this close to its target has arrived (about 1e-5 dB). */
#define LIMITER_SNAP 1e-6
/* The detector aims this much under the ceiling so that rounding in
 * x * gain never reaches the safety clip. */
#define LIMITER_HEADROOM (1.0 - 1e-5)
#define LIMITER_INPUT_MAX 1e6f /* +120 dBFS */

/* ITU-R BS.1770-4 Annex 2, the table level.c reads true peak with, stored
 * tap-major so that the four phases are one 4-wide multiply-add per tap:
 * limiter_fir[k][p] is tap k (the sample k steps back) of phase p. */
static const float limiter_fir[LIMITER_TAPS][4] = {
    {0.0017089843750f, -0.0291748046875f, -0.0189208984375f, -0.0083007812500f},
    {0.0109863281250f, 0.0292968750000f, 0.0330810546875f, 0.0148925781250f},
    {-0.0196533203125f, -0.0517578125000f, -0.0582275390625f, -0.0266113281250f},
    {0.0332031250000f, 0.0891113281250f, 0.1015625000000f, 0.0476074218750f},
    {-0.0594482421875f, -0.1665039062500f, -0.2003173828125f, -0.1022949218750f},
    {0.1373291015625f, 0.4650878906250f, 0.7797851562500f, 0.9721679687500f},
    {0.9721679687500f, 0.7797851562500f, 0.4650878906250f, 0.1373291015625f},
    {-0.1022949218750f, -0.2003173828125f, -0.1665039062500f, -0.0594482421875f},
    {0.0476074218750f, 0.1015625000000f, 0.0891113281250f, 0.0332031250000f},
    {-0.0266113281250f, -0.0582275390625f, -0.0517578125000f, -0.0196533203125f},
    {0.0148925781250f, 0.0330810546875f, 0.0292968750000f, 0.0109863281250f},
    {-0.0083007812500f, -0.0189208984375f, -0.0291748046875f, 0.0017089843750f},
};

struct Limiter {
  unsigned lookahead; /* audio delay, samples */
  unsigned hold_len;  /* window of the minimum over required gains */
  unsigned avg_len;   /* moving average: the attack ramp */
  float ceiling;      /* safety clip, at or just under the ceiling */
  float target;       /* what the detector limits to */
  float quiet;        /* below this no true peak can reach the target */
  double release;     /* per-sample step of the release towards its target */

  float hist[2 * LIMITER_TAPS]; /* detector delay line, newest first, twice */
  unsigned hist_pos;

  float *delay; /* lookahead samples */
  unsigned delay_pos;

  /* monotonic queue of the window's required gains: minimum at the head */
  float *q_gain;
  uint64_t *q_when;
  unsigned q_head, q_count, q_mask;

  double env; /* held target after release, before the average */
  uint32_t *avg;
  unsigned avg_pos;
  uint64_t avg_sum, avg_full;
  double avg_scale; /* 1 / avg_full */

  uint64_t n;           /* samples processed */
  double last_min_gain; /* over the last process call */
  uint64_t clipped;
};

Limiter *
limiter_new(double ceiling_db, double lookahead_ms, double release_ms, int rate)
{
  Limiter *lim = NULL;
  int err = EINVAL;

  if (!(ceiling_db >= -20.0 && ceiling_db <= 0.0) || !(release_ms >= 1.0 && release_ms <= 5000.0) ||
      rate < 8000 || rate > 192000 ||
      !(lookahead_ms > 0.0 && lookahead_ms <= LIMITER_MAX_LOOKAHEAD_MS))
    goto fail;
  double la = round(lookahead_ms * rate / 1000.0);
  if (la < LIMITER_MIN_LOOKAHEAD)
    goto fail;

  err = ENOMEM;
  lim = calloc(1, sizeof *lim);
  if (!lim)
    goto fail;
  lim->lookahead = (unsigned)la;
  /* The gain applied at step n is the average of the last avg_len held
   * values, each the minimum of hold_len required gains, so it is at most
   * every requirement computed in steps n-hold_len+1 .. n-avg_len+1. The
   * sample leaving the delay line at step n entered it at n-L, and the
   * requirements that cover it (within LIMITER_MARGIN of the interval they
   * measure) are those of steps n-L+5-MARGIN .. n-L+6+MARGIN. Both lengths
   * follow from fitting the second range inside the first. */
  lim->avg_len = lim->lookahead - LIMITER_DETECT_LAG + 1 - LIMITER_MARGIN;
  lim->hold_len = lim->lookahead - LIMITER_DETECT_LAG + 2 + LIMITER_MARGIN;
  unsigned cap = 1;
  while (cap < lim->hold_len + 1)
    cap <<= 1;
  lim->q_mask = cap - 1;
  lim->delay = calloc(lim->lookahead, sizeof *lim->delay);
  lim->q_gain = calloc(cap, sizeof *lim->q_gain);
  lim->q_when = calloc(cap, sizeof *lim->q_when);
  lim->avg = calloc(lim->avg_len, sizeof *lim->avg);
  if (!lim->delay || !lim->q_gain || !lim->q_when || !lim->avg)
    goto fail;

  double c = pow(10.0, ceiling_db / 20.0);
  lim->ceiling = (float)c;
  if ((double)lim->ceiling > c)
    lim->ceiling = nextafterf(lim->ceiling, 0.0f);
  lim->target = (float)(c * LIMITER_HEADROOM);

  /* |interpolated| <= max|x| * sum|taps|: the bound for the quiet path */
  double bound = 1.0;
  for (unsigned p = 0; p < 4; p++) {
    double s = 0.0;
    for (unsigned k = 0; k < LIMITER_TAPS; k++)
      s += fabs((double)limiter_fir[k][p]);
    if (s > bound)
      bound = s;
  }
  lim->quiet = (float)((double)lim->target / (bound * (1.0 + 1e-6)));
  lim->release = 1.0 - exp(-1000.0 / (release_ms * rate));
  lim->avg_full = (uint64_t)lim->avg_len * (uint64_t)LIMITER_Q_ONE;
  lim->avg_scale = 1.0 / (double)lim->avg_full;
  limiter_reset(lim);
  return lim;

fail:
  limiter_free(lim);
  errno = err;
  return NULL;
}

void
limiter_free(Limiter *lim)
{
  if (!lim)
    return;
  free(lim->delay);
  free(lim->q_gain);
  free(lim->q_when);
  free(lim->avg);
  free(lim);
}

void
limiter_reset(Limiter *lim)
{
  memset(lim->hist, 0, sizeof lim->hist);
  lim->hist_pos = 0;
  memset(lim->delay, 0, lim->lookahead * sizeof *lim->delay);
  lim->delay_pos = 0;
  lim->q_head = 0;
  lim->q_count = 1;
  lim->q_gain[0] = 1.0f;
  lim->q_when[0] = 0;
  lim->env = 1.0;
  for (unsigned i = 0; i < lim->avg_len; i++)
    lim->avg[i] = (uint32_t)LIMITER_Q_ONE;
  lim->avg_pos = 0;
  lim->avg_sum = lim->avg_full;
  lim->n = 0;
  lim->last_min_gain = 1.0;
}

/* Pushes @x into the detector's delay line. */
static inline void
limiter_hist_push(Limiter *lim, float x)
{
  lim->hist_pos = lim->hist_pos == 0 ? LIMITER_TAPS - 1 : lim->hist_pos - 1;
  lim->hist[lim->hist_pos] = x;
  lim->hist[lim->hist_pos + LIMITER_TAPS] = x;
}

/* The largest magnitude in the interval between x[n-6] and x[n-5]: both
 * samples and the four interpolated values. */
static inline float
limiter_max(float a, float b)
{
  return a > b ? a : b; /* inputs are finite: no need for fmaxf's NaN rules */
}

/* Four phases at once (GNU C vectors: one SSE/NEON register). Each phase
 * still sums its taps in order k = 0..11, as level.c does. */
typedef float limiter_v4 __attribute__((vector_size(16)));

/* The largest magnitude in the interval between x[n-6] and x[n-5]: both
 * samples and the four interpolated values. */
static inline float
limiter_detect(const Limiter *lim)
{
  const float *x = lim->hist + lim->hist_pos;
  limiter_v4 y = {0.0f, 0.0f, 0.0f, 0.0f};
  for (unsigned k = 0; k < LIMITER_TAPS; k++) {
    limiter_v4 h;
    memcpy(&h, limiter_fir[k], sizeof h);
    y += h * x[k];
  }
  float best = limiter_max(fabsf(x[LIMITER_DETECT_LAG]), fabsf(x[LIMITER_DETECT_LAG - 1]));
  best = limiter_max(best, limiter_max(fabsf(y[0]), fabsf(y[1])));
  return limiter_max(best, limiter_max(fabsf(y[2]), fabsf(y[3])));
}

/* Adds the gain required at sample lim->n to the sliding minimum and drops
 * what left the window. Returns the window's minimum. */
static inline float
limiter_hold(Limiter *lim, float need)
{
  while (lim->q_count > 0 && lim->q_gain[(lim->q_head + lim->q_count - 1) & lim->q_mask] >= need)
    lim->q_count--;
  unsigned slot = (lim->q_head + lim->q_count) & lim->q_mask;
  lim->q_gain[slot] = need;
  lim->q_when[slot] = lim->n;
  lim->q_count++;
  while (lim->q_when[lim->q_head] + lim->hold_len <= lim->n) {
    lim->q_head = (lim->q_head + 1) & lim->q_mask;
    lim->q_count--;
  }
  return lim->q_gain[lim->q_head];
}

static bool
limiter_idle(const Limiter *lim)
{
  return lim->env == 1.0 && lim->avg_sum == lim->avg_full && lim->q_gain[lim->q_head] == 1.0f;
}

/* Unity gain and nothing loud in sight: a pure delay, as the full path
 * would compute it bit for bit. */
static void
limiter_pass(Limiter *lim, float *frame, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    float x = frame[i];
    limiter_hist_push(lim, x);
    frame[i] = lim->delay[lim->delay_pos];
    lim->delay[lim->delay_pos] = x;
    if (++lim->delay_pos == lim->lookahead)
      lim->delay_pos = 0;
  }
  lim->n += n;
  lim->avg_pos = (unsigned)((lim->avg_pos + n) % lim->avg_len);
  lim->q_head = 0;
  lim->q_count = 1;
  lim->q_gain[0] = 1.0f;
  lim->q_when[0] = lim->n - 1;
  lim->last_min_gain = 1.0;
}

void
limiter_process(Limiter *lim, float *frame, size_t n)
{
  if (n == 0)
    return;
  float loudest = 0.0f;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(frame[i]))
      frame[i] = 0.0f;
    else if (fabsf(frame[i]) > LIMITER_INPUT_MAX) /* keeps the detector's sums finite */
      frame[i] = frame[i] > 0.0f ? LIMITER_INPUT_MAX : -LIMITER_INPUT_MAX;
    loudest = limiter_max(loudest, fabsf(frame[i]));
  }
  for (unsigned k = 0; k < LIMITER_TAPS; k++)
    loudest = limiter_max(loudest, fabsf(lim->hist[lim->hist_pos + k]));
  bool quiet = loudest <= lim->quiet;
  if (quiet && limiter_idle(lim)) {
    limiter_pass(lim, frame, n);
    return;
  }

  double min_gain = 1.0;
  for (size_t i = 0; i < n; i++) {
    float x = frame[i];
    limiter_hist_push(lim, x);
    float need = 1.0f;
    if (!quiet) {
      float peak = limiter_detect(lim);
      if (peak > lim->target)
        need = lim->target / peak;
    }
    double held = limiter_hold(lim, need);

    /* instant towards less gain (the average makes the ramp), exponential
     * release towards more */
    if (held < lim->env)
      lim->env = held;
    else if (held - lim->env < LIMITER_SNAP)
      lim->env = held;
    else
      lim->env += (held - lim->env) * lim->release;

    uint32_t q = (uint32_t)(lim->env * LIMITER_Q_ONE); /* rounds down: never above env */
    lim->avg_sum = lim->avg_sum - lim->avg[lim->avg_pos] + q;
    lim->avg[lim->avg_pos] = q;
    if (++lim->avg_pos == lim->avg_len)
      lim->avg_pos = 0;
    double gain = lim->avg_sum == lim->avg_full ? 1.0 : (double)lim->avg_sum * lim->avg_scale;
    if (gain < min_gain)
      min_gain = gain;

    float y = (float)((double)lim->delay[lim->delay_pos] * gain);
    lim->delay[lim->delay_pos] = x;
    if (++lim->delay_pos == lim->lookahead)
      lim->delay_pos = 0;
    if (y > lim->ceiling || y < -lim->ceiling) {
      y = y > 0.0f ? lim->ceiling : -lim->ceiling;
      lim->clipped++;
    }
    frame[i] = y;
    lim->n++;
  }
  lim->last_min_gain = min_gain;
}

double
limiter_gain_reduction_db(const Limiter *lim)
{
  if (lim->last_min_gain >= 1.0)
    return 0.0;
  if (!(lim->last_min_gain > 0.0))
    return -AUDIO_SILENCE_DBFS; /* cannot happen with inputs clamped to +120 dBFS */
  return -20.0 * log10(lim->last_min_gain);
}

bool
limiter_active(const Limiter *lim)
{
  return lim->last_min_gain < 1.0;
}

unsigned
limiter_latency(const Limiter *lim)
{
  return lim->lookahead;
}

uint64_t
limiter_clipped(const Limiter *lim)
{
  return lim->clipped;
}
