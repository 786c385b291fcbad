/* SPDX-License-Identifier: Apache-2.0 */
#include "engine_private.h"

#include <errno.h>
#include <gio/gio.h>
#include <math.h>
#include <opus.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rtp.h"

/* --- the engine thread ---------------------------------------------------- */

static void
product_start(AudioEngine *e, int i)
{
  Product *p = &e->products[i];
  AudioStreamConfig sc = engine_stream_config(e, p->kind);
  if (audio_stream_init(&p->stream, &sc) < 0)
    return;
  p->active = true;
  if (p->kind == PRODUCT_CHANNEL) {
    ChannelConfig cc;
    channel_config_default(&cc);
    cc.ramp_frames = (unsigned)MAX(1, e->cfg->ramp_ms / AUDIO_FRAME_MS);
    channel_init(&p->ch, e->cfg->languages[i - 1], &cc);
  }
}

static void
product_stop(AudioEngine *e, int i)
{
  Product *p = &e->products[i];
  if (!p->active)
    return;
  audio_stream_clear(&p->stream);
  p->active = false;
}

static Mic *
live_mic(AudioEngine *e, int i, guint32 gen)
{
  Mic *m = i >= 0 && i < AUDIO_MAX_MICS ? &e->mics[i] : NULL;
  return m && m->active && m->active_gen == gen ? m : NULL;
}

static void
apply(AudioEngine *e, const Cmd *c)
{
  Mic *m;
  switch (c->type) {
  case CMD_MIC_ADD:
    m = &e->mics[c->a];
    m->active = true;
    m->active_gen = c->gen;
    m->on_floor = m->cough = false;
    m->bus_id = -1;
    m->decoded = false;
    m->sim_hz = m->sim_req;
    m->sim_phase = 0;
    m->eng_booth = m->booth;
    if (m->eng_booth >= 0) {
      int slot = booth_add_interpreter(e->eng_booths[m->eng_booth], m->peer);
      if (slot >= 0)
        e->slot_mic[m->eng_booth][slot] = c->a;
    }
    jitter_reset(m->jb);
    opus_decoder_ctl(m->dec, OPUS_RESET_STATE);
    level_reset(&m->level);
    return;
  case CMD_MIC_REMOVE:
    if (!(m = live_mic(e, c->a, c->gen)))
      return;
    if (m->bus_id >= 0)
      mix_bus_remove(e->bus, m->bus_id);
    m->bus_id = -1;
    if (m->eng_booth >= 0)
      booth_remove_interpreter(e->eng_booths[m->eng_booth], m->peer);
    m->active = false;
    return;
  case CMD_FLOOR:
    if (!(m = live_mic(e, c->a, c->gen)))
      return;
    if (c->b && m->bus_id < 0)
      m->bus_id = mix_bus_add(e->bus, 1.0f, true);
    else if (!c->b && m->bus_id >= 0) {
      mix_bus_remove(e->bus, m->bus_id);
      m->bus_id = -1;
    }
    m->on_floor = c->b != 0;
    return;
  case CMD_BOOTH_LIVE:
    m = c->b >= 0 ? live_mic(e, c->b, c->gen) : NULL;
    booth_switch_live(e->eng_booths[c->a], m ? m->peer : NULL);
    return;
  case CMD_COUGH:
    if (!(m = live_mic(e, c->a, c->gen)))
      return;
    m->cough = c->b != 0;
    if (m->eng_booth >= 0)
      booth_cough(e->eng_booths[m->eng_booth], m->peer, m->cough);
    return;
  case CMD_BOOTH_OUTPUT:
    booth_set_output(e->eng_booths, e->n_lang, (size_t)c->a, e->cfg->languages[c->b]);
    return;
  case CMD_BOOTH_INPUT:
    booth_set_input(e->eng_booths, e->n_lang, (size_t)c->a,
                    c->b == AUDIO_PRODUCT_FLOOR ? BOOTH_INPUT_FLOOR : e->cfg->languages[c->b - 1]);
    return;
  case CMD_PRODUCT_ADD:
    product_start(e, c->a);
    return;
  case CMD_PRODUCT_REMOVE:
    product_stop(e, c->a);
    return;
  }
}

static void
take_mic_packets(AudioEngine *e)
{
  uint8_t buf[AUDIO_RTP_MAX];
  AudioQueueItem it;
  while (audio_queue_pop(e->mic_in, &it, buf, sizeof buf)) {
    Mic *m = live_mic(e, it.tag, it.aux);
    RtpHeader h;
    if (!m || rtp_parse(buf, it.len, &h) < 0 || h.payload_len == 0)
      continue;
    jitter_push_at(m->jb, h.seq, h.timestamp, buf + h.header_len, h.payload_len, it.t_us);
    e->mic_packets++;
  }
}

/* A microphone is decoded while it can be heard: on the floor or in a booth. */
static void
decode_mic(AudioEngine *e, Mic *m, gint64 now)
{
  JitterFrame f;
  float tmp[AUDIO_OPUS_MAX_SAMPLES];
  int n = 0;
  m->decoded = false;
  m->play_arrival_us = 0;
  if (m->sim_hz > 0) {
    double amp = pow(10.0, SIM_DBFS / 20.0);
    for (int i = 0; i < AUDIO_FRAME; i++) {
      m->pcm[i] = (float)(amp * sin(m->sim_phase));
      m->sim_phase += 2 * G_PI * m->sim_hz / AUDIO_RATE;
    }
    m->sim_phase = fmod(m->sim_phase, 2 * G_PI);
    m->decoded = true;
    level_process(&m->level, m->pcm, AUDIO_FRAME);
    return;
  }
  switch (jitter_pop_at(m->jb, now, &f)) {
  case JITTER_PACKET:
    n = opus_decode_float(m->dec, f.payload, (opus_int32)f.len, tmp,
                          (int)MIN(f.samples, G_N_ELEMENTS(tmp)), 0);
    m->play_arrival_us = f.arrival_us;
    break;
  case JITTER_FEC:
    n = opus_decode_float(m->dec, f.payload, (opus_int32)f.len, tmp,
                          (int)MIN(f.samples, G_N_ELEMENTS(tmp)), 1);
    break;
  case JITTER_PLC:
    n = opus_decode_float(m->dec, NULL, 0, tmp, (int)MIN(f.samples, G_N_ELEMENTS(tmp)), 0);
    break;
  default:
    memset(m->pcm, 0, sizeof m->pcm);
    level_process(&m->level, m->pcm, AUDIO_FRAME);
    return;
  }
  /* 20 ms packets fill a frame exactly; other lengths are cut or padded */
  if (n < 0)
    n = 0;
  memcpy(m->pcm, tmp, (size_t)MIN(n, AUDIO_FRAME) * sizeof(float));
  if (n < AUDIO_FRAME)
    memset(m->pcm + n, 0, (size_t)(AUDIO_FRAME - n) * sizeof(float));
  m->decoded = true;
  level_process(&m->level, m->pcm, AUDIO_FRAME);
}

/* Hands one product packet to the fan-out and wakes the main loop: each
 * leaves as soon as it is made, not at the end of the tick. */
static void
emit(AudioEngine *e, int product, const uint8_t *rtp, int len)
{
  if (len <= 0)
    return;
  if (!audio_queue_push(e->out, product, 0, rtp, (size_t)len))
    e->out_dropped++;
  g_main_context_wakeup(e->ctx);
}

/* Latency samples of one tick: mic packet in → its product's packet out. */
typedef struct {
  unsigned n;
  double ms[AUDIO_MAX_MICS];
} LatSamples;

static void
lat_sample(LatSamples *ls, const Mic *m)
{
  if (m->play_arrival_us > 0 && ls->n < G_N_ELEMENTS(ls->ms))
    ls->ms[ls->n++] = (double)(g_get_monotonic_time() - m->play_arrival_us) / 1000.0;
}

/* Channel @idx this tick (channel.h): its booth's live interpreter
 * (silence while coughing), or the floor: ramped in by its own encoder
 * from the level of the voice it replaces, then the floor's own packets.
 * The plan, and a forward of the floor's packet at once; returns whether
 * the channel still has to be encoded (encode_channel(), after every
 * forward is out). */
static bool
plan_channel(AudioEngine *e, int idx, const uint8_t *floor_payload, size_t floor_len,
             const float *floor_pcm, double floor_dbfs)
{
  Product *p = &e->products[idx];
  uint8_t rtp[AUDIO_RTP_MAX];
  LevelReading lr;
  level_read(&p->stream.level, &lr);
  channel_tick(&p->ch, (const Booth *const *)e->eng_booths, e->n_lang, floor_dbfs, lr.rms_dbfs,
               &p->plan);
  if (p->plan.kind != CHANNEL_FLOOR_FORWARD)
    return true;
  memcpy(p->pcm, floor_pcm, sizeof p->pcm);
  if (floor_len > 0)
    emit(e, idx, rtp,
         audio_stream_forward(&p->stream, p->pcm, floor_payload, floor_len, e->tick, rtp));
  return false;
}

static void
encode_channel(AudioEngine *e, int idx, const float *floor_pcm, LatSamples *ls)
{
  Product *p = &e->products[idx];
  const ChannelOutput *out = &p->plan;
  uint8_t rtp[AUDIO_RTP_MAX];
  /* the cough key cuts at once: nothing of the voice stays in the encoder's
   * or the limiter's lookahead for the next packet */
  if (out->kind == CHANNEL_SILENCE && out->changed)
    audio_stream_cut(&p->stream);
  switch (out->kind) {
  case CHANNEL_INTERPRETER:
  case CHANNEL_SILENCE: {
    int mic =
        out->booth >= 0 && out->interpreter >= 0 ? e->slot_mic[out->booth][out->interpreter] : -1;
    Mic *m = mic >= 0 ? &e->mics[mic] : NULL;
    bool voice = out->kind == CHANNEL_INTERPRETER && m && m->active && m->decoded;
    if (voice)
      memcpy(p->pcm, m->pcm, sizeof p->pcm);
    else
      memset(p->pcm, 0, sizeof p->pcm);
    emit(e, idx, rtp, audio_stream_encode(&p->stream, p->pcm, e->tick, rtp));
    if (voice)
      lat_sample(ls, m);
    return;
  }
  case CHANNEL_FLOOR_RAMP:
    for (int i = 0; i < AUDIO_FRAME; i++) {
      float g = out->gain_from + (out->gain_to - out->gain_from) * (float)i / (float)AUDIO_FRAME;
      p->pcm[i] = floor_pcm[i] * g;
    }
    emit(e, idx, rtp, audio_stream_encode(&p->stream, p->pcm, e->tick, rtp));
    return;
  case CHANNEL_FLOOR_FORWARD:
    return;
  }
}

static void
snapshot(AudioEngine *e)
{
  g_mutex_lock(&e->lock);
  for (int i = 0; i < AUDIO_MAX_PRODUCTS; i++) {
    Product *p = &e->products[i];
    AudioLevel *l = &e->product_levels[i];
    l->active = p->active;
    if (!p->active)
      continue;
    level_read(&p->stream.level, &l->level);
    l->gain_reduction_db = p->stream.gain_reduction_db;
    l->limiting = p->stream.gain_reduction_db > 0.01;
  }
  JitterStats sum = {0};
  for (int i = 0; i < AUDIO_MAX_MICS; i++) {
    Mic *m = &e->mics[i];
    JitterStats js;
    e->mic_levels[i].active = m->active;
    if (m->active)
      level_read(&m->level, &e->mic_levels[i].level);
    jitter_stats(m->jb, &js); /* the counters outlive the mic: totals stay monotonic */
    jitter_stats_add(&sum, &js);
  }
  e->stats.jitter = sum;
  g_mutex_unlock(&e->lock);
}

/* The wait budget of every microphone's jitter buffer: mic_jitter_ms from
 * arrival to product out, less the room the tick's work takes. */
static gint64
wait_budget_us(const AudioEngine *e)
{
  if (e->cfg->mic_jitter_ms <= 0)
    return 0;
  double room = MAX(OUT_ALLOWANCE_MIN_US, e->out_wall_us + 1000.0);
  return (gint64)e->cfg->mic_jitter_ms * 1000 - (gint64)room;
}

static void
tick(AudioEngine *e, gint64 now)
{
  uint8_t rtp[AUDIO_RTP_MAX];
  Cmd *c;
  unsigned encoders = 0, decoders = 0;
  LatSamples ls = {0};

  while ((c = g_async_queue_try_pop(e->cmds))) {
    apply(e, c);
    g_free(c);
  }
  take_mic_packets(e);

  /* microphones: the floor's speakers and every booth's interpreters */
  gint64 budget = wait_budget_us(e);
  for (int i = 0; i < AUDIO_MAX_MICS; i++) {
    Mic *m = &e->mics[i];
    if (!m->active || (!m->on_floor && m->eng_booth < 0 && m->sim_hz <= 0))
      continue;
    jitter_set_wait_budget(m->jb, budget);
    decode_mic(e, m, now);
    decoders += m->sim_hz > 0 ? 0 : 1;
    if (m->bus_id >= 0)
      mix_bus_set_input(e->bus, m->bus_id, m->decoded && !m->cough ? m->pcm : NULL);
  }

  /* the floor first, then the channels that forward its packets: they
   * leave before any other encode */
  audio_venue_read(e->venue, e->venue_pcm);
  mix_bus_set_input(e->bus, e->venue_bus, e->venue_pcm);
  mix_bus_run(e->bus);
  Product *floor = &e->products[AUDIO_PRODUCT_FLOOR];
  memcpy(floor->pcm, mix_bus_total(e->bus), sizeof floor->pcm);
  leveler_process(&e->leveler, floor->pcm, AUDIO_FRAME);
  int floor_len = audio_stream_encode(&floor->stream, floor->pcm, e->tick, rtp);
  emit(e, AUDIO_PRODUCT_FLOOR, rtp, floor_len);
  for (int i = 0; i < AUDIO_MAX_MICS; i++)
    if (e->mics[i].active && e->mics[i].bus_id >= 0 && e->mics[i].decoded && !e->mics[i].cough)
      lat_sample(&ls, &e->mics[i]);
  uint8_t floor_payload[AUDIO_MAX_PAYLOAD];
  size_t floor_payload_len = floor_len > 12 ? (size_t)floor_len - 12 : 0;
  memcpy(floor_payload, rtp + 12, floor_payload_len);
  encoders++;

  LevelReading floor_level;
  level_read(&floor->stream.level, &floor_level);
  bool to_encode[AUDIO_MAX_LANGUAGES];
  for (unsigned l = 0; l < e->n_lang; l++) {
    to_encode[l] = plan_channel(e, 1 + (int)l, floor_payload, floor_payload_len, floor->pcm,
                                floor_level.rms_dbfs);
    booth_tick(e->eng_booths[l], (uint64_t)(now / 1000));
  }
  /* the channels with a voice of their own, each speaker's mix-minus */
  for (unsigned l = 0; l < e->n_lang; l++) {
    Product *p = &e->products[1 + l];
    p->stream.encoded_this_tick = false;
    if (to_encode[l])
      encode_channel(e, 1 + (int)l, floor->pcm, &ls);
    encoders += p->stream.encoded_this_tick;
  }
  for (int i = 1 + (int)e->n_lang; i < AUDIO_MAX_PRODUCTS; i++) {
    Product *p = &e->products[i];
    if (!p->active || p->kind != PRODUCT_MINUS)
      continue;
    Mic *m = &e->mics[p->mic];
    const float *minus = m->bus_id >= 0 ? mix_bus_minus(e->bus, m->bus_id) : NULL;
    if (minus) {
      memcpy(p->pcm, minus, sizeof p->pcm);
      leveler_apply_last(&e->leveler, p->pcm, AUDIO_FRAME); /* levelled as the floor is */
    } else {
      memcpy(p->pcm, floor->pcm, sizeof p->pcm);
    }
    emit(e, i, rtp, audio_stream_encode(&p->stream, p->pcm, e->tick, rtp));
    encoders++;
  }
  /* low-bandwidth encodes of what their base product made this tick */
  for (int i = 1 + (int)e->n_lang; i < AUDIO_MAX_PRODUCTS; i++) {
    Product *p = &e->products[i];
    if (!p->active || p->kind != PRODUCT_LOWBW || !e->products[p->base].active)
      continue;
    memcpy(p->pcm, e->products[p->base].pcm, sizeof p->pcm);
    emit(e, i, rtp, audio_stream_encode(&p->stream, p->pcm, e->tick, rtp));
    encoders++;
  }
  engine_tap_tick(e); /* the venue's RTP outputs */
  double wall = (double)(g_get_monotonic_time() - now);
  e->out_wall_us = e->tick == 0 ? wall : e->out_wall_us * 0.98 + wall * 0.02;

  e->tick++;
  g_mutex_lock(&e->lock);
  e->stats.ticks++;
  e->stats.encoders = encoders;
  e->stats.decoders = decoders;
  e->stats.mic_packets = e->mic_packets;
  e->stats.out_dropped = e->out_dropped;
  if (e->tick % LAT_HALVE_TICKS == 0)
    for (int i = 0; i < LAT_BUCKETS; i++)
      e->latency[i] /= 2;
  for (unsigned i = 0; i < ls.n; i++)
    e->latency[MIN((guint)MAX(ls.ms[i], 0.0), LAT_BUCKETS - 1)]++;
  g_mutex_unlock(&e->lock);
  if (e->tick % LEVEL_EVERY_TICKS == 0)
    snapshot(e);
}

static gint64
thread_cpu_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* An audio thread that misses its 20 ms is heard by everyone: ask for a
 * modest real-time priority, else a better nice value, else carry on. */
static void
raise_priority(void)
{
  struct sched_param sp = {.sched_priority = 10};
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0)
    return;
  if (setpriority(PRIO_PROCESS, (id_t)gettid(), -10) == 0)
    return;
  g_message("audio engine: runs at normal priority (no permission for a higher one)");
}

static gpointer
engine_thread(gpointer data)
{
  AudioEngine *e = data;
  raise_priority();
  gint64 next = g_get_monotonic_time();
  while (!g_atomic_int_get(&e->stop)) {
    next += TICK_US;
    gint64 now = g_get_monotonic_time();
    if (next > now) {
      struct timespec ts = {(time_t)(next / G_USEC_PER_SEC), (long)(next % G_USEC_PER_SEC) * 1000};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    } else if (now - next > LATE_RESYNC_US) {
      next = now; /* stalled (suspended, overloaded): do not burst to catch up */
      g_mutex_lock(&e->lock);
      e->stats.late_ticks++;
      g_mutex_unlock(&e->lock);
    }
    gint64 cpu0 = thread_cpu_us();
    tick(e, g_get_monotonic_time());
    double used = (double)(thread_cpu_us() - cpu0);
    g_mutex_lock(&e->lock);
    /* smoothed over ~1 s, from the first tick's figure (not from 0) */
    e->stats.tick_cpu_us = e->stats.ticks <= 1 ? used : e->stats.tick_cpu_us * 0.98 + used * 0.02;
    g_mutex_unlock(&e->lock);
  }
  return NULL;
}

/* --- the main loop's side ------------------------------------------------ */

static gboolean
out_prepare(GSource *source, gint *timeout)
{
  AudioEngine *e = *(AudioEngine **)(source + 1);
  *timeout = -1;
  return audio_queue_length(e->out) > 0;
}

static gboolean
out_check(GSource *source)
{
  AudioEngine *e = *(AudioEngine **)(source + 1);
  return audio_queue_length(e->out) > 0;
}

static gboolean
out_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
  return callback(data);
}

static GSourceFuncs out_funcs = {out_prepare, out_check, out_dispatch, NULL, NULL, NULL};

static gboolean
drain_out(gpointer data)
{
  AudioEngine *e = data;
  uint8_t rtp[AUDIO_RTP_MAX];
  AudioQueueItem it;
  while (audio_queue_pop(e->out, &it, rtp, sizeof rtp))
    e->func(it.tag, rtp, it.len, e->user);
  return G_SOURCE_CONTINUE;
}

bool
audio_engine_product_level(AudioEngine *e, int product, AudioLevel *out)
{
  if (product < 0 || product >= AUDIO_MAX_PRODUCTS)
    return false;
  g_mutex_lock(&e->lock);
  *out = e->product_levels[product];
  g_mutex_unlock(&e->lock);
  return out->active;
}

bool
audio_engine_mic_level(AudioEngine *e, int mic, AudioLevel *out)
{
  if (mic < 0 || mic >= AUDIO_MAX_MICS)
    return false;
  g_mutex_lock(&e->lock);
  *out = e->mic_levels[mic];
  g_mutex_unlock(&e->lock);
  return out->active;
}

static double
latency_quantile(const guint32 *hist, double q)
{
  guint64 total = 0, seen = 0;
  for (int i = 0; i < LAT_BUCKETS; i++)
    total += hist[i];
  if (!total)
    return -1;
  for (int i = 0; i < LAT_BUCKETS; i++) {
    seen += hist[i];
    if ((double)seen >= q * (double)total)
      return i + 1; /* the bucket's upper edge, ms */
  }
  return LAT_BUCKETS;
}

void
audio_engine_stats(AudioEngine *e, AudioEngineStats *out)
{
  AudioVenueStats vs;
  audio_venue_stats(e->venue, &vs);
  g_mutex_lock(&e->lock);
  *out = e->stats;
  out->latency_p50_ms = latency_quantile(e->latency, 0.5);
  out->latency_p99_ms = latency_quantile(e->latency, 0.99);
  g_mutex_unlock(&e->lock);
  out->mic_dropped = audio_queue_dropped(e->mic_in);
  out->venue_underruns = vs.underruns;
}

static void
add_sim_booths(AudioEngine *e)
{
  for (char **s = e->cfg->sim_booths; *s; s++)
    engine_sim_start(e, *s);
}

AudioEngine *
audio_engine_new(const RelayConfig *cfg, GMainContext *ctx, AudioPacketFunc func, void *user,
                 GError **error)
{
  AudioEngine *e = g_new0(AudioEngine, 1);
  JitterConfig jc;

  e->cfg = cfg;
  e->ctx = g_main_context_ref(ctx);
  e->func = func;
  e->user = user;
  e->n_lang = g_strv_length(cfg->languages);
  g_mutex_init(&e->lock);
  e->cmds = g_async_queue_new();
  e->mic_in = audio_queue_new(MIC_QUEUE_SLOTS, AUDIO_RTP_MAX);
  e->out = audio_queue_new(OUT_QUEUE_SLOTS, AUDIO_RTP_MAX);
  e->bus = mix_bus_new(AUDIO_MAX_MICS + 1);
  /* a "speaker" of the bus: its mix-minus is the remote speakers alone (the PA) */
  e->venue_bus = mix_bus_add(e->bus, 1.0f, true);
  leveler_init(&e->leveler, cfg->floor_leveler, cfg->floor_loudness_dbfs);
  jitter_config_default(&jc);
  if (cfg->mic_jitter_ms > 0) { /* latency budget: the depth is most of mouth-to-ear here */
    jc.target_ms = (unsigned)cfg->mic_jitter_ms;
    jc.max_ms = jc.target_ms + 60;
  }
  for (int i = 0; i < AUDIO_MAX_MICS; i++) {
    int err = 0;
    e->mics[i].jb = jitter_new(&jc);
    e->mics[i].dec = opus_decoder_create(AUDIO_RATE, 1, &err);
    e->mics[i].booth = -1;
    level_init(&e->mics[i].level, LEVEL_DEFAULT_WINDOW_MS);
    if (!e->mics[i].jb || !e->mics[i].dec) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "audio engine: out of memory");
      goto fail;
    }
  }
  /* the fixed products: the floor, then a channel per language */
  e->products[AUDIO_PRODUCT_FLOOR] = (Product){.used = true, .kind = PRODUCT_FLOOR, .lowbw = -1};
  g_strlcpy(e->products[0].name, "floor", sizeof e->products[0].name);
  for (unsigned l = 0; l < e->n_lang; l++) {
    Product *p = &e->products[1 + l];
    *p = (Product){.used = true, .kind = PRODUCT_CHANNEL, .lowbw = -1, .mic = -1};
    g_snprintf(p->name, sizeof p->name, "channel:%s", cfg->languages[l]);
    /* its retours: "fr:en" lets booth fr work into channel en */
    const char *retour[BOOTH_MAX_RETOUR];
    size_t n_retour = 0;
    for (char **r = cfg->retour; *r && n_retour < BOOTH_MAX_RETOUR; r++) {
      const char *colon = strchr(*r, ':');
      if (colon && (size_t)(colon - *r) == strlen(cfg->languages[l]) &&
          strncmp(*r, cfg->languages[l], (size_t)(colon - *r)) == 0)
        retour[n_retour++] = colon + 1;
    }
    BoothConfig bc = {.lang = cfg->languages[l], .n_retour = n_retour};
    memcpy(bc.retour, retour, n_retour * sizeof *retour);
    e->booths[l] = booth_new(&bc);
    e->eng_booths[l] = booth_new(&bc);
    e->slot_mic[l][0] = e->slot_mic[l][1] = -1;
    if (!e->booths[l] || !e->eng_booths[l]) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "audio engine: booth %s",
                  cfg->languages[l]);
      goto fail;
    }
  }
  for (unsigned i = 0; i <= e->n_lang; i++)
    product_start(e, (int)i);
  if (!(e->venue = audio_venue_new(cfg, error)))
    goto fail;
  add_sim_booths(e);
  e->wakeup = g_source_new(&out_funcs, sizeof(GSource) + sizeof(AudioEngine *));
  *(AudioEngine **)(e->wakeup + 1) = e;
  g_source_set_callback(e->wakeup, drain_out, e, NULL);
  g_source_set_priority(e->wakeup, G_PRIORITY_HIGH);
  g_source_attach(e->wakeup, ctx);
  e->thread = g_thread_new("rostrum-audio", engine_thread, e);
  return e;

fail:
  audio_engine_free(e);
  return NULL;
}

void
audio_engine_free(AudioEngine *e)
{
  if (!e)
    return;
  if (e->thread) {
    g_atomic_int_set(&e->stop, 1);
    g_thread_join(e->thread);
  }
  if (e->wakeup) {
    g_source_destroy(e->wakeup);
    g_source_unref(e->wakeup);
  }
  audio_venue_free(e->venue);
  for (int i = 0; i < AUDIO_MAX_PRODUCTS; i++)
    product_stop(e, i);
  for (int i = 0; i < AUDIO_MAX_MICS; i++) {
    jitter_free(e->mics[i].jb);
    if (e->mics[i].dec)
      opus_decoder_destroy(e->mics[i].dec);
  }
  mix_bus_free(e->bus);
  for (unsigned l = 0; l < e->n_lang; l++) {
    booth_free(e->booths[l]);
    booth_free(e->eng_booths[l]);
  }
  Cmd *c;
  while ((c = g_async_queue_try_pop(e->cmds)))
    g_free(c);
  g_async_queue_unref(e->cmds);
  audio_queue_free(e->mic_in);
  audio_queue_free(e->out);
  g_mutex_clear(&e->lock);
  g_main_context_unref(e->ctx);
  g_free(e);
}
