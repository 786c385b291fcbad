/* SPDX-License-Identifier: Apache-2.0 */
/* The limiter, chosen by measurement: the same signals through Rostrum's C
 * limiter (relay/audio/limiter.c) and through the limiters Debian 12 ships
 * (LSP Limiter Mono and x42-dpl as LV2, swh's fast lookahead limiter as
 * LADSPA) driven through GStreamer 1.22, plus x42-dpl hosted directly
 * (dlopen, the LV2 ABI) to show why it passes audio through under
 * GStreamer. For each: sample peak and 4x true peak of the output, the gain
 * change on a speech-level signal, the latency, and the CPU per second of
 * audio (process CPU time, every thread; GStreamer ones net of an identity
 * element driven the same way).
 *
 *   limiter-bench [--seconds S] [--repeat R] [--speech FILE.f32] [--element DESC]
 *
 * The CPU figures are the least of R runs (the machine is shared).
 * --element: measure only that mono element (gst-launch syntax) instead of
 * the list, e.g. to try other settings of a plugin.
 * FILE.f32: raw mono float 48 kHz speech (benchmarks/limiter/compare.sh
 * makes one with espeak-ng); it is scaled to -23 dBFS RMS and looped.
 * Prints a Markdown table. */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include "level.h"
#include "limiter.h"

#define CEILING_DB (-3.0)
#define SPEECH_RMS_DB (-23.0)
#define CAPS_MONO "audio/x-raw,format=F32LE,rate=48000,channels=1,layout=interleaved"
#define CAPS_STEREO                                                                                \
  "audio/x-raw,format=F32LE,rate=48000,channels=2,layout=interleaved,channel-mask=(bitmask)0x3"

/* ---- the LV2 ABI, as lv2core/lv2.h, urid.h and atom.h define it ---- */
typedef void *LV2_Handle;
typedef struct {
  const char *URI;
  void *data;
} LV2_Feature;
typedef struct LV2_Descriptor {
  const char *URI;
  LV2_Handle (*instantiate)(const struct LV2_Descriptor *d, double rate, const char *bundle,
                            const LV2_Feature *const *features);
  void (*connect_port)(LV2_Handle h, uint32_t port, void *data);
  void (*activate)(LV2_Handle h);
  void (*run)(LV2_Handle h, uint32_t n);
  void (*deactivate)(LV2_Handle h);
  void (*cleanup)(LV2_Handle h);
  const void *(*extension_data)(const char *uri);
} LV2_Descriptor;
typedef struct {
  void *handle;
  uint32_t (*map)(void *handle, const char *uri);
} LV2_URID_Map;
typedef struct {
  uint32_t size, type;
} LV2_Atom;
typedef struct {
  LV2_Atom atom;
  uint32_t unit, pad;
} LV2_Atom_Sequence;

/* ---- signals ---- */
typedef struct {
  const char *name;
  float *x;
  size_t n;
  size_t settle; /* measure "settled" peaks from here */
} Signal;

static void
bench_square(float *x, size_t n, unsigned half_period)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (i / half_period) % 2 ? -1.0f : 1.0f;
}

static double
bench_rms_db(const float *x, size_t n)
{
  double sq = 0.0;
  for (size_t i = 0; i < n; i++)
    sq += (double)x[i] * (double)x[i];
  return level_to_dbfs(sqrt(sq / (double)n));
}

static void
bench_scale_to(float *x, size_t n, double rms_db)
{
  double scale = pow(10.0, (rms_db - bench_rms_db(x, n)) / 20.0);
  for (size_t i = 0; i < n; i++)
    x[i] = (float)(x[i] * scale);
}

/* The unit test's voice-like signal: 140 Hz harmonics, syllable envelope. */
static void
bench_speech(float *x, size_t n)
{
  double phase[12];
  uint32_t seed = 12345;
  for (unsigned k = 0; k < 12; k++) {
    seed = seed * 1664525u + 1013904223u;
    phase[k] = 2.0 * M_PI * (double)(seed >> 8) / 16777216.0;
  }
  double theta = 0.0;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / AUDIO_RATE;
    double f0 = 140.0 * (1.0 + 0.08 * sin(2.0 * M_PI * 0.7 * t));
    theta += 2.0 * M_PI * f0 / AUDIO_RATE;
    double env = 0.3 + 0.7 * (0.5 + 0.5 * sin(2.0 * M_PI * 4.0 * t));
    double v = 0.0;
    for (unsigned k = 1; k <= 12; k++)
      v += sin((double)k * theta + phase[k - 1]) / (double)k;
    x[i] = (float)(env * v);
  }
  bench_scale_to(x, n, SPEECH_RMS_DB);
}

static int
bench_load_speech(const char *path, float *x, size_t n)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -errno;
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  size_t len = (size_t)bytes / sizeof(float);
  if (len < AUDIO_RATE || len > n)
    len = len > n ? n : len;
  if (len < AUDIO_FRAME || fread(x, sizeof(float), len, f) != len) {
    fclose(f);
    return -EINVAL;
  }
  fclose(f);
  bench_scale_to(x, len, SPEECH_RMS_DB);
  for (size_t i = len; i < n; i++)
    x[i] = x[i % len];
  return 0;
}

/* ---- contenders ---- */
typedef enum { RUN_ROSTRUM, RUN_HARNESS, RUN_PIPELINE, RUN_LV2 } RunKind;

typedef struct {
  const char *name;
  RunKind kind;
  const char *element;  /* gst-launch description of the element */
  unsigned channels;    /* 2: swh is stereo only; fed the mono twice */
  const char *baseline; /* the identity run its CPU is net of */
  bool x42_atoms;       /* RUN_LV2: connect x42-dpl's atom ports */
} Contender;

typedef struct {
  double cpu_s;   /* process CPU for the run */
  double wall_s;  /* wall clock */
  double latency; /* declared by the element, samples; NAN if none */
} RunStats;

static double
bench_now(clockid_t clk)
{
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
bench_mono_to_buf(GstBuffer *buf, const float *x, unsigned channels)
{
  GstMapInfo m;
  gst_buffer_map(buf, &m, GST_MAP_WRITE);
  float *d = (float *)m.data;
  for (size_t i = 0; i < AUDIO_FRAME; i++)
    for (unsigned c = 0; c < channels; c++)
      d[i * channels + c] = x[i];
  gst_buffer_unmap(buf, &m);
}

/* Appends @buf's first channel to @out at *@pos. */
static void
bench_buf_to_mono(GstBuffer *buf, float *out, size_t *pos, size_t n, unsigned channels)
{
  GstMapInfo m;
  gst_buffer_map(buf, &m, GST_MAP_READ);
  const float *d = (const float *)m.data;
  size_t frames = m.size / (sizeof(float) * channels);
  for (size_t i = 0; i < frames && *pos < n; i++)
    out[(*pos)++] = d[i * channels];
  gst_buffer_unmap(buf, &m);
}

static double
bench_latency_prop(GstElement *e)
{
  GParamSpec *ps;
  const char *names[] = {"out-latency", "latency"};
  for (unsigned k = 0; k < 2; k++) {
    ps = g_object_class_find_property(G_OBJECT_GET_CLASS(e), names[k]);
    if (!ps)
      continue;
    if (ps->value_type == G_TYPE_INT) {
      int v;
      g_object_get(e, names[k], &v, NULL);
      return v;
    }
    if (ps->value_type == G_TYPE_FLOAT) {
      float v;
      g_object_get(e, names[k], &v, NULL);
      return v;
    }
  }
  return NAN;
}

/* The engine's way: one frame in, one frame out, in the caller's thread
 * (GstHarness pushes on the element's sink pad; no pipeline thread). */
static int
run_harness(const Contender *c, const float *in, float *out, size_t n, RunStats *st)
{
  GstHarness *h = gst_harness_new_parse(c->element);
  if (!h)
    return -EINVAL;
  gst_harness_set_src_caps_str(h, c->channels == 2 ? CAPS_STEREO : CAPS_MONO);
  size_t pos = 0;
  gsize bytes = AUDIO_FRAME * c->channels * sizeof(float);
  double c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID), w0 = bench_now(CLOCK_MONOTONIC);
  for (size_t off = 0; off + AUDIO_FRAME <= n; off += AUDIO_FRAME) {
    GstBuffer *buf = gst_buffer_new_allocate(NULL, bytes, NULL);
    bench_mono_to_buf(buf, in + off, c->channels);
    if (gst_harness_push(h, buf) != GST_FLOW_OK)
      break;
    GstBuffer *o;
    while ((o = gst_harness_try_pull(h))) {
      bench_buf_to_mono(o, out, &pos, n, c->channels);
      gst_buffer_unref(o);
    }
  }
  st->cpu_s = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
  st->wall_s = bench_now(CLOCK_MONOTONIC) - w0;
  st->latency = NAN;
  if (GST_IS_BIN(h->element)) {
    GstIterator *it = gst_bin_iterate_elements(GST_BIN(h->element));
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
      st->latency = bench_latency_prop(g_value_get_object(&v));
      g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
  } else {
    st->latency = bench_latency_prop(h->element);
  }
  for (; pos < n; pos++)
    out[pos] = 0.0f;
  gst_harness_teardown(h);
  return 0;
}

/* A pipeline per product: appsrc ! element ! appsink, a frame pushed and
 * its output pulled each tick (the element runs in appsrc's thread). */
static int
run_pipeline(const Contender *c, const float *in, float *out, size_t n, RunStats *st)
{
  char *desc = g_strdup_printf("appsrc name=src format=time is-live=false caps=\"%s\" ! %s ! "
                               "appsink name=sink sync=false",
                               c->channels == 2 ? CAPS_STEREO : CAPS_MONO, c->element);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch(desc, &err);
  g_free(desc);
  if (!pipe) {
    fprintf(stderr, "limiter-bench: %s\n", err ? err->message : "parse");
    g_clear_error(&err);
    return -EINVAL;
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  size_t pos = 0;
  gsize bytes = AUDIO_FRAME * c->channels * sizeof(float);
  GstClockTime dur = gst_util_uint64_scale(AUDIO_FRAME, GST_SECOND, AUDIO_RATE);
  double c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID), w0 = bench_now(CLOCK_MONOTONIC);
  for (size_t off = 0; off + AUDIO_FRAME <= n; off += AUDIO_FRAME) {
    GstBuffer *buf = gst_buffer_new_allocate(NULL, bytes, NULL);
    bench_mono_to_buf(buf, in + off, c->channels);
    GST_BUFFER_PTS(buf) = (off / AUDIO_FRAME) * dur;
    GST_BUFFER_DURATION(buf) = dur;
    if (gst_app_src_push_buffer(GST_APP_SRC(src), buf) != GST_FLOW_OK)
      break;
    GstSample *s = gst_app_sink_pull_sample(GST_APP_SINK(sink));
    if (!s)
      break;
    bench_buf_to_mono(gst_sample_get_buffer(s), out, &pos, n, c->channels);
    gst_sample_unref(s);
  }
  st->cpu_s = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
  st->wall_s = bench_now(CLOCK_MONOTONIC) - w0;
  st->latency = NAN;
  for (; pos < n; pos++)
    out[pos] = 0.0f;
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  return 0;
}

static int
run_rostrum(const float *in, float *out, size_t n, RunStats *st)
{
  Limiter *lim =
      limiter_new(CEILING_DB, LIMITER_DEFAULT_LOOKAHEAD_MS, LIMITER_DEFAULT_RELEASE_MS, AUDIO_RATE);
  if (!lim)
    return -errno;
  memcpy(out, in, n * sizeof *out);
  double c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID), w0 = bench_now(CLOCK_MONOTONIC);
  for (size_t off = 0; off < n; off += AUDIO_FRAME)
    limiter_process(lim, out + off, n - off < AUDIO_FRAME ? n - off : AUDIO_FRAME);
  st->cpu_s = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
  st->wall_s = bench_now(CLOCK_MONOTONIC) - w0;
  st->latency = limiter_latency(lim);
  limiter_free(lim);
  return 0;
}

/* ---- x42-dpl hosted directly ---- */
#define URID_MAX 64
static char *urid_table[URID_MAX];
static unsigned urid_count;

static uint32_t
bench_urid_map(void *handle, const char *uri)
{
  for (unsigned i = 0; i < urid_count; i++)
    if (!strcmp(urid_table[i], uri))
      return i + 1;
  if (urid_count == URID_MAX)
    return 0;
  urid_table[urid_count] = strdup(uri);
  return ++urid_count;
}

enum {
  DPL_CONTROL,
  DPL_NOTIFY,
  DPL_ENABLE,
  DPL_GAIN,
  DPL_THRESHOLD,
  DPL_RELEASE,
  DPL_TRUEPEAK,
  DPL_LEVEL,
  DPL_LATENCY,
  DPL_IN,
  DPL_OUT
};

static int
run_lv2_dpl(const Contender *c, const float *in, float *out, size_t n, RunStats *st)
{
  const char *bundle = "/usr/lib/lv2/dpl.lv2/";
  void *so = dlopen("/usr/lib/lv2/dpl.lv2/dpl.so", RTLD_NOW | RTLD_LOCAL);
  if (!so) {
    fprintf(stderr, "limiter-bench: %s\n", dlerror());
    return -ENOENT;
  }
  const LV2_Descriptor *(*entry)(uint32_t) =
      (const LV2_Descriptor *(*)(uint32_t))dlsym(so, "lv2_descriptor");
  const LV2_Descriptor *d = entry ? entry(0) : NULL; /* 0: mono */
  if (!d || !strstr(d->URI, "mono")) {
    dlclose(so);
    return -ENOENT;
  }
  LV2_URID_Map map = {NULL, bench_urid_map};
  LV2_Feature map_feature = {"http://lv2plug.in/ns/ext/urid#map", &map};
  const LV2_Feature *features[] = {&map_feature, NULL};
  LV2_Handle h = d->instantiate(d, AUDIO_RATE, bundle, features);
  if (!h) {
    dlclose(so);
    return -EINVAL;
  }
  float ctl[DPL_OUT + 1] = {0};
  ctl[DPL_ENABLE] = 1.0f;
  ctl[DPL_GAIN] = 0.0f;
  ctl[DPL_THRESHOLD] = (float)CEILING_DB;
  ctl[DPL_RELEASE] = (float)(LIMITER_DEFAULT_RELEASE_MS / 1000.0);
  ctl[DPL_TRUEPEAK] = 1.0f;
  for (uint32_t p = DPL_ENABLE; p <= DPL_LATENCY; p++)
    d->connect_port(h, p, &ctl[p]);
  /* an empty input sequence and room for the plugin's notifications */
  static uint64_t notify_store[512];
  LV2_Atom_Sequence control = {
      {8, bench_urid_map(NULL, "http://lv2plug.in/ns/ext/atom#Sequence")}, 0, 0};
  LV2_Atom_Sequence *notify = (LV2_Atom_Sequence *)notify_store;
  uint32_t chunk = bench_urid_map(NULL, "http://lv2plug.in/ns/ext/atom#Chunk");
  d->connect_port(h, DPL_CONTROL, c->x42_atoms ? &control : NULL);
  d->connect_port(h, DPL_NOTIFY, c->x42_atoms ? notify : NULL);
  static float ibuf[AUDIO_FRAME], obuf[AUDIO_FRAME];
  d->connect_port(h, DPL_IN, ibuf);
  d->connect_port(h, DPL_OUT, obuf);
  if (d->activate)
    d->activate(h);
  double c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID), w0 = bench_now(CLOCK_MONOTONIC);
  for (size_t off = 0; off + AUDIO_FRAME <= n; off += AUDIO_FRAME) {
    notify->atom.size = sizeof notify_store - sizeof(LV2_Atom);
    notify->atom.type = chunk;
    memcpy(ibuf, in + off, sizeof ibuf);
    d->run(h, AUDIO_FRAME);
    memcpy(out + off, obuf, sizeof obuf);
  }
  st->cpu_s = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
  st->wall_s = bench_now(CLOCK_MONOTONIC) - w0;
  st->latency = ctl[DPL_LATENCY];
  if (d->deactivate)
    d->deactivate(h);
  d->cleanup(h);
  dlclose(so);
  return 0;
}

static int
bench_run(const Contender *c, const float *in, float *out, size_t n, RunStats *st)
{
  switch (c->kind) {
  case RUN_ROSTRUM:
    return run_rostrum(in, out, n, st);
  case RUN_HARNESS:
    return run_harness(c, in, out, n, st);
  case RUN_PIPELINE:
    return run_pipeline(c, in, out, n, st);
  case RUN_LV2:
    return run_lv2_dpl(c, in, out, n, st);
  }
  return -EINVAL;
}

/* ---- measurements ---- */
typedef struct {
  double peak, tp;
} Peaks;

static Peaks
bench_peaks(const float *x, size_t n)
{
  LevelMeter m;
  LevelReading r;
  Peaks p = {AUDIO_SILENCE_DBFS, AUDIO_SILENCE_DBFS};
  level_init(&m, 1000);
  for (size_t off = 0; off < n; off += AUDIO_RATE) {
    level_process(&m, x + off, n - off < AUDIO_RATE ? n - off : AUDIO_RATE);
    level_read(&m, &r);
    p.peak = fmax(p.peak, r.peak_dbfs);
    p.tp = fmax(p.tp, r.true_peak_dbfs);
  }
  return p;
}

/* Where an impulse under the ceiling comes out: the latency, in samples. */
static long
bench_measure_latency(const Contender *c, float *in, float *out, size_t n)
{
  RunStats st;
  memset(in, 0, n * sizeof *in);
  size_t at = AUDIO_RATE / 10;
  in[at] = 0.25f;
  if (bench_run(c, in, out, n, &st) < 0)
    return -1;
  size_t best = 0;
  for (size_t i = 0; i < n; i++)
    if (fabsf(out[i]) > fabsf(out[best]))
      best = i;
  return fabsf(out[best]) > 0.01f ? (long)best - (long)at : -1;
}

static unsigned bench_repeat = 1;

typedef struct {
  Peaks isp, square_all, square_settled, burst_all, burst_settled;
  double speech_gain_db, speech_max_err_db, espeak_gain_db, espeak_max_err_db;
  double cpu_speech, cpu_square; /* CPU seconds per second of audio */
  double wall_square;
  double latency_declared;
  long latency;
} Result;

/* Gain change of @out against @in delayed by @lat (RMS, dB) and the largest
 * sample error relative to the input's RMS (dB). */
static void
bench_compare(const float *in, const float *out, size_t n, long lat, double *gain_db,
              double *err_db)
{
  if (lat < 0) {
    *gain_db = *err_db = NAN;
    return;
  }
  size_t d = (size_t)lat, len = n - d - AUDIO_RATE / 10;
  *gain_db = bench_rms_db(out + d, len) - bench_rms_db(in, len);
  double err = 0.0;
  for (size_t i = 0; i < len; i++)
    err = fmax(err, fabs((double)out[i + d] - (double)in[i]));
  double rms = pow(10.0, bench_rms_db(in, len) / 20.0);
  *err_db = level_to_dbfs(err / rms);
}

static void
bench_one(const Contender *c, const Signal *sig, size_t nsig, float *scratch, float *out, Result *r)
{
  RunStats st;
  memset(r, 0, sizeof *r);
  r->latency = bench_measure_latency(c, scratch, out, AUDIO_RATE / 2);
  for (size_t s = 0; s < nsig; s++) {
    bool timed = !strcmp(sig[s].name, "square") || !strcmp(sig[s].name, "speech");
    double cpu = INFINITY;
    for (unsigned k = 0; k < (timed ? bench_repeat : 1); k++) {
      if (bench_run(c, sig[s].x, out, sig[s].n, &st) < 0) {
        r->latency = -2;
        return;
      }
      cpu = fmin(cpu, st.cpu_s);
    }
    double per_s = cpu / ((double)sig[s].n / AUDIO_RATE);
    if (!strcmp(sig[s].name, "square")) {
      r->square_all = bench_peaks(out, sig[s].n);
      r->square_settled = bench_peaks(out + sig[s].settle, sig[s].n - sig[s].settle);
      r->cpu_square = per_s;
      r->wall_square = st.wall_s / ((double)sig[s].n / AUDIO_RATE);
      r->latency_declared = st.latency;
    } else if (!strcmp(sig[s].name, "burst")) {
      r->burst_all = bench_peaks(out, sig[s].n);
      r->burst_settled = bench_peaks(out + sig[s].settle, AUDIO_RATE / 2 - AUDIO_RATE / 20);
    } else if (!strcmp(sig[s].name, "isp")) {
      r->isp = bench_peaks(out + sig[s].settle, sig[s].n - sig[s].settle);
    } else if (!strcmp(sig[s].name, "speech")) {
      bench_compare(sig[s].x, out, sig[s].n, r->latency, &r->speech_gain_db, &r->speech_max_err_db);
      r->cpu_speech = per_s;
    } else {
      bench_compare(sig[s].x, out, sig[s].n, r->latency, &r->espeak_gain_db, &r->espeak_max_err_db);
    }
  }
}

int
main(int argc, char **argv)
{
  double seconds = 60.0;
  const char *speech_path = NULL, *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--speech") && i + 1 < argc)
      speech_path = argv[++i];
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      bench_repeat = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--element") && i + 1 < argc)
      only = argv[++i];
    else {
      fprintf(
          stderr,
          "usage: limiter-bench [--seconds S] [--repeat R] [--speech FILE.f32] [--element DESC]\n");
      return 2;
    }
  }
  if (!(seconds >= 1.0 && seconds <= 120.0) || bench_repeat < 1 || bench_repeat > 10)
    return 2;
  gst_init(&argc, &argv);

  size_t n = (size_t)(seconds * AUDIO_RATE) / AUDIO_FRAME * AUDIO_FRAME;
  size_t nb = 3 * AUDIO_RATE;
  float *square = calloc(n, sizeof(float)), *speech = calloc(n, sizeof(float));
  float *burst = calloc(nb, sizeof(float)), *espeak = calloc(n, sizeof(float));
  float *out = calloc(n, sizeof(float)), *scratch = calloc(n, sizeof(float));
  float *isp = calloc(nb, sizeof(float));
  if (!square || !speech || !burst || !espeak || !out || !scratch || !isp)
    return 1;
  /* fs/4 at 45 degrees: every sample at -3.01 dBFS, the waveform at 0 dBTP */
  for (size_t i = 0; i < nb; i++)
    isp[i] = (float)sin(M_PI / 2.0 * (double)i + M_PI / 4.0);
  bench_square(square, n, 8);                 /* 3 kHz, full scale */
  for (size_t i = 0; i < AUDIO_RATE / 2; i++) /* 200 ms silence, 500 ms +20 dB 3 kHz */
    burst[AUDIO_RATE / 5 + i] = (float)(10.0 * sin(2.0 * M_PI * 3000.0 * (double)i / AUDIO_RATE));
  bench_speech(speech, n);
  Signal sig[5] = {
      {"square", square, n, AUDIO_RATE / 10},
      {"burst", burst, nb, AUDIO_RATE / 5 + AUDIO_RATE / 20},
      {"isp", isp, nb, AUDIO_RATE / 10},
      {"speech", speech, n, 0},
      {"espeak", espeak, n, 0},
  };
  size_t nsig = 4;
  if (speech_path) {
    int rc = bench_load_speech(speech_path, espeak, n);
    if (rc < 0) {
      fprintf(stderr, "limiter-bench: %s: %s\n", speech_path, strerror(-rc));
      return 1;
    }
    nsig = 5;
  }
  Peaks sp = bench_peaks(speech, n), ep = bench_peaks(espeak, n);
  printf("signals: %.0f s; speech-like %.2f dBFS RMS, %.2f dBFS peak, %.2f dBTP", seconds,
         bench_rms_db(speech, n), sp.peak, sp.tp);
  if (nsig == 5)
    printf("; espeak-ng %.2f dBFS RMS, %.2f dBFS peak, %.2f dBTP", bench_rms_db(espeak, n), ep.peak,
           ep.tp);
  printf("\n\n");

#define LSP "lsp-plug-in-plugins-lv2-limiter-mono enabled=true lk=1.5 rt=20 "
  const Contender contenders[] = {
      {"identity (harness)", RUN_HARNESS, "identity", 1, NULL, false},
      {"identity x2 (harness)", RUN_HARNESS, "identity", 2, NULL, false},
      {"identity (pipeline)", RUN_PIPELINE, "identity", 1, NULL, false},
      {"rostrum limiter.c", RUN_ROSTRUM, NULL, 1, NULL, false},
      {"LSP th=-3 dB ovs=None", RUN_HARNESS, LSP "th=0.70795", 1, "identity (harness)", false},
      {"LSP th=-3 dB ovs=Full x4(3L)", RUN_HARNESS, LSP "th=0.70795 ovs=16", 1,
       "identity (harness)", false},
      {"LSP th=-3 dB ovs=Half x4(3L)", RUN_HARNESS, LSP "th=0.70795 ovs=6", 1, "identity (harness)",
       false},
      {"LSP th=-3.2 dB ovs=Half x4(3L)", RUN_HARNESS, LSP "th=0.69183 ovs=6", 1,
       "identity (harness)", false},
      {"LSP th=-3.2 dB ovs=Half x4(3L), pipeline", RUN_PIPELINE, LSP "th=0.69183 ovs=6", 1,
       "identity (pipeline)", false},
      {"x42-dpl through GStreamer", RUN_HARNESS,
       "gareus-org-oss-lv2-dpl-mono enable=true threshold=-3 truepeak=true release=0.08", 1,
       "identity (harness)", false},
      {"x42-dpl direct, atom ports unconnected", RUN_LV2, NULL, 1, NULL, false},
      {"x42-dpl direct, atom ports connected", RUN_LV2, NULL, 1, NULL, true},
      {"swh fast-lookahead (stereo)", RUN_HARNESS,
       "ladspa-fast-lookahead-limiter-1913-so-fastlookaheadlimiter limit=-3 release-time=0.08", 2,
       "identity x2 (harness)", false},
  };

  size_t nc = sizeof contenders / sizeof contenders[0];
  Result res[sizeof contenders / sizeof contenders[0]];
  const Contender *list = contenders;
  Contender custom = {only, RUN_HARNESS, only, 1, NULL, false};
  if (only) {
    list = &custom;
    nc = 1;
  }

  printf("| limiter | square: peak / TP, all (dBFS / dBTP) | square settled | burst: peak / TP, "
         "all | burst settled | fs/4 at 45°: peak / TP settled | speech-like gain change (dB) | "
         "espeak-ng gain change (dB) | latency (samples, measured / declared) | CPU ms per s, "
         "speech | CPU ms per s, square | net of identity: speech / square |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < nc; i++) {
    const Contender *c = &list[i];
    Result *r = &res[i];
    bench_one(c, sig, nsig, scratch, out, r);
    double net = NAN, net_speech = NAN;
    for (size_t j = 0; c->baseline && j < i; j++)
      if (!strcmp(list[j].name, c->baseline)) {
        net = r->cpu_square - res[j].cpu_square;
        net_speech = r->cpu_speech - res[j].cpu_speech;
      }
    if (r->latency == -2) {
      printf("| %s | failed to run ||||||||||| \n", c->name);
      continue;
    }
    char espeak_col[48] = "n/a";
    if (nsig == 5)
      snprintf(espeak_col, sizeof espeak_col, "%+.3f (err %.0f dB)", r->espeak_gain_db,
               r->espeak_max_err_db);
    printf("| %s | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | "
           "%+.3f (err %.0f dB) | %s | %ld / %.0f | %.3f | %.3f | %.3f / %.3f |\n",
           c->name, r->square_all.peak, r->square_all.tp, r->square_settled.peak,
           r->square_settled.tp, r->burst_all.peak, r->burst_all.tp, r->burst_settled.peak,
           r->burst_settled.tp, r->isp.peak, r->isp.tp, r->speech_gain_db, r->speech_max_err_db,
           espeak_col, r->latency, r->latency_declared, r->cpu_speech * 1e3, r->cpu_square * 1e3,
           net_speech * 1e3, net * 1e3);
    fflush(stdout);
  }
  printf("\nerr: the largest sample difference from the input delayed by the measured latency, "
         "relative to the input's RMS.\n");
  free(square);
  free(speech);
  free(burst);
  free(espeak);
  free(out);
  free(scratch);
  free(isp);
  return 0;
}
