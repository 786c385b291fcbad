/* SPDX-License-Identifier: Apache-2.0 */
#include "micro.h"

#include <errno.h>
#include <math.h>
#include <opus.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jitter.h"
#include "level.h"
#include "limiter.h"
#include "mix.h"
#include "signal.h"
#include "stream.h"

#define SIG_FRAMES 500 /* 10 s of signal, looped */
#define MIX_SPEAKERS 10

static volatile int sink; /* keeps the results the loops compute */

static double
cpu_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

typedef struct {
  const float *pcm; /* SIG_FRAMES frames */
  float frame[AUDIO_FRAME];
  Limiter *lim;
  LevelMeter level;
  OpusEncoder *enc;
  OpusDecoder *dec;
  AudioStream stream;
  const SigStream *mic;
  JitterBuffer *jb;
  MixBus *bus;
  int venue;
  unsigned speakers;
  const float *voices[MIX_SPEAKERS];
} Ctx;

typedef void (*StepFunc)(Ctx *c, unsigned f);

static void
step_limiter(Ctx *c, unsigned f)
{
  memcpy(c->frame, c->pcm + (size_t)(f % SIG_FRAMES) * AUDIO_FRAME, sizeof c->frame);
  limiter_process(c->lim, c->frame, AUDIO_FRAME);
}

static void
step_level(Ctx *c, unsigned f)
{
  level_process(&c->level, c->pcm + (size_t)(f % SIG_FRAMES) * AUDIO_FRAME, AUDIO_FRAME);
}

static void
step_encode(Ctx *c, unsigned f)
{
  uint8_t out[AUDIO_MAX_PAYLOAD];
  sink += opus_encode_float(c->enc, c->pcm + (size_t)(f % SIG_FRAMES) * AUDIO_FRAME, AUDIO_FRAME,
                            out, sizeof out);
}

static void
step_stream(Ctx *c, unsigned f)
{
  uint8_t rtp[AUDIO_RTP_MAX];
  memcpy(c->frame, c->pcm + (size_t)(f % SIG_FRAMES) * AUDIO_FRAME, sizeof c->frame);
  sink += audio_stream_encode(&c->stream, c->frame, f, rtp);
}

static void
step_decode(Ctx *c, unsigned f)
{
  unsigned i = f % c->mic->n;
  sink += opus_decode_float(c->dec, c->mic->data[i], (opus_int32)c->mic->len[i], c->frame,
                            AUDIO_FRAME, 0);
}

static void
step_jitter(Ctx *c, unsigned f)
{
  JitterFrame out;
  unsigned i = f % c->mic->n;
  jitter_push(c->jb, (uint16_t)f, f * AUDIO_FRAME, c->mic->data[i], c->mic->len[i]);
  sink += jitter_pop(c->jb, &out);
}

static void
step_mix(Ctx *c, unsigned f)
{
  mix_bus_set_input(c->bus, c->venue, c->pcm + (size_t)(f % SIG_FRAMES) * AUDIO_FRAME);
  for (unsigned s = 0; s < c->speakers; s++)
    mix_bus_set_input(c->bus, 1 + (int)s, c->voices[s] + (size_t)(f % SIG_FRAMES) * AUDIO_FRAME);
  sink += mix_bus_run(c->bus);
}

/* µs per call of @step, the least of @repeat loops of @frames calls. */
static double
time_step(Ctx *c, StepFunc step, unsigned frames, unsigned repeat)
{
  double best = INFINITY;
  for (unsigned r = 0; r < repeat; r++) {
    double t0 = cpu_us();
    for (unsigned f = 0; f < frames; f++)
      step(c, f);
    double per = (cpu_us() - t0) / frames;
    if (per < best)
      best = per;
  }
  return best;
}

/* The encoder as relay/audio/stream.c makes it. */
static OpusEncoder *
product_encoder(void)
{
  int err = 0;
  OpusEncoder *enc = opus_encoder_create(AUDIO_RATE, 1, OPUS_APPLICATION_AUDIO, &err);
  if (!enc)
    return NULL;
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
  opus_encoder_ctl(enc, OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
  opus_encoder_ctl(enc, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
  opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(10));
  opus_encoder_ctl(enc, OPUS_SET_DTX(0));
  opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(5));
  return enc;
}

static double
time_encode(Ctx *c, const float *pcm, unsigned frames, unsigned repeat)
{
  c->pcm = pcm;
  c->enc = product_encoder();
  double us = c->enc ? time_step(c, step_encode, frames, repeat) : NAN;
  if (c->enc)
    opus_encoder_destroy(c->enc);
  c->enc = NULL;
  return us;
}

int
micro_run(unsigned frames, unsigned repeat, MicroResult *out)
{
  const size_t n = (size_t)SIG_FRAMES * AUDIO_FRAME;
  float *speech = malloc(n * sizeof *speech), *loud = malloc(n * sizeof *loud);
  float *tone = malloc(n * sizeof *tone), *mix10 = calloc(n, sizeof *mix10);
  float *voices = malloc(MIX_SPEAKERS * n * sizeof *voices);
  SigStream mic = {0};
  Ctx c = {0};
  int rc = -ENOMEM, err = 0;

  if (!speech || !loud || !tone || !mix10 || !voices)
    goto done;
  sig_speech(speech, SIG_FRAMES, 0);
  for (size_t i = 0; i < n; i++) {
    loud[i] = speech[i] * 10.0f;
    tone[i] = 0.5f * (float)sin(2.0 * M_PI * 440.0 * (double)i / AUDIO_RATE);
  }
  for (unsigned v = 0; v < MIX_SPEAKERS; v++) {
    sig_speech(voices + v * n, SIG_FRAMES, v);
    c.voices[v] = voices + v * n;
    for (size_t i = 0; i < n; i++)
      mix10[i] += voices[v * n + i];
  }
  if (sig_stream_encode(&mic, speech, SIG_FRAMES, 1) < 0)
    goto done;

  c.lim = limiter_new(-3.0, LIMITER_DEFAULT_LOOKAHEAD_MS, LIMITER_DEFAULT_RELEASE_MS, AUDIO_RATE);
  c.dec = opus_decoder_create(AUDIO_RATE, 1, &err);
  JitterConfig jc;
  jitter_config_default(&jc);
  c.jb = jitter_new(&jc);
  c.bus = mix_bus_new(MIX_SPEAKERS + 1);
  AudioStreamConfig sc = {.bitrate = 32000, .fec = true, .dtx = false, .ceiling_db = -3.0};
  if (!c.lim || !c.dec || !c.jb || !c.bus || audio_stream_init(&c.stream, &sc) < 0)
    goto done;
  level_init(&c.level, LEVEL_DEFAULT_WINDOW_MS);
  c.mic = &mic;

  c.pcm = speech;
  out->limiter_speech = time_step(&c, step_limiter, frames, repeat);
  c.pcm = loud;
  out->limiter_loud = time_step(&c, step_limiter, frames, repeat);
  c.pcm = speech;
  out->level = time_step(&c, step_level, frames, repeat);
  out->encode_speech = time_encode(&c, speech, frames, repeat);
  out->encode_tone = time_encode(&c, tone, frames, repeat);
  out->encode_mix10 = time_encode(&c, mix10, frames, repeat);
  c.pcm = speech;
  out->stream_encode = time_step(&c, step_stream, frames, repeat);
  out->decode = time_step(&c, step_decode, frames, repeat);
  out->jitter = time_step(&c, step_jitter, frames, repeat);

  /* the bus: venue only, then 1..10 speakers; least squares on the count */
  c.pcm = tone;
  c.venue = mix_bus_add(c.bus, 1.0f, false);
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (unsigned s = 0; s <= MIX_SPEAKERS; s++) {
    if (s > 0)
      mix_bus_add(c.bus, 1.0f, true); /* ids 1..s */
    c.speakers = s;
    double us = time_step(&c, step_mix, frames, repeat);
    if (s == 0)
      out->mix_base = us;
    sx += s;
    sy += us;
    sxx += (double)s * s;
    sxy += s * us;
  }
  double k = MIX_SPEAKERS + 1;
  out->mix_per_speaker = (k * sxy - sx * sy) / (k * sxx - sx * sx);
  rc = 0;

done:
  if (c.stream.limiter)
    audio_stream_clear(&c.stream);
  limiter_free(c.lim);
  if (c.dec)
    opus_decoder_destroy(c.dec);
  jitter_free(c.jb);
  mix_bus_free(c.bus);
  sig_stream_clear(&mic);
  free(speech);
  free(loud);
  free(tone);
  free(mix10);
  free(voices);
  return rc;
}
