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
  opus_encoder_ctl(s->enc, OPUS_SET_BITRATE(s->cfg.bitrate));
  /* fullband on every product: interpreters need 125–15 000 Hz */
  opus_encoder_ctl(s->enc, OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
  opus_encoder_ctl(s->enc, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
  opus_encoder_ctl(s->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  opus_encoder_ctl(s->enc, OPUS_SET_INBAND_FEC(s->cfg.fec ? 1 : 0));
  opus_encoder_ctl(s->enc, OPUS_SET_PACKET_LOSS_PERC(s->cfg.fec ? 10 : 0));
  opus_encoder_ctl(s->enc, OPUS_SET_DTX(s->cfg.dtx ? 1 : 0));
  opus_encoder_ctl(s->enc, OPUS_SET_COMPLEXITY(5));
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

/* How far past the ceiling a listener will decode @payload (dB; <= 0:
 * under it). Advances the check decoder. */
static double
decoded_over(AudioStream *s, const uint8_t *payload, opus_int32 n)
{
  float out[AUDIO_FRAME];
  int got = opus_decode_float(s->check, payload, n, out, AUDIO_FRAME, 0);
  float peak = 0;
  for (int i = 0; i < got; i++)
    peak = fmaxf(peak, fabsf(out[i]));
  s->decoded_peak_db = level_to_dbfs(peak);
  /* a little under the ceiling: part of a frame only decodes with the next
   * one (the codec's overlap), which this frame's check cannot see */
  return s->decoded_peak_db - (s->cfg.ceiling_db - AUDIO_CHECK_MARGIN_DB);
}

static void
apply_gain_db(float *pcm, double db)
{
  float g = (float)pow(10.0, -db / 20.0);
  for (int i = 0; i < AUDIO_FRAME; i++)
    pcm[i] *= g;
}

int
audio_stream_encode(AudioStream *s, float *pcm, uint32_t tick, uint8_t *rtp)
{
  uint8_t payload[AUDIO_MAX_PAYLOAD];
  if (!s->enc && make_encoder(s) < 0)
    return -ENOMEM;
  limiter_process(s->limiter, pcm, AUDIO_FRAME);
  s->gain_reduction_db = limiter_gain_reduction_db(s->limiter);
  if (s->trim_db > 0)
    apply_gain_db(pcm, s->trim_db);
  s->encoded_this_tick = true;
  memcpy(s->enc_snap, s->enc, s->enc_size);
  memcpy(s->check_snap, s->check, s->check_size);
  opus_int32 n = opus_encode_float(s->enc, pcm, AUDIO_FRAME, payload, sizeof payload);
  if (n < 0)
    return -EIO;
  double over = decoded_over(s, payload, n);
  if (over > 0)
    s->reencoded++;
  /* past the ceiling: this frame again, from the same state, trimmed by the
   * excess (the codec is not linear: a few tries, the last one with room) */
  for (int attempt = 0; over > 0 && attempt < AUDIO_TRIM_TRIES; attempt++) {
    double cut = over + 0.5 * (attempt + 1);
    memcpy(s->enc, s->enc_snap, s->enc_size);
    memcpy(s->check, s->check_snap, s->check_size);
    apply_gain_db(pcm, cut);
    s->trim_db = fmin(s->trim_db + cut, AUDIO_TRIM_MAX_DB);
    n = opus_encode_float(s->enc, pcm, AUDIO_FRAME, payload, sizeof payload);
    if (n < 0)
      return -EIO;
    over = decoded_over(s, payload, n);
  }
  if (over < -AUDIO_TRIM_HOLD_DB) { /* clearly under: release; near it: hold */
    s->trim_db = fmax(0.0, s->trim_db - AUDIO_TRIM_RELEASE_DB);
  }
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
