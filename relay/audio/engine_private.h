/* SPDX-License-Identifier: Apache-2.0 */
/* The audio engine's insides, shared by its two halves: requests.c (the
 * main loop's side: products, microphones, booths, answered at once) and
 * engine.c (the engine thread's tick, construction, levels). Not for other
 * modules: engine.h is the interface. */
#pragma once

#include <glib.h>

#include "booth.h"
#include "channel.h"
#include "engine.h"
#include "jitter.h"
#include "leveler.h"
#include "mix.h"
#include "queue.h"
#include "stream.h"
#include "venue.h"

#define TICK_US (AUDIO_FRAME_MS * 1000)
#define MIC_QUEUE_SLOTS 1024
#define OUT_QUEUE_SLOTS 1024
#define LEVEL_EVERY_TICKS 5 /* snapshots every 100 ms */
#define LATE_RESYNC_US (10 * TICK_US)
#define LAT_BUCKETS 256      /* 1 ms each */
#define LAT_HALVE_TICKS 1500 /* the histogram forgets: halved every 30 s */
/* the wait budget leaves the tick's work this much room at least, µs */
#define OUT_ALLOWANCE_MIN_US 2000
#define SIM_DBFS (-12.0)
/* A freed product or mic slot waits this long before it is reused: by then
 * the engine has applied the remove (it reads requests every tick). */
#define RELEASE_US (10 * TICK_US)

typedef enum { PRODUCT_FLOOR, PRODUCT_CHANNEL, PRODUCT_MINUS, PRODUCT_LOWBW } ProductKind;

typedef struct {
  /* main thread */
  bool used;
  gint64 released_us; /* when it was last freed: not reused until the engine let go */
  ProductKind kind;
  char name[96];
  int mic;   /* MINUS: the speaker */
  int base;  /* LOWBW: the product re-encoded */
  int lowbw; /* its LOWBW variant, or -1 */
  unsigned lowbw_refs;
  /* engine thread */
  bool active;
  AudioStream stream;
  float pcm[AUDIO_FRAME];
  Channel ch;         /* CHANNEL: what it carries, tick by tick */
  ChannelOutput plan; /* CHANNEL: this tick's */
} Product;

typedef struct {
  /* main thread */
  bool used;
  gint64 released_us;
  guint32 gen;
  char peer[65];
  int booth; /* language index, or -1 */
  bool granted;
  int minus;      /* product while granted */
  double sim_req; /* a simulated interpreter's tone, read by the engine at the add */
  /* engine thread */
  bool active;
  guint32 active_gen;
  int eng_booth;
  bool on_floor, cough;
  int bus_id;
  JitterBuffer *jb;
  OpusDecoder *dec;
  float pcm[AUDIO_FRAME];
  bool decoded;
  LevelMeter level;
  gint64 play_arrival_us;   /* the packet decoded this tick arrived then (0: none) */
  double sim_hz, sim_phase; /* a simulated interpreter: a tone, no packets */
} Mic;

typedef enum {
  CMD_MIC_ADD,
  CMD_MIC_REMOVE,
  CMD_FLOOR,
  CMD_BOOTH_LIVE,
  CMD_COUGH,
  CMD_BOOTH_OUTPUT,
  CMD_BOOTH_INPUT,
  CMD_PRODUCT_ADD,
  CMD_PRODUCT_REMOVE,
} CmdType;

typedef struct {
  CmdType type;
  int a, b;
  guint32 gen;
} Cmd;

struct AudioEngine {
  const RelayConfig *cfg;
  GMainContext *ctx;
  AudioPacketFunc func;
  void *user;
  AudioVenue *venue;
  unsigned n_lang;
  Product products[AUDIO_MAX_PRODUCTS];
  Mic mics[AUDIO_MAX_MICS];
  /* the booths, twice: the main thread's copy answers requests at once
   * (refusals included), the engine's applies them at the next tick */
  Booth *booths[AUDIO_MAX_LANGUAGES];
  Booth *eng_booths[AUDIO_MAX_LANGUAGES];
  int slot_mic[AUDIO_MAX_LANGUAGES][BOOTH_INTERPRETERS]; /* engine: booth slot → mic */
  GAsyncQueue *cmds;
  AudioQueue *mic_in, *out;
  GSource *wakeup;
  GThread *thread;
  gint stop;
  /* engine thread */
  MixBus *bus;
  int venue_bus;
  Leveler leveler; /* the floor's loudness target */
  float venue_pcm[AUDIO_FRAME];
  uint32_t tick;
  double out_wall_us; /* tick start → its last product out, smoothed */
  /* snapshots, under @lock */
  guint64 mic_packets, out_dropped; /* engine thread; copied into stats each tick */
  GMutex lock;
  AudioLevel product_levels[AUDIO_MAX_PRODUCTS];
  AudioLevel mic_levels[AUDIO_MAX_MICS];
  AudioEngineStats stats;
  guint32 latency[LAT_BUCKETS];
  /* engine_venue.c: the venue outputs' tap, under @lock */
  void (*pcm_tap)(int product, const float *pcm, void *user);
  void *pcm_tap_user;
};

/* requests.c */
int engine_lang_index(const AudioEngine *e, const char *lang);
void engine_send_cmd(AudioEngine *e, CmdType type, int a, int b, guint32 gen);
AudioStreamConfig engine_stream_config(const AudioEngine *e, ProductKind kind);
/* engine_venue.c: hands this tick's PCM of the floor, the channels and the
 * remote speakers alone to the tap, if any (engine thread). */
void engine_tap_tick(AudioEngine *e);
/* A simulated interpreter (the demo's booths, [relay] sim_booths): a tone
 * instead of packets, live in its booth, from its config entry "BOOTH:HZ"
 * (checked by relay_config.c). Returns the mic or a negative errno. */
int engine_sim_start(AudioEngine *e, const char *entry);
