/* SPDX-License-Identifier: Apache-2.0 */
/* The audio engine's CPU and latency (issue 18, "Benchmarks"): the real
 * AudioEngine (relay/audio/engine.c) with a RelayConfig made here, fed
 * from this main loop with one RTP packet per microphone every 20 ms (a
 * timerfd: the packets leave on time to the microsecond), the products
 * taken from its AudioPacketFunc as the fan-out would take them.
 *
 *   engine-bench [--only cpu|latency|micro] [--seconds S] [--warmup S]
 *                [--repeat R] [--phases P] [--lat-seconds S] [--jitter "20 40"]
 *                [--drift-ppm PPM] [--busy]
 *
 * cpu      Configurations of speakers on the floor (each: a decode, a place
 *          in the mix, a mix-minus encode), live booths (an interpreter's
 *          decode and its channel's encode) and interpreters who are not
 *          live (a decode only), R times each, interleaved; per run the
 *          engine thread's CPU per tick from the kernel (/proc schedstat
 *          of the thread over the window) and, for comparison, the
 *          engine's own tick_cpu_us at the end (an average over ~1 s that
 *          starts from 0 at the engine's start). Least squares of the
 *          medians against encoders, decoders and speakers gives the cost
 *          of each.
 * latency  A silent venue; speaker A sends 200 ms bursts of 1 kHz every
 *          500 ms, speaker B silence, interpreter F (booth fr, live) the
 *          same bursts 240 ms later. Each burst's onset is found in the
 *          decoded input (as the engine will see it) and in the decoded
 *          floor, B's mix-minus, channel fr (F) and channel es (the floor's
 *          packets forwarded). P runs per jitter depth, each with the
 *          packets arriving at another phase of the engine's 20 ms tick
 *          (0.5, 1.5, ... ms after it), since on loopback the phase is
 *          fixed for a run and sets the wait. --drift-ppm: the microphones'
 *          clock runs that much faster than the engine's (a sound card's
 *          crystal is typically within +-100 ppm). --busy: under the ITU
 *          case's load (ten speakers, five live booths; see latency_run).
 * micro    The per-frame steps alone (micro.c).
 * Prints Markdown tables; progress on stderr (ENGINE_BENCH_VERBOSE=1: every
 * onset). */
#include <errno.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <glib-unix.h>

#include "engine.h"
#include "micro.h"
#include "signal.h"

#define STREAM_FRAMES 500 /* 10 s of each microphone, looped */
#define STREAM_SAMPLES ((size_t)STREAM_FRAMES * AUDIO_FRAME)
#define MAX_SPEAKERS 10
#define N_LANG 6
#define MAX_BENCH_MICS (MAX_SPEAKERS + 2 * N_LANG)
#define FEED_RING 1024
#define BURST_PERIOD 25  /* frames: 500 ms */
#define BURST_LEN 10     /* 200 ms */
#define BURST_F_FIRST 12 /* F's bursts 240 ms after A's */
#define MAX_ONSETS 4096
#define TICK_US 20000

static const char *const languages[N_LANG + 1] = {"ar", "zh", "en", "fr", "ru", "es", NULL};
static const char *const no_strings[] = {NULL};
static double drift_ppm;       /* the senders' clock against the engine's: + is faster */
static bool busy;              /* latency under the ITU case's load */
static JitterStats jitter_sum; /* latency: the microphones' jitter buffers over a depth's runs */
#define BUSY_SPEAKERS 8        /* with A and B: ten on the floor */
#define BUSY_ROOM_DBFS (-60.0)

/* --- a run: one engine, its microphones, the products it watches -------- */

typedef struct {
  int id; /* engine mic */
  const SigStream *stream;
  const bool *onset_at;      /* latency: per stream packet, does a burst's onset decode in it */
  const unsigned *onset_off; /* and at which sample */
} BenchMic;

typedef struct {
  double audio_ms, packet_ms;
} Onset;

typedef struct {
  int product;
  const char *name;
  int src; /* index in Run.mics of the microphone whose bursts it carries */
  OpusDecoder *dec;
  SigOnset det;
  gint64 t_recv; /* the packet being scanned */
  Onset *onsets;
  unsigned n_onsets;
  unsigned packets;
} Watch;

typedef struct Run Run;
struct Run {
  RelayConfig cfg;
  AudioEngine *e;
  GMainLoop *loop;
  BenchMic mics[MAX_BENCH_MICS];
  unsigned n_mics;
  int tfd;
  guint tfd_src;
  uint64_t k; /* packets sent per microphone */
  gint64 feed_us[FEED_RING];
  gint64 measure_from; /* latency: onsets before this are warm-up */
  /* cpu */
  pid_t engine_tid;
  guint64 sched0_ns, ticks0;
  double rusage0_us;
  /* latency */
  Watch watches[4];
  unsigned n_watches;
  uint8_t floor_payload[AUDIO_MAX_PAYLOAD];
  size_t floor_len;
  gint64 floor_recv;
  gint64 own_us;   /* spent in on_packet since the floor's packet */
  int es_product;  /* channel es, forwarding the floor (latency runs), else -1 */
  double *pass_us; /* channel es's packet after the floor's, each tick */
  unsigned pass_n, pass_cap, pass_miss;
};

static void
config_init(RelayConfig *cfg, unsigned jitter_ms, bool silent_venue)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->floor_source = silent_venue ? FLOOR_SOURCE_PIPELINE : FLOOR_SOURCE_TONE;
  cfg->floor_tone_hz = 440;
  cfg->floor_file = (char *)"";
  cfg->floor_pipeline = (char *)"audiotestsrc wave=silence is-live=true samplesperbuffer=960";
  cfg->floor_bitrate = 32000;
  cfg->languages = (char **)languages;
  cfg->retour = (char **)no_strings;
  cfg->sim_booths = (char **)no_strings;
  cfg->channel_bitrate = 32000;
  cfg->lowbw_bitrate = 16000;
  cfg->opus_fec = TRUE;
  cfg->opus_dtx = FALSE;
  cfg->limiter_ceiling_db = -3.0;
  cfg->ramp_ms = 500;
  cfg->mic_jitter_ms = (int)jitter_ms;
  cfg->level_interval_ms = 1000;
}

static double
rusage_us(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The engine's thread ("rostrum-audio"), by its name. */
static pid_t
engine_tid(void)
{
  pid_t tid = 0;
  GDir *d = g_dir_open("/proc/self/task", 0, NULL);
  const char *name;
  while (d && !tid && (name = g_dir_read_name(d))) {
    g_autofree char *path = g_strdup_printf("/proc/self/task/%s/comm", name);
    g_autofree char *comm = NULL;
    if (g_file_get_contents(path, &comm, NULL, NULL) && g_str_has_prefix(comm, "rostrum-audio"))
      tid = (pid_t)atoi(name);
  }
  if (d)
    g_dir_close(d);
  return tid;
}

/* Nanoseconds the thread has run (schedstat's first field). */
static guint64
thread_sched_ns(pid_t tid)
{
  g_autofree char *path = g_strdup_printf("/proc/self/task/%d/schedstat", (int)tid);
  g_autofree char *text = NULL;
  if (!tid || !g_file_get_contents(path, &text, NULL, NULL))
    return 0;
  return g_ascii_strtoull(text, NULL, 10);
}

/* --- feeding ------------------------------------------------------------ */

static gboolean
on_feed(int fd, GIOCondition cond, gpointer data)
{
  Run *r = data;
  uint64_t expired = 0;
  uint8_t rtp[12 + AUDIO_MAX_PAYLOAD];
  if (read(fd, &expired, sizeof expired) != sizeof expired)
    return G_SOURCE_CONTINUE;
  for (uint64_t x = 0; x < expired; x++, r->k++) {
    r->feed_us[r->k % FEED_RING] = g_get_monotonic_time();
    for (unsigned i = 0; i < r->n_mics; i++) {
      size_t len = sig_stream_rtp(r->mics[i].stream, r->k, rtp, sizeof rtp);
      audio_engine_mic_packet(r->e, r->mics[i].id, rtp, len);
    }
  }
  return G_SOURCE_CONTINUE;
}

/* Packets from @start (monotonic µs), every 20 ms (by the senders' clock). */
static int
feed_start(Run *r, gint64 start)
{
  struct itimerspec its = {
      .it_interval = {0, (long)(TICK_US * 1000.0 * (1.0 - drift_ppm / 1e6))},
      .it_value = {(time_t)(start / G_USEC_PER_SEC), (long)(start % G_USEC_PER_SEC) * 1000L},
  };
  r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (r->tfd < 0 || timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
    return -errno;
  r->tfd_src = g_unix_fd_add_full(G_PRIORITY_HIGH, r->tfd, G_IO_IN, on_feed, r, NULL);
  return 0;
}

static void
feed_stop(Run *r)
{
  if (r->tfd_src)
    g_source_remove(r->tfd_src);
  if (r->tfd >= 0)
    close(r->tfd);
  r->tfd_src = 0;
  r->tfd = -1;
}

/* --- products ------------------------------------------------------------ */

typedef struct {
  Run *r;
  Watch *w;
} FoundCtx;

/* An onset in watch @w's decoded output: matched to the latest onset its
 * source microphone was fed (its bursts are 500 ms apart). */
static void
on_output_onset(uint64_t index, size_t offset, void *user)
{
  FoundCtx *fc = user;
  Run *r = fc->r;
  Watch *w = fc->w;
  const BenchMic *m = &r->mics[w->src];
  if (w->t_recv < r->measure_from || w->n_onsets >= MAX_ONSETS)
    return;
  for (uint64_t back = 1; back <= 2 * BURST_PERIOD && back <= r->k; back++) {
    uint64_t k = r->k - back;
    unsigned p = (unsigned)(k % m->stream->n);
    if (!m->onset_at[p])
      continue;
    gint64 fed = r->feed_us[k % FEED_RING];
    double in_ms = (double)fed / 1000.0 + m->onset_off[p] / (double)AUDIO_SAMPLES_PER_MS;
    double out_ms = (double)w->t_recv / 1000.0 + (double)offset / AUDIO_SAMPLES_PER_MS;
    w->onsets[w->n_onsets++] = (Onset){out_ms - in_ms, (double)(w->t_recv - fed) / 1000.0};
    if (getenv("ENGINE_BENCH_VERBOSE"))
      fprintf(stderr, "onset %s: packet %" G_GUINT64_FORMAT ", audio %.1f ms, packet %.1f ms\n",
              w->name, k, out_ms - in_ms, (double)(w->t_recv - fed) / 1000.0);
    return;
  }
}

static void
on_packet(int product, const uint8_t *rtp, size_t len, void *user)
{
  Run *r = user;
  gint64 now = g_get_monotonic_time();
  float pcm[AUDIO_FRAME];
  if (len <= 12)
    return;
  if (product == AUDIO_PRODUCT_FLOOR) {
    memcpy(r->floor_payload, rtp + 12, len - 12);
    r->floor_len = len - 12;
    r->floor_recv = now;
    r->own_us = 0;
  } else if (product == r->es_product && now >= r->measure_from) {
    /* a channel forwarding the floor: its packet of the same tick, less
     * the time this bench spent decoding the packets in between */
    if (r->floor_len == len - 12 && memcmp(r->floor_payload, rtp + 12, len - 12) == 0) {
      if (r->pass_n < r->pass_cap)
        r->pass_us[r->pass_n++] = (double)(now - r->floor_recv - r->own_us);
    } else {
      r->pass_miss++;
    }
  }
  for (unsigned i = 0; i < r->n_watches; i++) {
    Watch *w = &r->watches[i];
    if (w->product != product)
      continue;
    w->packets++;
    w->t_recv = now;
    int n = opus_decode_float(w->dec, rtp + 12, (opus_int32)(len - 12), pcm, AUDIO_FRAME, 0);
    FoundCtx fc = {r, w};
    if (n > 0)
      sig_onset_scan(&w->det, pcm, (size_t)n, on_output_onset, &fc);
  }
  r->own_us += g_get_monotonic_time() - now;
}

static gboolean
on_quit(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_REMOVE;
}

/* Runs the loop for @ms. */
static void
run_for(Run *r, unsigned ms)
{
  g_timeout_add(ms, on_quit, r->loop);
  g_main_loop_run(r->loop);
}

static int
run_open(Run *r, unsigned jitter_ms, bool silent_venue, GError **error)
{
  memset(r, 0, sizeof *r);
  r->tfd = -1;
  r->es_product = -1;
  config_init(&r->cfg, jitter_ms, silent_venue);
  r->loop = g_main_loop_new(NULL, FALSE);
  r->e = audio_engine_new(&r->cfg, g_main_context_default(), on_packet, r, error);
  return r->e ? 0 : -EIO;
}

static void
run_close(Run *r)
{
  feed_stop(r);
  audio_engine_free(r->e);
  /* what the engine queued for the loop before it stopped */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  for (unsigned i = 0; i < r->n_watches; i++) {
    if (r->watches[i].dec)
      opus_decoder_destroy(r->watches[i].dec);
    g_free(r->watches[i].onsets);
  }
  g_main_loop_unref(r->loop);
}

static int
add_mic(Run *r, const char *peer, const char *booth, const SigStream *s)
{
  int id = audio_engine_mic_add(r->e, peer, booth);
  if (id < 0)
    return id;
  r->mics[r->n_mics++] = (BenchMic){.id = id, .stream = s};
  return (int)r->n_mics - 1;
}

/* --- cpu ---------------------------------------------------------------- */

typedef struct {
  unsigned speakers, live, idle;
} CpuConfig;

typedef struct {
  double sched_us;     /* the engine thread's CPU per tick over the window, from the kernel */
  double tick_cpu_us;  /* the engine's own figure at the end (smoothed over ~1 s) */
  double process_us;   /* the whole process per tick: feeding, the venue's GStreamer */
  AudioEngineStats st; /* at the end */
} CpuResult;

static SigStream speech[MAX_BENCH_MICS];

static int
cpu_run(const CpuConfig *c, unsigned warmup_ms, unsigned measure_ms, CpuResult *out)
{
  Run r;
  g_autoptr(GError) error = NULL;
  char peer[32];
  if (run_open(&r, 20, false, &error) < 0) { /* the depth does not change the work */
    fprintf(stderr, "engine-bench: %s\n", error->message);
    return -EIO;
  }
  gint64 t0 = g_get_monotonic_time();
  unsigned v = 0;
  for (unsigned s = 0; s < c->speakers; s++) {
    g_snprintf(peer, sizeof peer, "speaker-%u", s);
    int i = add_mic(&r, peer, NULL, &speech[v++]);
    if (i < 0 || audio_engine_floor(r.e, r.mics[i].id, true) < 0)
      goto fail;
  }
  for (unsigned b = 0; b < c->live; b++) { /* booth b's first interpreter, live */
    g_snprintf(peer, sizeof peer, "interp-%s-1", languages[b]);
    int i = add_mic(&r, peer, languages[b], &speech[v++]);
    if (i < 0 || audio_engine_booth_live(r.e, languages[b], r.mics[i].id) < 0)
      goto fail;
  }
  for (unsigned j = 0; j < c->idle; j++) { /* the booths' free seats, in turn */
    unsigned booth = j % N_LANG, seat = (booth < c->live ? 1 : 0) + j / N_LANG;
    g_snprintf(peer, sizeof peer, "interp-%s-%u", languages[booth], seat + 1);
    if (add_mic(&r, peer, languages[booth], &speech[v++]) < 0)
      goto fail;
  }
  /* the packets at a random phase of the engine's tick */
  if (feed_start(&r, t0 + TICK_US + g_random_int_range(0, TICK_US)) < 0)
    goto fail;
  run_for(&r, warmup_ms);
  r.engine_tid = engine_tid();
  AudioEngineStats st;
  audio_engine_stats(r.e, &st);
  r.sched0_ns = thread_sched_ns(r.engine_tid);
  r.ticks0 = st.ticks;
  r.rusage0_us = rusage_us();
  run_for(&r, measure_ms);
  audio_engine_stats(r.e, &out->st);
  double ticks = (double)(out->st.ticks - r.ticks0);
  out->sched_us = (double)(thread_sched_ns(r.engine_tid) - r.sched0_ns) / 1000.0 / ticks;
  out->process_us = (rusage_us() - r.rusage0_us) / ticks;
  out->tick_cpu_us = out->st.tick_cpu_us;
  run_close(&r);
  return 0;

fail:
  fprintf(stderr, "engine-bench: could not set up %u speakers, %u live, %u idle\n", c->speakers,
          c->live, c->idle);
  run_close(&r);
  return -EIO;
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median(double *v, unsigned n)
{
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
quantile(double *v, unsigned n, double q)
{
  if (!n)
    return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  double pos = q * (n - 1);
  unsigned i = (unsigned)pos;
  return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* Least squares y = X b for @p columns by the normal equations (p <= 4).
 * Returns r². */
static double
least_squares(const double (*x)[4], const double *y, unsigned n, unsigned p, double *b)
{
  double a[4][5] = {{0}};
  for (unsigned i = 0; i < n; i++)
    for (unsigned j = 0; j < p; j++) {
      for (unsigned k = 0; k < p; k++)
        a[j][k] += x[i][j] * x[i][k];
      a[j][p] += x[i][j] * y[i];
    }
  for (unsigned j = 0; j < p; j++) { /* Gauss-Jordan, partial pivoting */
    unsigned piv = j;
    for (unsigned i = j + 1; i < p; i++)
      if (fabs(a[i][j]) > fabs(a[piv][j]))
        piv = i;
    for (unsigned k = 0; k <= p; k++) {
      double t = a[j][k];
      a[j][k] = a[piv][k];
      a[piv][k] = t;
    }
    for (unsigned i = 0; i < p; i++) {
      if (i == j || a[j][j] == 0)
        continue;
      double f = a[i][j] / a[j][j];
      for (unsigned k = j; k <= p; k++)
        a[i][k] -= f * a[j][k];
    }
  }
  double mean = 0, ss_tot = 0, ss_res = 0;
  for (unsigned j = 0; j < p; j++)
    b[j] = a[j][p] / a[j][j];
  for (unsigned i = 0; i < n; i++)
    mean += y[i] / n;
  for (unsigned i = 0; i < n; i++) {
    double fit = 0;
    for (unsigned j = 0; j < p; j++)
      fit += x[i][j] * b[j];
    ss_res += (y[i] - fit) * (y[i] - fit);
    ss_tot += (y[i] - mean) * (y[i] - mean);
  }
  return ss_tot > 0 ? 1 - ss_res / ss_tot : 1;
}

static const CpuConfig cpu_configs[] = {
    {0, 0, 0},  {1, 0, 0},  {4, 0, 0}, {10, 0, 0}, /* speakers on the floor */
    {0, 1, 0},  {0, 3, 0},  {0, 6, 0},             /* live booths */
    {0, 0, 6},  {0, 0, 12},                        /* interpreters, not live */
    {10, 6, 0}, {10, 6, 6},                        /* the ITU case; with the booths' partners */
};
#define N_CPU G_N_ELEMENTS(cpu_configs)

static void
print_loadavg(const char *when)
{
  g_autofree char *text = NULL;
  if (g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
    printf("\nLoad average %s: %s", when, text);
}

static int
bench_cpu(unsigned warmup_ms, unsigned measure_ms, unsigned repeat, const MicroResult *micro)
{
  double tick[N_CPU][16], sched[N_CPU][16], proc[N_CPU][16];
  AudioEngineStats last[N_CPU];
  double p50[N_CPU][16], p99[N_CPU][16];
  guint64 late[N_CPU] = {0}, dropped[N_CPU] = {0}, underruns[N_CPU] = {0};
  repeat = MIN(repeat, 16u);
  print_loadavg("before the cpu runs");
  for (unsigned rep = 0; rep < repeat; rep++)
    for (unsigned i = 0; i < N_CPU; i++) {
      CpuResult res;
      if (cpu_run(&cpu_configs[i], warmup_ms, measure_ms, &res) < 0)
        return -EIO;
      tick[i][rep] = res.tick_cpu_us;
      sched[i][rep] = res.sched_us;
      proc[i][rep] = res.process_us;
      p50[i][rep] = res.st.latency_p50_ms;
      p99[i][rep] = res.st.latency_p99_ms;
      late[i] += res.st.late_ticks;
      dropped[i] += res.st.mic_dropped + res.st.out_dropped;
      underruns[i] += res.st.venue_underruns;
      last[i] = res.st;
      fprintf(stderr,
              "cpu %u/%u: %u speakers, %u live, %u idle: %.1f µs/tick (engine), %.1f (thread)\n",
              rep + 1, repeat, cpu_configs[i].speakers, cpu_configs[i].live, cpu_configs[i].idle,
              res.tick_cpu_us, res.sched_us);
    }

  print_loadavg("after them");
  double med_tick[N_CPU], med_sched[N_CPU], med_proc[N_CPU];
  printf("\n### Engine thread CPU per tick (20 ms), median of %u runs of %.0f s\n\n", repeat,
         measure_ms / 1000.0);
  printf("| speakers on the floor | live booths | interpreters not live | encoders | decoders | "
         "engine thread µs/tick | share of a core | tick_cpu_us (engine, at the end) | "
         "process µs/tick | engine latency p50 / p99 ms (each run) | "
         "late ticks, queue drops, venue underruns |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (unsigned i = 0; i < N_CPU; i++) {
    const CpuConfig *c = &cpu_configs[i];
    GString *lat = g_string_new(NULL);
    for (unsigned rep = 0; rep < repeat; rep++)
      g_string_append_printf(lat, "%s%.0f / %.0f", rep ? ", " : "", p50[i][rep], p99[i][rep]);
    med_tick[i] = median(tick[i], repeat);
    med_sched[i] = median(sched[i], repeat);
    med_proc[i] = median(proc[i], repeat);
    printf("| %u | %u | %u | %u | %u | %.0f | %.2f %% | %.0f | %.0f | %s | %" G_GUINT64_FORMAT
           ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " |\n",
           c->speakers, c->live, c->idle, last[i].encoders, last[i].decoders, med_sched[i],
           100.0 * med_sched[i] / TICK_US, med_tick[i], med_proc[i], lat->str, late[i], dropped[i],
           underruns[i]);
    g_string_free(lat, TRUE);
  }

  /* y = c0 + e·encoders + d·decoders + s·speakers */
  double x[N_CPU][4], b_sched[4], b_tick[4];
  for (unsigned i = 0; i < N_CPU; i++) {
    x[i][0] = 1;
    x[i][1] = 1 + cpu_configs[i].speakers + cpu_configs[i].live;
    x[i][2] = cpu_configs[i].speakers + cpu_configs[i].live + cpu_configs[i].idle;
    x[i][3] = cpu_configs[i].speakers;
  }
  double r2_sched = least_squares((const double(*)[4])x, med_sched, N_CPU, 4, b_sched);
  double r2_tick = least_squares((const double(*)[4])x, med_tick, N_CPU, 4, b_tick);
  printf("\n### Least squares over the %zu configurations: CPU per tick = c0 + e·encoders + "
         "d·decoders + s·speakers\n\n",
         N_CPU);
  printf("| from | c0 µs | e: per product encode µs | d: per decoded microphone µs | s: per "
         "speaker in the mix µs | per live speaker (d + s + e) µs | per live booth (d + e) µs | "
         "r² |\n");
  printf("|---|---|---|---|---|---|---|---|\n");
  const char *names[2] = {"engine thread (kernel)", "tick_cpu_us (engine)"};
  const double *bs[2] = {b_sched, b_tick};
  const double r2s[2] = {r2_sched, r2_tick};
  for (unsigned f = 0; f < 2; f++)
    printf("| %s | %.0f | **%.0f** | %.0f | %.0f | **%.0f** | %.0f | %.4f |\n", names[f], bs[f][0],
           bs[f][1], bs[f][2], bs[f][3], bs[f][1] + bs[f][2] + bs[f][3], bs[f][1] + bs[f][2],
           r2s[f]);

  /* the speakers alone: slope over M = 0, 1, 4, 10 */
  double xm[4][4], ym[4], bm[4];
  for (unsigned i = 0; i < 4; i++) {
    xm[i][0] = 1;
    xm[i][1] = cpu_configs[i].speakers;
    ym[i] = med_sched[i];
  }
  double r2m = least_squares((const double(*)[4])xm, ym, 4, 2, bm);
  printf("\n### Per live microphone on the floor (decode + mix + its mix-minus encode), engine "
         "thread\n\n");
  printf("| speakers | µs/tick | above none µs | per speaker µs | share of a core per speaker |\n"
         "|---|---|---|---|---|\n");
  for (unsigned i = 1; i < 4; i++) {
    double per = (med_sched[i] - med_sched[0]) / cpu_configs[i].speakers;
    printf("| %u | %.0f | %.0f | %.0f | %.2f %% |\n", cpu_configs[i].speakers, med_sched[i],
           med_sched[i] - med_sched[0], per, 100 * per / TICK_US);
  }
  printf("| slope 0–10 | | | **%.0f** (r² %.4f) | %.2f %% |\n", bm[1], r2m, 100 * bm[1] / TICK_US);

  double pred = b_sched[0] + b_sched[1] * 17 + b_sched[2] * 16 + b_sched[3] * 10;
  printf("\n### The ITU case: 10 speakers on the floor, 6 live booths\n\n");
  printf("| | µs/tick | share of one core |\n|---|---|---|\n");
  printf("| engine thread, measured | %.0f | **%.1f %%** |\n", med_sched[N_CPU - 2],
         100 * med_sched[N_CPU - 2] / TICK_US);
  printf("| engine thread, with the 6 booth partners connected (decoded, not live) | %.0f | "
         "%.1f %% |\n",
         med_sched[N_CPU - 1], 100 * med_sched[N_CPU - 1] / TICK_US);
  printf("| engine thread, from the fit | %.0f | %.1f %% |\n", pred, 100 * pred / TICK_US);
  printf("| tick_cpu_us (engine), measured | %.0f | %.1f %% |\n", med_tick[N_CPU - 2],
         100 * med_tick[N_CPU - 2] / TICK_US);
  printf("| whole process (+ feeding, venue pipeline), measured | %.0f | %.1f %% |\n",
         med_proc[N_CPU - 2], 100 * med_proc[N_CPU - 2] / TICK_US);
  if (micro)
    printf("\nA product encode from the per-frame steps (hot cache): limiter %.1f (speech) / %.1f "
           "(limiting), meter %.1f, Opus %.1f µs: %.0f µs, against e = %.0f µs in the engine.\n",
           micro->limiter_speech, micro->limiter_loud, micro->level, micro->encode_speech,
           micro->limiter_speech + micro->level + micro->encode_speech, b_sched[1]);
  return 0;
}

/* --- latency -------------------------------------------------------------- */

static SigStream burst_a, burst_f, silence_b, room[BUSY_SPEAKERS];
static bool onset_at_a[STREAM_FRAMES], onset_at_f[STREAM_FRAMES];
static unsigned onset_off_a[STREAM_FRAMES], onset_off_f[STREAM_FRAMES];

typedef struct {
  bool *at;
  unsigned *off;
} MarkCtx;

static void
mark_onset(uint64_t index, size_t offset, void *user)
{
  MarkCtx *m = user;
  unsigned p = (unsigned)(index / AUDIO_FRAME);
  if (p < STREAM_FRAMES) {
    m->at[p] = true;
    m->off[p] = (unsigned)(index % AUDIO_FRAME);
  }
}

/* Where the onsets decode in the stream as sent (the speaker's own
 * encoder's look-ahead puts them ~6.5 ms into their packet): twice round
 * the loop, the second time as the engine will decode it, warm. */
static int
mark_onsets(const SigStream *s, bool *at, unsigned *off)
{
  int err = 0;
  float pcm[AUDIO_FRAME];
  OpusDecoder *dec = opus_decoder_create(AUDIO_RATE, 1, &err);
  SigOnset det;
  if (!dec)
    return -ENOMEM;
  sig_onset_init(&det);
  for (unsigned lap = 0; lap < 2; lap++)
    for (unsigned p = 0; p < s->n; p++) {
      int n = opus_decode_float(dec, s->data[p], (opus_int32)s->len[p], pcm, AUDIO_FRAME, 0);
      MarkCtx m = {at, off};
      if (lap == 1 && n > 0)
        det.pos = (uint64_t)p * AUDIO_FRAME; /* index within the loop */
      if (n > 0)
        sig_onset_scan(&det, pcm, (size_t)n, lap ? mark_onset : NULL, &m);
    }
  opus_decoder_destroy(dec);
  return 0;
}

typedef struct {
  double *audio, *packet;
  unsigned n;
} Pool;

static int
latency_run(unsigned jitter_ms, double phase_ms, unsigned measure_ms, Pool pools[4],
            double *eng_p50, double *eng_p99, double *tick_cpu, Pool *pass, unsigned counts[4])
{
  Run r;
  g_autoptr(GError) error = NULL;
  int err = 0;
  if (run_open(&r, jitter_ms, true, &error) < 0) {
    fprintf(stderr, "engine-bench: %s\n", error->message);
    return -EIO;
  }
  gint64 t0 = g_get_monotonic_time(); /* the engine's ticks: t0 + 20 ms k, give or take 0.1 ms */
  int a = add_mic(&r, "speaker-a", NULL, &burst_a);
  int b = add_mic(&r, "speaker-b", NULL, &silence_b);
  int f = add_mic(&r, "interp-fr-1", "fr", &burst_f);
  if (a < 0 || b < 0 || f < 0)
    goto fail;
  r.mics[a].onset_at = onset_at_a;
  r.mics[a].onset_off = onset_off_a;
  r.mics[f].onset_at = onset_at_f;
  r.mics[f].onset_off = onset_off_f;
  int minus_b;
  if (audio_engine_floor(r.e, r.mics[a].id, true) < 0)
    goto fail;
  /* --busy: eight more speakers (open microphones in a quiet room, under
   * the onset threshold even summed) and four more live booths, so that B's
   * mix-minus, granted last, is the tick's last encode, and channel es
   * forwards after five channel encodes */
  static const char *const busy_booths[] = {"ar", "zh", "en", "ru"};
  for (unsigned s = 0; busy && s < BUSY_SPEAKERS + G_N_ELEMENTS(busy_booths); s++) {
    char peer[32];
    bool speaker = s < BUSY_SPEAKERS;
    const char *booth = speaker ? NULL : busy_booths[s - BUSY_SPEAKERS];
    if (speaker)
      g_snprintf(peer, sizeof peer, "speaker-%u", s);
    else
      g_snprintf(peer, sizeof peer, "interp-%s-1", booth);
    int i = add_mic(&r, peer, booth, speaker ? &room[s] : &speech[s]);
    if (i < 0 || (speaker ? audio_engine_floor(r.e, r.mics[i].id, true)
                          : audio_engine_booth_live(r.e, booth, r.mics[i].id)) < 0)
      goto fail;
  }
  if ((minus_b = audio_engine_floor(r.e, r.mics[b].id, true)) < 0 ||
      audio_engine_booth_live(r.e, "fr", r.mics[f].id) < 0)
    goto fail;
  const struct {
    int product;
    const char *name;
    int src;
  } w[4] = {
      {AUDIO_PRODUCT_FLOOR, "floor", a},
      {minus_b, "B's mix-minus", a},
      {audio_engine_channel(r.e, "fr"), "channel fr", f},
      {audio_engine_channel(r.e, "es"), "channel es", a},
  };
  for (unsigned i = 0; i < 4; i++) {
    Watch *wt = &r.watches[r.n_watches++];
    *wt = (Watch){.product = w[i].product, .name = w[i].name, .src = w[i].src};
    wt->dec = opus_decoder_create(AUDIO_RATE, 1, &err);
    wt->onsets = g_new(Onset, MAX_ONSETS);
    sig_onset_init(&wt->det);
    if (!wt->dec)
      goto fail;
  }
  r.measure_from = t0 + 1000 * 1000;
  r.es_product = audio_engine_channel(r.e, "es");
  r.pass_us = pass->audio + pass->n;
  r.pass_cap = measure_ms / 20 + 50;
  if (feed_start(&r, t0 + 2 * TICK_US + (gint64)(phase_ms * 1000)) < 0)
    goto fail;
  run_for(&r, 1000 + measure_ms);
  AudioEngineStats st;
  audio_engine_stats(r.e, &st);
  *eng_p50 = st.latency_p50_ms;
  *eng_p99 = st.latency_p99_ms;
  *tick_cpu = st.tick_cpu_us;
  for (unsigned i = 0; i < 4; i++) {
    Watch *wt = &r.watches[i];
    counts[i] = wt->n_onsets;
    for (unsigned j = 0; j < wt->n_onsets; j++) {
      pools[i].audio[pools[i].n] = wt->onsets[j].audio_ms;
      pools[i].packet[pools[i].n++] = wt->onsets[j].packet_ms;
    }
  }
  pass->n += r.pass_n;
  if (r.pass_miss)
    fprintf(stderr, "latency: %u channel es packets were not the floor's\n", r.pass_miss);
  if (st.late_ticks || st.mic_dropped || st.out_dropped)
    fprintf(stderr, "latency: late ticks %" G_GUINT64_FORMAT ", drops %" G_GUINT64_FORMAT "\n",
            st.late_ticks, st.mic_dropped + st.out_dropped);
  jitter_sum.drained += st.jitter.drained;
  jitter_sum.late += st.jitter.late;
  jitter_sum.plc += st.jitter.plc;
  jitter_sum.dropped += st.jitter.dropped;
  run_close(&r);
  return 0;

fail:
  fprintf(stderr, "engine-bench: latency set-up failed\n");
  run_close(&r);
  return -EIO;
}

static int
bench_latency(const unsigned *depths, unsigned n_depths, unsigned phases, unsigned measure_ms)
{
  const char *names[4] = {"floor (A)", "B's mix-minus (A)", "channel fr (interpreter F)",
                          "channel es (the floor's packets forwarded)"};
  print_loadavg("before the latency runs");
  printf("\n### Microphone packet in → product packet out (loopback, no network jitter), %u "
         "phases × %.0f s per depth, senders' clock %+.0f ppm%s\n\n",
         phases, measure_ms / 1000.0, drift_ppm,
         busy ? ", with the ITU load (10 speakers, 5 live booths)" : "");
  printf("| jitter target (mic_jitter_ms) | product | onsets | audio p50 / p99 / max ms | "
         "packet p50 / p99 ms | engine's histogram p50 / p99 ms (range over the runs) |\n");
  printf("|---|---|---|---|---|---|\n");
  g_autoptr(GString) notes = g_string_new(NULL);
  for (unsigned d = 0; d < n_depths; d++) {
    Pool pools[4];
    unsigned cap = phases * (measure_ms / 500 + 2);
    for (unsigned i = 0; i < 4; i++)
      pools[i] = (Pool){g_new(double, cap * 2), g_new(double, cap * 2), 0};
    unsigned pass_cap = phases * (measure_ms / 20 + 50);
    Pool pass = {g_new(double, pass_cap), NULL, 0};
    double p50_lo = INFINITY, p50_hi = -INFINITY, p99_lo = INFINITY, p99_hi = -INFINITY;
    double cpu_sum = 0;
    for (unsigned ph = 0; ph < phases; ph++) {
      double eng50, eng99;
      unsigned counts[4];
      double phase_ms = (ph + 0.5) * 20.0 / phases;
      double cpu;
      if (latency_run(depths[d], phase_ms, measure_ms, pools, &eng50, &eng99, &cpu, &pass, counts) <
          0)
        return -EIO;
      cpu_sum += cpu;
      p50_lo = MIN(p50_lo, eng50);
      p50_hi = MAX(p50_hi, eng50);
      p99_lo = MIN(p99_lo, eng99);
      p99_hi = MAX(p99_hi, eng99);
      fprintf(stderr,
              "latency %u ms, phase %.1f ms: onsets %u %u %u %u, engine p50/p99 %.0f/%.0f\n",
              depths[d], phase_ms, counts[0], counts[1], counts[2], counts[3], eng50, eng99);
    }
    fprintf(stderr,
            "latency %u ms: microphones' jitter buffers over the runs: drained %" G_GUINT64_FORMAT
            ", late %" G_GUINT64_FORMAT ", concealed %" G_GUINT64_FORMAT
            ", dropped %" G_GUINT64_FORMAT "\n",
            depths[d], jitter_sum.drained, jitter_sum.late, jitter_sum.plc, jitter_sum.dropped);
    g_string_append_printf(notes,
                           "\nJitter buffers at %u ms over the runs: %" G_GUINT64_FORMAT
                           " drained, %" G_GUINT64_FORMAT " late, %" G_GUINT64_FORMAT
                           " concealed.\n",
                           depths[d], jitter_sum.drained, jitter_sum.late, jitter_sum.plc);
    jitter_sum = (JitterStats){0};
    for (unsigned i = 0; i < 4; i++) {
      Pool *p = &pools[i];
      double a50 = quantile(p->audio, p->n, 0.5), a99 = quantile(p->audio, p->n, 0.99);
      double amax = p->n ? p->audio[p->n - 1] : NAN;
      double k50 = quantile(p->packet, p->n, 0.5), k99 = quantile(p->packet, p->n, 0.99);
      g_autofree char *eng = i == 0
                                 ? g_strdup_printf("%.0f–%.0f / %.0f–%.0f (tick_cpu_us %.0f)",
                                                   p50_lo, p50_hi, p99_lo, p99_hi, cpu_sum / phases)
                                 : g_strdup("");
      printf("| %u | %s | %u | %.1f / %.1f / %.1f | %.1f / %.1f | %s |\n", depths[d], names[i],
             p->n, a50, a99, amax, k50, k99, eng);
      g_free(p->audio);
      g_free(p->packet);
    }
    double pass50 = quantile(pass.audio, pass.n, 0.5), pass99 = quantile(pass.audio, pass.n, 0.99);
    printf("| %u | passthrough: channel es's packet after the floor's of the same tick | %u "
           "packets | p50 %.2f / p99 %.2f / max %.2f ms | | |\n",
           depths[d], pass.n, pass50 / 1000, pass99 / 1000,
           pass.n ? pass.audio[pass.n - 1] / 1000 : NAN);
    g_free(pass.audio);
  }
  fputs(notes->str, stdout);
  return 0;
}

/* --- main ---------------------------------------------------------------- */

static void
print_micro(const MicroResult *m, unsigned frames)
{
  printf("\n### Per-frame steps alone (hot cache, least of 3 loops of %u frames)\n\n", frames);
  printf("| step | µs per 20 ms frame |\n|---|---|\n");
  printf("| limiter, speech under the ceiling | %.2f |\n", m->limiter_speech);
  printf("| limiter, limiting every frame | %.2f |\n", m->limiter_loud);
  printf("| level meter (4× true peak) | %.2f |\n", m->level);
  printf("| Opus encode (stream.c's settings), one voice | %.2f |\n", m->encode_speech);
  printf("| Opus encode, ten voices mixed | %.2f |\n", m->encode_mix10);
  printf("| Opus encode, the 440 Hz venue tone | %.2f |\n", m->encode_tone);
  printf("| audio_stream_encode (limiter + meter + Opus + RTP), one voice | %.2f |\n",
         m->stream_encode);
  printf("| Opus decode, a browser-like 32 kb/s packet | %.2f |\n", m->decode);
  printf("| jitter buffer push + pop | %.2f |\n", m->jitter);
  printf("| mix bus, venue only | %.2f |\n", m->mix_base);
  printf("| mix bus, per speaker (slope 0-10) | %.2f |\n", m->mix_per_speaker);
}

int
main(int argc, char **argv)
{
  const char *only = NULL;
  unsigned seconds = 10, warmup = 2, repeat = 3, phases = 20, lat_seconds = 5;
  unsigned depths[4] = {20, 40}, n_depths = 2, micro_frames = 5000;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
      warmup = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--phases") && i + 1 < argc)
      phases = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--lat-seconds") && i + 1 < argc)
      lat_seconds = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--busy"))
      busy = true;
    else if (!strcmp(argv[i], "--drift-ppm") && i + 1 < argc)
      drift_ppm = g_ascii_strtod(argv[++i], NULL);
    else if (!strcmp(argv[i], "--jitter") && i + 1 < argc) {
      g_auto(GStrv) v = g_strsplit_set(argv[++i], " ,", -1);
      n_depths = 0;
      for (char **s = v; *s && n_depths < 4; s++)
        if (**s)
          depths[n_depths++] = (unsigned)atoi(*s);
    } else {
      fprintf(stderr, "usage: engine-bench [--only cpu|latency|micro] [--seconds S] [--warmup S] "
                      "[--repeat R] [--phases P] [--lat-seconds S] [--jitter \"20 40\"] "
                      "[--drift-ppm PPM] [--busy]\n");
      return 2;
    }
  }
  if (!seconds || !repeat || !phases || !lat_seconds || !n_depths) {
    fprintf(stderr, "engine-bench: counts must be positive\n");
    return 2;
  }
  gst_init(NULL, NULL);

  MicroResult micro;
  bool have_micro = false;
  if (!only || !strcmp(only, "micro")) {
    if (micro_run(micro_frames, 3, &micro) < 0)
      return 1;
    have_micro = true;
    print_micro(&micro, micro_frames);
  }

  if (!only || !strcmp(only, "cpu")) {
    float *pcm = g_new(float, STREAM_SAMPLES);
    for (unsigned v = 0; v < MAX_BENCH_MICS; v++) {
      sig_speech(pcm, STREAM_FRAMES, v);
      if (sig_stream_encode(&speech[v], pcm, STREAM_FRAMES, 0x5000 + v) < 0)
        return 1;
    }
    g_free(pcm);
    if (bench_cpu(warmup * 1000, seconds * 1000, repeat, have_micro ? &micro : NULL) < 0)
      return 1;
  }

  if (!only || !strcmp(only, "latency")) {
    float *pcm = g_new(float, STREAM_SAMPLES);
    for (unsigned v = 0; busy && v < BUSY_SPEAKERS; v++) {
      sig_noise(pcm, STREAM_FRAMES, BUSY_ROOM_DBFS, v);
      if (sig_stream_encode(&room[v], pcm, STREAM_FRAMES, 0x6000 + v) < 0)
        return 1;
    }
    for (unsigned v = 0; busy && v < MAX_BENCH_MICS && !speech[v].n; v++) {
      sig_speech(pcm, STREAM_FRAMES, v);
      if (sig_stream_encode(&speech[v], pcm, STREAM_FRAMES, 0x5000 + v) < 0)
        return 1;
    }
    sig_bursts(pcm, STREAM_FRAMES, BURST_PERIOD, 0, BURST_LEN);
    if (sig_stream_encode(&burst_a, pcm, STREAM_FRAMES, 0xA) < 0)
      return 1;
    sig_bursts(pcm, STREAM_FRAMES, BURST_PERIOD, BURST_F_FIRST, BURST_LEN);
    if (sig_stream_encode(&burst_f, pcm, STREAM_FRAMES, 0xF) < 0)
      return 1;
    memset(pcm, 0, STREAM_SAMPLES * sizeof *pcm);
    if (sig_stream_encode(&silence_b, pcm, STREAM_FRAMES, 0xB) < 0)
      return 1;
    g_free(pcm);
    if (mark_onsets(&burst_a, onset_at_a, onset_off_a) < 0 ||
        mark_onsets(&burst_f, onset_at_f, onset_off_f) < 0)
      return 1;
    if (bench_latency(depths, n_depths, phases, lat_seconds * 1000) < 0)
      return 1;
  }
  return 0;
}
