/* SPDX-License-Identifier: Apache-2.0 */
#include "stream.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "rtp.h"

#define LOOKAHEAD_MS 1.5
#define RELEASE_MS 80.0

enum { SOURCE_ENCODER = 0, SOURCE_FORWARD = 1 };

int
audio_stream_init(AudioStream *s, const AudioStreamConfig *cfg)
{
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->limiter = limiter_new(cfg->ceiling_db, LOOKAHEAD_MS, RELEASE_MS, AUDIO_RATE);
  if (!s->limiter)
    return -ENOMEM;
  level_init(&s->level, LEVEL_DEFAULT_WINDOW_MS);
  s->ssrc = g_random_int();
  s->enc_seq = (uint16_t)g_random_int();
  seqmap_init(&s->map, (uint16_t)g_random_int(), g_random_int());
  return 0;
}

void
audio_stream_clear(AudioStream *s)
{
  if (s->enc)
    opus_encoder_destroy(s->enc);
  if (s->check)
    opus_decoder_destroy(s->check);
  g_free(s->enc_snap);
  g_free(s->check_snap);
  g_free(s->probe_enc);
  g_free(s->probe_check);
  limiter_free(s->limiter);
  memset(s, 0, sizeof *s);
}

static int
make_encoder(AudioStream *s)
{
  int err = 0;
  s->enc = opus_encoder_create(AUDIO_RATE, 1, OPUS_APPLICATION_AUDIO, &err);
  s->check = opus_decoder_create(AUDIO_RATE, 1, &err);
  if (!s->enc || !s->check)
    return -ENOMEM;
  s->enc_size = (size_t)opus_encoder_get_size(1);
  s->check_size = (size_t)opus_decoder_get_size(1);
  s->enc_snap = g_malloc(s->enc_size);
  s->check_snap = g_malloc(s->check_size);
  s->probe_enc = g_malloc(s->enc_size);
  s->probe_check = g_malloc(s->check_size);
  opus_encoder_ctl(s->enc, OPUS_SET_BITRATE(s->cfg.bitrate));
  /* fullband on every product: interpreters need 125–15 000 Hz */
  opus_encoder_ctl(s->enc, OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
  opus_encoder_ctl(s->enc, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
  opus_encoder_ctl(s->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  opus_encoder_ctl(s->enc, OPUS_SET_INBAND_FEC(s->cfg.fec ? 1 : 0));
  opus_encoder_ctl(s->enc, OPUS_SET_PACKET_LOSS_PERC(s->cfg.fec ? 10 : 0));
  opus_encoder_ctl(s->enc, OPUS_SET_DTX(s->cfg.dtx ? 1 : 0));
  opus_encoder_ctl(s->enc, OPUS_SET_COMPLEXITY(5));
  opus_int32 lookahead = 0;
  opus_encoder_ctl(s->enc, OPUS_GET_LOOKAHEAD(&lookahead));
  s->lookahead = lookahead > 0 && lookahead < AUDIO_FRAME ? (int)lookahead : AUDIO_FRAME / 3;
  return 0;
}

static int
write_rtp(AudioStream *s, uint32_t source, uint16_t in_seq, uint32_t tick, const uint8_t *payload,
          size_t len, uint8_t *rtp)
{
  SeqMapOut out;
  uint32_t elapsed = s->sent ? (tick - s->last_tick) * AUDIO_FRAME : AUDIO_FRAME;
  if (len > AUDIO_MAX_PAYLOAD)
    return -EMSGSIZE;
  int rc = seqmap_next(&s->map, source, in_seq, tick * AUDIO_FRAME, elapsed ? elapsed : AUDIO_FRAME,
                       &out);
  if (rc < 0)
    return rc;
  rtp[0] = 0x80;
  rtp[1] = (uint8_t)((out.marker ? 0x80 : 0) | AUDIO_RTP_PT);
  rtp_put16(rtp + 2, out.seq);
  rtp_put32(rtp + 4, out.ts);
  rtp_put32(rtp + 8, s->ssrc);
  memcpy(rtp + 12, payload, len);
  s->sent = true;
  s->last_tick = tick;
  return (int)(12 + len);
}

/* The peak of @got decoded samples from @from on, in dBFS */
static double
peak_db(const float *out, int from, int got)
{
  float peak = 0;
  for (int i = from; i < got; i++)
    peak = fmaxf(peak, fabsf(out[i]));
  return level_to_dbfs(peak);
}

/* How far past the check's target (a little under the ceiling: the check
 * of the frame's tail is an estimate) a listener will decode @payload, in
 * dB (<= 0: under it). Advances the check decoder. */
static double
decoded_over(AudioStream *s, const uint8_t *payload, opus_int32 n)
{
  float out[AUDIO_FRAME];
  int got = opus_decode_float(s->check, payload, n, out, AUDIO_FRAME, 0);
  s->decoded_peak_db = peak_db(out, 0, got);
  return s->decoded_peak_db - (s->cfg.ceiling_db - AUDIO_CHECK_MARGIN_DB);
}

/* The last lookahead samples of a frame only decode with the next packet,
 * and no trim of the next frame reaches them: they are already in the
 * encoder's delay buffer. Where they are loud enough to overshoot, encode
 * a guess of the next frame (this one again) on copies of the two states
 * and see how the tail decodes: dB past the target, as decoded_over(). */
static double
probe(AudioStream *s, const float *next)
{
  float out[AUDIO_FRAME];
  uint8_t payload[AUDIO_MAX_PAYLOAD];
  memcpy(s->probe_enc, s->enc, s->enc_size);
  memcpy(s->probe_check, s->check, s->check_size);
  opus_int32 n = opus_encode_float(s->probe_enc, next, AUDIO_FRAME, payload, sizeof payload);
  if (n < 0)
    return 0;
  int got = opus_decode_float(s->probe_check, payload, n, out, AUDIO_FRAME, 0);
  return peak_db(out, 0, got < s->lookahead ? got : s->lookahead);
}

static double
tail_over(AudioStream *s, const float *pcm)
{
  float tail = 0, mirror[AUDIO_FRAME];
  double target = s->cfg.ceiling_db - AUDIO_CHECK_MARGIN_DB;
  for (int i = AUDIO_FRAME - s->lookahead; i < AUDIO_FRAME; i++)
    tail = fmaxf(tail, fabsf(pcm[i]));
  /* near the target, or within range while the limiter or the trim acts
   * (speech under the ceiling is never probed) */
  double room =
      s->trim_db > 0 || s->gain_reduction_db > 0 ? AUDIO_PROBE_RANGE_DB : AUDIO_PROBE_NEAR_DB;
  if (level_to_dbfs(tail) < target - room)
    return -room;
  s->probed++;
  /* two guesses of what follows: this frame again (a steady sound) and
   * this frame backwards (continuous at the boundary) */
  for (int i = 0; i < AUDIO_FRAME; i++)
    mirror[i] = pcm[AUDIO_FRAME - 1 - i];
  return fmax(probe(s, pcm), probe(s, mirror)) - target;
}

static void
scale(float *dst, const float *src, double cut_db)
{
  float g = (float)pow(10.0, -cut_db / 20.0);
  for (int i = 0; i < AUDIO_FRAME; i++)
    dst[i] = src[i] * g;
}

/* Encodes @pcm cut by @cut_db from the saved states into @payload; the
 * frame's own decoded excess and its tail's, whichever is larger. */
static opus_int32
encode_try(AudioStream *s, const float *base, float *pcm, double cut_db, uint8_t *payload,
           double *over)
{
  memcpy(s->enc, s->enc_snap, s->enc_size);
  memcpy(s->check, s->check_snap, s->check_size);
  scale(pcm, base, cut_db);
  opus_int32 n = opus_encode_float(s->enc, pcm, AUDIO_FRAME, payload, AUDIO_MAX_PAYLOAD);
  if (n < 0)
    return n;
  *over = fmax(decoded_over(s, payload, n), tail_over(s, pcm));
  return n;
}

int
audio_stream_encode(AudioStream *s, float *pcm, uint32_t tick, uint8_t *rtp)
{
  uint8_t payload[AUDIO_MAX_PAYLOAD];
  float base[AUDIO_FRAME];
  if (!s->enc && make_encoder(s) < 0)
    return -ENOMEM;
  limiter_process(s->limiter, pcm, AUDIO_FRAME);
  s->gain_reduction_db = limiter_gain_reduction_db(s->limiter);
  scale(base, pcm, s->trim_db);
  s->encoded_this_tick = true;
  memcpy(s->enc_snap, s->enc, s->enc_size);
  memcpy(s->check_snap, s->check, s->check_size);
  double over = 0, cut = 0;
  opus_int32 n = encode_try(s, base, pcm, 0, payload, &over);
  if (n < 0)
    return -EIO;
  if (over > 0)
    s->reencoded++;
  /* past the ceiling: this frame again, from the same states, cut by the
   * excess and a step that grows. The codec is not linear (a harder cut
   * can decode hotter), so the best try is the one sent. */
  double best_over = over, best_cut = 0;
  for (int attempt = 0; over > 0 && attempt < AUDIO_TRIM_TRIES; attempt++) {
    cut += over + 0.5 * (attempt + 1);
    n = encode_try(s, base, pcm, cut, payload, &over);
    if (n < 0)
      return -EIO;
    if (over < best_over) {
      best_over = over;
      best_cut = cut;
    }
  }
  if (over > best_over) { /* the last try was not the best: encode that one again */
    cut = best_cut;
    n = encode_try(s, base, pcm, cut, payload, &over);
    if (n < 0)
      return -EIO;
  }
  if (over > 0)
    s->over_sent++;
  s->trim_db = fmin(s->trim_db + cut, AUDIO_TRIM_MAX_DB);
  if (over < -AUDIO_TRIM_HOLD_DB) /* clearly under: release; near it: hold */
    s->trim_db = fmax(0.0, s->trim_db - AUDIO_TRIM_RELEASE_DB);
  level_process(&s->level, pcm, AUDIO_FRAME);
  if (n <= 2 && s->cfg.dtx) /* DTX: nothing to send this frame */
    return 0;
  return write_rtp(s, SOURCE_ENCODER, s->enc_seq++, tick, payload, (size_t)n, rtp);
}

void
audio_stream_cut(AudioStream *s)
{
  if (s->enc) {
    opus_encoder_ctl(s->enc, OPUS_RESET_STATE);
    opus_decoder_ctl(s->check, OPUS_RESET_STATE);
  }
  limiter_reset(s->limiter);
}

int
audio_stream_forward(AudioStream *s, const float *pcm, const uint8_t *payload, size_t len,
                     uint32_t tick, uint8_t *rtp)
{
  level_process(&s->level, pcm, AUDIO_FRAME);
  s->gain_reduction_db = 0;
  /* the forwarded packets' own order is the tick's */
  return write_rtp(s, SOURCE_FORWARD, (uint16_t)tick, tick, payload, len, rtp);
}
