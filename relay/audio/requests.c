/* SPDX-License-Identifier: Apache-2.0 */
/* The audio engine's requests, on the main loop's thread: they check and
 * answer at once (the main thread's copy of the booths refuses what the
 * engine would), then hand the engine a command it applies at the next
 * frame boundary. */
#include "engine_private.h"

#include <errno.h>
#include <string.h>

/* --- names and lookups (main thread) ---------------------------------- */

unsigned
audio_engine_languages(const AudioEngine *e)
{
  return e->n_lang;
}

const char *
audio_engine_language(const AudioEngine *e, unsigned i)
{
  return i < e->n_lang ? e->cfg->languages[i] : NULL;
}

int
engine_lang_index(const AudioEngine *e, const char *lang)
{
  for (unsigned i = 0; lang && i < e->n_lang; i++)
    if (strcmp(e->cfg->languages[i], lang) == 0)
      return (int)i;
  return -ENOENT;
}

int
audio_engine_channel(const AudioEngine *e, const char *lang)
{
  int i = engine_lang_index(e, lang);
  return i < 0 ? i : 1 + i;
}

int
audio_engine_product_by_name(const AudioEngine *e, const char *name)
{
  if (!name)
    return -ENOENT;
  if (strcmp(name, "floor") == 0)
    return AUDIO_PRODUCT_FLOOR;
  if (g_str_has_prefix(name, "channel:"))
    return audio_engine_channel(e, name + 8);
  return -ENOENT;
}

const char *
audio_engine_product_name(const AudioEngine *e, int product)
{
  if (product < 0 || product >= AUDIO_MAX_PRODUCTS || !e->products[product].used)
    return NULL;
  return e->products[product].name;
}

int
audio_engine_mic_by_peer(const AudioEngine *e, const char *peer)
{
  for (int i = 0; i < AUDIO_MAX_MICS; i++)
    if (e->mics[i].used && strcmp(e->mics[i].peer, peer) == 0)
      return i;
  return -ENOENT;
}

void
engine_send_cmd(AudioEngine *e, CmdType type, int a, int b, guint32 gen)
{
  Cmd *c = g_new(Cmd, 1);
  *c = (Cmd){type, a, b, gen};
  g_async_queue_push(e->cmds, c);
}

/* --- products ------------------------------------------------------------ */

static int
product_alloc(AudioEngine *e, ProductKind kind, const char *name)
{
  for (int i = 1 + (int)e->n_lang; i < AUDIO_MAX_PRODUCTS; i++) {
    Product *p = &e->products[i];
    if (p->used || (p->released_us && g_get_monotonic_time() - p->released_us < RELEASE_US))
      continue;
    p->used = true;
    p->kind = kind;
    p->lowbw = -1;
    p->lowbw_refs = 0;
    p->mic = p->base = -1;
    g_strlcpy(p->name, name, sizeof p->name);
    return i;
  }
  return -ENOSPC;
}

AudioStreamConfig
engine_stream_config(const AudioEngine *e, ProductKind kind)
{
  const RelayConfig *cfg = e->cfg;
  return (AudioStreamConfig){
    .bitrate = kind == PRODUCT_LOWBW     ? cfg->lowbw_bitrate
               : kind == PRODUCT_CHANNEL ? cfg->channel_bitrate
                                         : cfg->floor_bitrate,
    .fec = kind == PRODUCT_LOWBW ? TRUE : cfg->opus_fec,
    .dtx = cfg->opus_dtx,
    .ceiling_db = cfg->limiter_ceiling_db,
  };
}

static void
product_release(AudioEngine *e, int i)
{
  e->products[i].used = false;
  e->products[i].released_us = g_get_monotonic_time();
  engine_send_cmd(e, CMD_PRODUCT_REMOVE, i, 0, 0);
}

int
audio_engine_lowbw(AudioEngine *e, int product, bool on)
{
  if (product < 0 || product >= AUDIO_MAX_PRODUCTS || !e->products[product].used ||
      e->products[product].kind == PRODUCT_LOWBW)
    return -ENOENT;
  Product *p = &e->products[product];
  if (on) {
    if (p->lowbw < 0) {
      g_autofree char *name = g_strdup_printf("%s@lowbw", p->name);
      int lb = product_alloc(e, PRODUCT_LOWBW, name);
      if (lb < 0)
        return lb;
      e->products[lb].base = product;
      p->lowbw = lb;
      engine_send_cmd(e, CMD_PRODUCT_ADD, lb, 0, 0);
    }
    p->lowbw_refs++;
    return p->lowbw;
  }
  int lb = p->lowbw;
  if (lb >= 0 && p->lowbw_refs > 0 && --p->lowbw_refs == 0) {
    product_release(e, lb);
    p->lowbw = -1;
  }
  return lb;
}

/* --- microphones ------------------------------------------------------ */

static int
mic_alloc(AudioEngine *e, const char *peer, int booth)
{
  for (int i = 0; i < AUDIO_MAX_MICS; i++) {
    Mic *m = &e->mics[i];
    if (m->used || (m->released_us && g_get_monotonic_time() - m->released_us < RELEASE_US))
      continue;
    m->used = true;
    m->sim_req = 0;
    m->gen++;
    g_strlcpy(m->peer, peer, sizeof m->peer);
    m->booth = booth;
    m->granted = false;
    m->minus = -1;
    return i;
  }
  return -ENOSPC;
}

/* The demo's simulated interpreter ([relay] sim_booths) holds its booth
 * only until a real one comes: it leaves at the first real interpreter's
 * add (the booth then follows signalling: nobody live until one turns a
 * microphone on) and comes back live when the last real one has gone. */
static int
sim_in_booth(AudioEngine *e, int booth)
{
  for (int i = 0; i < AUDIO_MAX_MICS; i++)
    if (e->mics[i].used && e->mics[i].booth == booth && e->mics[i].sim_req > 0)
      return i;
  return -1;
}

static void
sim_yield(AudioEngine *e, int booth)
{
  int sim = sim_in_booth(e, booth);
  if (sim >= 0)
    audio_engine_mic_remove(e, sim);
}

static void
sim_return(AudioEngine *e, int booth)
{
  const char *lang = e->cfg->languages[booth];
  size_t n = strlen(lang);
  for (int i = 0; i < AUDIO_MAX_MICS; i++)
    if (e->mics[i].used && e->mics[i].booth == booth)
      return; /* an interpreter (or the sim) is still there */
  for (char **s = e->cfg->sim_booths; s && *s; s++)
    if (strncmp(*s, lang, n) == 0 && (*s)[n] == ':') {
      engine_sim_start(e, *s);
      return;
    }
}

int
audio_engine_mic_add(AudioEngine *e, const char *peer, const char *booth)
{
  int b = -1;
  if (audio_engine_mic_by_peer(e, peer) >= 0)
    return -EEXIST;
  if (booth && (b = engine_lang_index(e, booth)) < 0)
    return -ENOENT;
  if (b >= 0) {
    sim_yield(e, b);
    int slot = booth_add_interpreter(e->booths[b], peer);
    if (slot < 0)
      return slot; /* -ENOSPC: two interpreters already */
  }
  int i = mic_alloc(e, peer, b);
  if (i < 0) {
    if (b >= 0)
      booth_remove_interpreter(e->booths[b], peer);
    return i;
  }
  engine_send_cmd(e, CMD_MIC_ADD, i, 0, e->mics[i].gen);
  return i;
}

int
engine_sim_start(AudioEngine *e, const char *entry)
{
  g_auto(GStrv) pair = g_strsplit(entry, ":", 2);
  g_autofree char *peer = g_strdup_printf("sim-%s", pair[0]);
  int b = engine_lang_index(e, pair[0]);
  if (b < 0 || !pair[1] || booth_add_interpreter(e->booths[b], peer) < 0)
    return -ENOENT;
  int i = mic_alloc(e, peer, b);
  if (i < 0) {
    booth_remove_interpreter(e->booths[b], peer);
    return i;
  }
  e->mics[i].sim_req = g_ascii_strtod(pair[1], NULL);
  engine_send_cmd(e, CMD_MIC_ADD, i, 0, e->mics[i].gen);
  audio_engine_booth_live(e, pair[0], i);
  return i;
}

void
audio_engine_mic_remove(AudioEngine *e, int mic)
{
  if (mic < 0 || mic >= AUDIO_MAX_MICS || !e->mics[mic].used)
    return;
  Mic *m = &e->mics[mic];
  if (m->granted)
    audio_engine_floor(e, mic, false);
  if (m->booth >= 0)
    booth_remove_interpreter(e->booths[m->booth], m->peer); /* the engine does the same */
  m->used = false;
  m->released_us = g_get_monotonic_time();
  engine_send_cmd(e, CMD_MIC_REMOVE, mic, 0, m->gen);
  if (m->booth >= 0 && m->sim_req <= 0)
    sim_return(e, m->booth);
}

void
audio_engine_mic_packet(AudioEngine *e, int mic, const uint8_t *rtp, size_t len)
{
  if (mic < 0 || mic >= AUDIO_MAX_MICS)
    return;
  audio_queue_push(e->mic_in, mic, e->mics[mic].gen, rtp, len);
}

int
audio_engine_floor(AudioEngine *e, int mic, bool on)
{
  if (mic < 0 || mic >= AUDIO_MAX_MICS || !e->mics[mic].used)
    return -ENOENT;
  Mic *m = &e->mics[mic];
  if (on == m->granted)
    return on ? m->minus : 0;
  if (on) {
    g_autofree char *name = g_strdup_printf("minus:%s", m->peer);
    int p = product_alloc(e, PRODUCT_MINUS, name);
    if (p < 0)
      return p;
    e->products[p].mic = mic;
    m->minus = p;
    m->granted = true;
    engine_send_cmd(e, CMD_PRODUCT_ADD, p, 0, 0);
    engine_send_cmd(e, CMD_FLOOR, mic, 1, m->gen);
    return p;
  }
  if (e->products[m->minus].lowbw >= 0) /* its low-bandwidth variant goes with it */
    product_release(e, e->products[m->minus].lowbw);
  engine_send_cmd(e, CMD_FLOOR, mic, 0, m->gen);
  product_release(e, m->minus);
  m->granted = false;
  m->minus = -1;
  return 0;
}

int
audio_engine_speaker_minus(const AudioEngine *e, int mic)
{
  if (mic < 0 || mic >= AUDIO_MAX_MICS || !e->mics[mic].used || !e->mics[mic].granted)
    return -1;
  return e->mics[mic].minus;
}

int
audio_engine_lowbw_product(const AudioEngine *e, int product)
{
  if (product < 0 || product >= AUDIO_MAX_PRODUCTS || !e->products[product].used)
    return -1;
  return e->products[product].lowbw;
}

int
audio_engine_booth_live(AudioEngine *e, const char *lang, int mic)
{
  int b = engine_lang_index(e, lang);
  if (b < 0)
    return b;
  if (mic >= 0 && (mic >= AUDIO_MAX_MICS || !e->mics[mic].used || e->mics[mic].booth != b))
    return -EINVAL;
  /* one live producer per channel: a booth working into the same channel
   * (a retour) must have its microphone off first */
  if (mic >= 0) {
    int other = channel_producer((const Booth *const *)e->booths, e->n_lang,
                                 booth_output(e->booths[b]));
    if (other >= 0 && other != b)
      return -EBUSY;
  }
  int rc = booth_switch_live(e->booths[b], mic >= 0 ? e->mics[mic].peer : NULL);
  if (rc < 0)
    return rc;
  engine_send_cmd(e, CMD_BOOTH_LIVE, b, mic, mic >= 0 ? e->mics[mic].gen : 0);
  return 0;
}

int
audio_engine_cough(AudioEngine *e, int mic, bool on)
{
  if (mic < 0 || mic >= AUDIO_MAX_MICS || !e->mics[mic].used)
    return -ENOENT;
  Mic *m = &e->mics[mic];
  if (m->booth >= 0) {
    int rc = booth_cough(e->booths[m->booth], m->peer, on);
    if (rc < 0)
      return rc; /* -EPERM: only the live interpreter coughs */
  }
  engine_send_cmd(e, CMD_COUGH, mic, on, m->gen);
  return 0;
}

bool
audio_engine_booth_state(const AudioEngine *e, const char *lang, AudioBoothState *out)
{
  int b = engine_lang_index(e, lang);
  if (b < 0)
    return false;
  const Booth *booth = e->booths[b];
  const char *live = booth_live_peer(booth);
  g_strlcpy(out->live, live ? live : "", sizeof out->live);
  out->cough = booth_coughing(booth);
  out->input = audio_engine_booth_input_product(e, lang);
  out->output = audio_engine_channel(e, booth_output(booth));
  return true;
}

int
audio_engine_booth_input_product(const AudioEngine *e, const char *lang)
{
  int b = engine_lang_index(e, lang);
  if (b < 0)
    return b;
  const char *in = booth_input(e->booths[b]);
  return strcmp(in, BOOTH_INPUT_FLOOR) == 0 ? AUDIO_PRODUCT_FLOOR : audio_engine_channel(e, in);
}

int
audio_engine_booth_input(AudioEngine *e, const char *lang, int product)
{
  int b = engine_lang_index(e, lang);
  if (b < 0)
    return b;
  if (product != AUDIO_PRODUCT_FLOOR && (product < 1 || product > (int)e->n_lang))
    return -EINVAL;
  const char *in = product == AUDIO_PRODUCT_FLOOR ? BOOTH_INPUT_FLOOR
                                                  : e->cfg->languages[product - 1];
  int rc = booth_set_input(e->booths, e->n_lang, (size_t)b, in);
  if (rc < 0)
    return rc; /* -ELOOP: booths would relay in a circle */
  engine_send_cmd(e, CMD_BOOTH_INPUT, b, product, 0);
  return 0; /* who hears what is the fan-out's: the engine only keeps the booth in step */
}

int
audio_engine_booth_output(AudioEngine *e, const char *lang, const char *channel)
{
  int b = engine_lang_index(e, lang), c = engine_lang_index(e, channel);
  if (b < 0 || c < 0)
    return -ENOENT;
  int rc = booth_set_output(e->booths, e->n_lang, (size_t)b, channel);
  if (rc < 0)
    return rc; /* -EPERM: no such retour in the config; -EBUSY: live into a live channel */
  engine_send_cmd(e, CMD_BOOTH_OUTPUT, b, c, 0);
  return 0;
}
