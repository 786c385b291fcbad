/* SPDX-License-Identifier: Apache-2.0 */
#include "channel.h"

#include <errno.h>
#include <math.h>
#include <string.h>

void
channel_config_default(ChannelConfig *cfg)
{
  cfg->ramp_frames = 25;
  cfg->ramp_start_max = 0.5f;
  cfg->silence_dbfs = -50.0;
}

int
channel_init(Channel *ch, const char *lang, const ChannelConfig *cfg)
{
  size_t n = lang ? strlen(lang) : 0;
  if (n == 0 || n > BOOTH_LANG_MAX)
    return -EINVAL;
  if (cfg && !(cfg->ramp_start_max >= 0.0f && cfg->ramp_start_max <= 1.0f))
    return -EINVAL;
  memset(ch, 0, sizeof *ch);
  if (cfg)
    ch->cfg = *cfg;
  else
    channel_config_default(&ch->cfg);
  memcpy(ch->lang, lang, n + 1);
  ch->booth = ch->slot = -1;
  return 0;
}

int
channel_producer(const Booth *const *booths, size_t n, const char *lang)
{
  for (size_t i = 0; i < n; i++) {
    if (booths[i] && booth_live_slot(booths[i]) >= 0 && strcmp(booth_output(booths[i]), lang) == 0)
      return (int)i;
  }
  return -ENOENT;
}

float
channel_ramp_start(const ChannelConfig *cfg, double channel_dbfs, double floor_dbfs)
{
  double g;
  if (!(channel_dbfs >= cfg->silence_dbfs))
    return 0.0f; /* the listeners heard a pause: no floor burst into it */
  if (!(floor_dbfs >= cfg->silence_dbfs))
    floor_dbfs = cfg->silence_dbfs;
  g = pow(10.0, (channel_dbfs - floor_dbfs) / 20.0);
  return g < (double)cfg->ramp_start_max ? (float)g : cfg->ramp_start_max;
}

static float
channel_ramp_gain(const Channel *ch, unsigned k)
{
  float g0 = ch->ramp_g0;
  return g0 + (1.0f - g0) * (float)k / (float)ch->cfg.ramp_frames;
}

void
channel_tick(Channel *ch, const Booth *const *booths, size_t n, double floor_dbfs,
             double channel_dbfs, ChannelOutput *out)
{
  int p = channel_producer(booths, n, ch->lang);
  ChannelSourceKind prev_kind = ch->kind;
  int prev_booth = ch->booth, prev_slot = ch->slot;

  memset(out, 0, sizeof *out);
  if (p >= 0) {
    ch->kind = booth_coughing(booths[p]) ? CHANNEL_SILENCE : CHANNEL_INTERPRETER;
    ch->booth = p;
    ch->slot = booth_live_slot(booths[p]);
    out->peer = booth_live_peer(booths[p]);
  } else if (!ch->started) {
    ch->kind = CHANNEL_FLOOR_FORWARD;
    ch->booth = ch->slot = -1;
  } else {
    if (ch->kind == CHANNEL_INTERPRETER || ch->kind == CHANNEL_SILENCE) {
      ch->ramp_g0 = channel_ramp_start(&ch->cfg, channel_dbfs, floor_dbfs);
      ch->ramp_pos = 0;
      ch->kind = ch->cfg.ramp_frames > 0 ? CHANNEL_FLOOR_RAMP : CHANNEL_FLOOR_FORWARD;
    } else if (ch->kind == CHANNEL_FLOOR_RAMP && ++ch->ramp_pos >= ch->cfg.ramp_frames) {
      ch->kind = CHANNEL_FLOOR_FORWARD;
    }
    ch->booth = ch->slot = -1;
  }

  out->kind = ch->kind;
  out->booth = ch->booth;
  out->interpreter = ch->slot;
  if (ch->kind == CHANNEL_FLOOR_RAMP) {
    out->gain_from = channel_ramp_gain(ch, ch->ramp_pos);
    out->gain_to = channel_ramp_gain(ch, ch->ramp_pos + 1);
  } else if (ch->kind == CHANNEL_FLOOR_FORWARD) {
    out->gain_from = out->gain_to = 1.0f;
  }
  out->changed =
      !ch->started || ch->kind != prev_kind || ch->booth != prev_booth || ch->slot != prev_slot;
  ch->started = true;
}
