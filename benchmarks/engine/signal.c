/* SPDX-License-Identifier: Apache-2.0 */
#include "signal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SPEECH_RMS_DB (-23.0)
#define HARMONICS 16

static uint32_t
lcg(uint32_t *seed)
{
  *seed = *seed * 1664525u + 1013904223u;
  return *seed;
}

static double
uniform(uint32_t *seed)
{
  return (double)(lcg(seed) >> 8) / 16777216.0;
}

void
sig_speech(float *pcm, unsigned frames, unsigned voice)
{
  size_t n = (size_t)frames * AUDIO_FRAME;
  uint32_t seed = 12345u + 7919u * voice;
  double phase[HARMONICS];
  for (unsigned k = 0; k < HARMONICS; k++)
    phase[k] = 2.0 * M_PI * uniform(&seed);
  double f0_base = 100.0 + 13.0 * (voice % 10);     /* 100..217 Hz */
  double syllable_hz = 3.5 + 0.17 * (voice % 7);    /* 3.5..4.5 syllables/s */
  double pause_phase = 2.0 * M_PI * uniform(&seed); /* breath pauses, ~every 3 s */
  double theta = 0.0, sum2 = 0.0;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / AUDIO_RATE;
    double f0 = f0_base * (1.0 + 0.1 * sin(2.0 * M_PI * 0.6 * t + voice));
    theta += 2.0 * M_PI * f0 / AUDIO_RATE;
    double env = 0.25 + 0.75 * (0.5 + 0.5 * sin(2.0 * M_PI * syllable_hz * t));
    if (sin(2.0 * M_PI * t / 3.0 + pause_phase) > 0.85)
      env *= 0.05;
    double v = 0.0;
    for (unsigned k = 1; k <= HARMONICS; k++)
      v += sin((double)k * theta + phase[k - 1]) / (double)k;
    v += 0.05 * (uniform(&seed) - 0.5); /* breath: no two packets alike */
    pcm[i] = (float)(env * v);
    sum2 += (double)pcm[i] * pcm[i];
  }
  double rms_db = 10.0 * log10(sum2 / (double)n + 1e-30);
  float scale = (float)pow(10.0, (SPEECH_RMS_DB - rms_db) / 20.0);
  for (size_t i = 0; i < n; i++)
    pcm[i] *= scale;
}

void
sig_bursts(float *pcm, unsigned frames, unsigned period, unsigned first, unsigned len)
{
  memset(pcm, 0, (size_t)frames * AUDIO_FRAME * sizeof *pcm);
  for (unsigned f = first; f < frames; f += period)
    for (size_t i = 0; i < (size_t)len * AUDIO_FRAME &&
                       f * (size_t)AUDIO_FRAME + i < (size_t)frames * AUDIO_FRAME;
         i++)
      pcm[(size_t)f * AUDIO_FRAME + i] =
          SIG_BURST_AMP * (float)sin(2.0 * M_PI * SIG_BURST_HZ * (double)i / AUDIO_RATE);
}

void
sig_noise(float *pcm, unsigned frames, double dbfs, unsigned seed)
{
  uint32_t state = 777u + 104729u * seed;
  float amp = (float)(pow(10.0, dbfs / 20.0) * sqrt(3.0)); /* uniform: RMS = amp / sqrt(3) */
  for (size_t i = 0; i < (size_t)frames * AUDIO_FRAME; i++)
    pcm[i] = amp * (float)(2.0 * uniform(&state) - 1.0);
}

int
sig_stream_encode(SigStream *s, const float *pcm, unsigned frames, uint32_t ssrc)
{
  int err = 0;
  uint8_t buf[AUDIO_MAX_PAYLOAD];
  memset(s, 0, sizeof *s);
  OpusEncoder *enc = opus_encoder_create(AUDIO_RATE, 1, OPUS_APPLICATION_VOIP, &err);
  if (!enc)
    return -ENOMEM;
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(SIG_MIC_BITRATE));
  opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(10));
  s->data = calloc(frames, sizeof *s->data);
  s->len = calloc(frames, sizeof *s->len);
  if (!s->data || !s->len)
    goto fail;
  for (unsigned f = 0; f < frames; f++) {
    opus_int32 n =
        opus_encode_float(enc, pcm + (size_t)f * AUDIO_FRAME, AUDIO_FRAME, buf, sizeof buf);
    if (n <= 0 || !(s->data[f] = malloc((size_t)n)))
      goto fail;
    memcpy(s->data[f], buf, (size_t)n);
    s->len[f] = (unsigned)n;
    s->n = f + 1;
  }
  opus_encoder_destroy(enc);
  s->ssrc = ssrc;
  s->seq0 = (uint16_t)(ssrc * 2654435761u >> 16);
  s->ts0 = ssrc * 40503u;
  return 0;

fail:
  opus_encoder_destroy(enc);
  sig_stream_clear(s);
  return -ENOMEM;
}

void
sig_stream_clear(SigStream *s)
{
  for (unsigned i = 0; s->data && i < s->n; i++)
    free(s->data[i]);
  free(s->data);
  free(s->len);
  memset(s, 0, sizeof *s);
}

size_t
sig_stream_rtp(const SigStream *s, uint64_t k, uint8_t *rtp, size_t cap)
{
  unsigned i = (unsigned)(k % s->n);
  uint16_t seq = (uint16_t)(s->seq0 + k);
  uint32_t ts = (uint32_t)(s->ts0 + k * AUDIO_FRAME);
  if (12 + (size_t)s->len[i] > cap)
    return 0;
  rtp[0] = 0x80;
  rtp[1] = 111;
  rtp[2] = (uint8_t)(seq >> 8);
  rtp[3] = (uint8_t)seq;
  rtp[4] = (uint8_t)(ts >> 24);
  rtp[5] = (uint8_t)(ts >> 16);
  rtp[6] = (uint8_t)(ts >> 8);
  rtp[7] = (uint8_t)ts;
  rtp[8] = (uint8_t)(s->ssrc >> 24);
  rtp[9] = (uint8_t)(s->ssrc >> 16);
  rtp[10] = (uint8_t)(s->ssrc >> 8);
  rtp[11] = (uint8_t)s->ssrc;
  memcpy(rtp + 12, s->data[i], s->len[i]);
  return 12 + s->len[i];
}

void
sig_onset_init(SigOnset *o)
{
  o->pos = 0;
  o->quiet = 0;
}

void
sig_onset_scan(SigOnset *o, const float *pcm, size_t n,
               void (*found)(uint64_t index, size_t offset, void *user), void *user)
{
  for (size_t i = 0; i < n; i++, o->pos++) {
    if (fabsf(pcm[i]) <= SIG_ONSET_THRESHOLD) {
      o->quiet++;
      continue;
    }
    if (o->quiet >= SIG_ONSET_QUIET_SAMPLES && found)
      found(o->pos, i, user);
    o->quiet = 0;
  }
}
