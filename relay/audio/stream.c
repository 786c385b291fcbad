/* SPDX-License-Identifier: Apache-2.0 */
#include "stream.h"

#include <errno.h>
#include <glib.h>
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
  limiter_free(s->limiter);
  memset(s, 0, sizeof *s);
}

static int
make_encoder(AudioStream *s)
{
  int err = 0;
  s->enc = opus_encoder_create(AUDIO_RATE, 1, OPUS_APPLICATION_AUDIO, &err);
  if (!s->enc)
    return -ENOMEM;
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

int
audio_stream_encode(AudioStream *s, float *pcm, uint32_t tick, uint8_t *rtp)
{
  uint8_t payload[AUDIO_MAX_PAYLOAD];
  if (!s->enc && make_encoder(s) < 0)
    return -ENOMEM;
  limiter_process(s->limiter, pcm, AUDIO_FRAME);
  s->gain_reduction_db = limiter_gain_reduction_db(s->limiter);
  level_process(&s->level, pcm, AUDIO_FRAME);
  s->encoded_this_tick = true;
  opus_int32 n = opus_encode_float(s->enc, pcm, AUDIO_FRAME, payload, sizeof payload);
  if (n < 0)
    return -EIO;
  if (n <= 2 && s->cfg.dtx) /* DTX: nothing to send this frame */
    return 0;
  return write_rtp(s, SOURCE_ENCODER, s->enc_seq++, tick, payload, (size_t)n, rtp);
}

void
audio_stream_cut(AudioStream *s)
{
  if (s->enc)
    opus_encoder_ctl(s->enc, OPUS_RESET_STATE);
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
