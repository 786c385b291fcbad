/* SPDX-License-Identifier: Apache-2.0 */
/* The run: one full-mode ICE agent for every listener, the adapter's
 * untimed preparation if it has one (rostrum --prelogin), joins at the asked
 * rate, a measurement window once every listener joined (or gave up), then
 * leave, report, quit. */
#include "loadgen.h"

#include "epoll_poll.h"

#include <string.h>

#include "dtls.h"
#include "dtls_cert.h"
#include "listener.h"
#include "report.h"
#include "srtp_link.h"

#include <srtp2/srtp.h>

#define JOIN_TICK_MS 10
#define REPORT_TICK_MS 100 /* each listener reports every 10 ticks: 1 s */
#define PROGRESS_MS 2000
#define LEAVE_WAIT_MS 3000

typedef enum {
  PHASE_PREPARING, /* the adapter's prepare(): no listener started yet */
  PHASE_JOINING,
  PHASE_WARMUP, /* every listener settled; the window has not opened yet */
  PHASE_MEASURING,
  PHASE_LEAVING,
  PHASE_DONE,
} Phase;

typedef struct {
  const LoadgenConfig *cfg;
  GMainContext *ctx;
  GMainLoop *loop;
  NiceAgent *agent;
  DtlsCert *cert;
  DtlsContext *dtls;
  gpointer adapter;
  LoadgenListener **listeners;
  GHashTable *by_stream; /* stream id → listener (borrowed) */
  LoadgenSpread *spread;
  LoadgenRxLoop *rxloop; /* media of keyed listeners */
  gboolean measuring;
  gboolean prepared; /* the adapter prepared: the join clock starts at its request */
  Phase phase;
  unsigned started, settled, failed;
  unsigned report_tick;
  gint64 t_prepare_us, t_begin_us, t_settled_us, t_window_us, t_leave_us, t_last_joined_us;
  GSource *join_timer, *report_timer, *progress_timer, *warmup_timer, *window_timer, *leave_timer;
  LoadgenReport report;
} Loadgen;

const LoadgenAdapterOps *
loadgen_adapter_find(const char *name)
{
  static const LoadgenAdapterOps *const all[] = {
    &loadgen_adapter_control,
    &loadgen_adapter_rostrum,
    &loadgen_adapter_janus,
  };
  for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
    if (strcmp(all[i]->name, name) == 0)
      return all[i];
  return NULL;
}


static gboolean on_window_end(gpointer data);

static void
begin_window(Loadgen *lg)
{
  unsigned joined = lg->cfg->listeners - lg->failed, sampled = 0;
  lg->phase = PHASE_MEASURING;
  for (unsigned i = 0; i < lg->cfg->listeners; i++)
    if (loadgen_listener_state(lg->listeners[i]) == LOADGEN_LISTENER_JOINED &&
        loadgen_listener_decrypts(lg->listeners[i]))
      sampled++;
  /* the spread is over the decrypting listeners: only they see payloads */
  lg->spread->expected = sampled ? sampled : G_MAXUINT;
  for (unsigned i = 0; i < lg->cfg->listeners; i++)
    loadgen_listener_begin_window(lg->listeners[i]);
  lg->measuring = TRUE;
  loadgen_proc_sample(lg->cfg->relay_pid, &lg->report.relay0);
  loadgen_proc_sample(0, &lg->report.self0);
  if (lg->cfg->relay_pid <= 0)
    lg->report.relay0.ok = false;
  lg->t_window_us = g_get_monotonic_time();
  g_printerr("loadgen: %u/%u joined in %.2f s; measuring for %.0f s (after %.0f s warm-up)\n",
             joined, lg->cfg->listeners, (double)(lg->t_settled_us - lg->t_begin_us) / 1e6,
             lg->cfg->duration_s, lg->cfg->warmup_s);
  lg->window_timer = loadgen_timeout_on(lg->ctx, (guint)(lg->cfg->duration_s * 1000), on_window_end, lg);
}

static gboolean
on_warmup_end(gpointer data)
{
  Loadgen *lg = data;
  g_source_unref(lg->warmup_timer);
  lg->warmup_timer = NULL;
  begin_window(lg);
  return G_SOURCE_REMOVE;
}

/* CPU of the server's processes summed, µs; -1 if one is unreadable. */
static gint64
server_cpu_us(const LoadgenConfig *cfg)
{
  int only_relay[2] = {cfg->relay_pid, 0};
  const int *pids = cfg->server_pids[0] > 0 ? cfg->server_pids : only_relay;
  gint64 sum = 0;
  LoadgenProcSample s;
  if (pids[0] <= 0)
    return -1;
  for (int i = 0; pids[i] > 0; i++) {
    if (!loadgen_proc_sample(pids[i], &s))
      return -1;
    sum += s.cpu_us;
  }
  return sum;
}

static void
settle_one(Loadgen *lg)
{
  lg->settled++;
  if (lg->phase != PHASE_JOINING || lg->settled != lg->cfg->listeners)
    return;
  lg->t_settled_us = g_get_monotonic_time();
  LoadgenProcSample self;
  gint64 server = server_cpu_us(lg->cfg);
  lg->report.join_server_cpu_us = server >= 0 && lg->report.join_server_cpu_us >= 0
                                      ? server - lg->report.join_server_cpu_us
                                      : -1;
  lg->report.join_self_cpu_us = loadgen_proc_sample(0, &self) && lg->report.join_self_cpu_us >= 0
                                    ? self.cpu_us - lg->report.join_self_cpu_us
                                    : -1;
  if (lg->cfg->warmup_s > 0) {
    lg->phase = PHASE_WARMUP;
    lg->warmup_timer = loadgen_timeout_on(lg->ctx, (guint)(lg->cfg->warmup_s * 1000), on_warmup_end, lg);
  } else {
    begin_window(lg);
  }
}

static void
on_joined(LoadgenListener *l, void *user)
{
  Loadgen *lg = user;
  lg->t_last_joined_us = g_get_monotonic_time();
  if (lg->cfg->verbose)
    g_printerr("loadgen: lg-%u joined in %.0f ms\n", loadgen_listener_index(l),
               loadgen_listener_join_ms(l));
  settle_one(lg);
}

static void
on_failed(LoadgenListener *l, const char *reason, void *user)
{
  Loadgen *lg = user;
  gboolean was_joined = loadgen_listener_join_ms(l) >= 0;
  lg->failed++;
  g_printerr("loadgen: lg-%u failed: %s\n", loadgen_listener_index(l), reason);
  if (!was_joined)
    settle_one(lg);
}

static void
on_lost(unsigned index, const char *reason, void *user)
{
  Loadgen *lg = user;
  if (index < lg->cfg->listeners && lg->phase < PHASE_LEAVING)
    loadgen_listener_lost(lg->listeners[index], reason);
}

static void
on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
  Loadgen *lg = data;
  LoadgenListener *l = g_hash_table_lookup(lg->by_stream, GUINT_TO_POINTER(stream_id));
  if (l)
    loadgen_listener_gathered(l);
}

static void
on_component_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                   gpointer data)
{
  Loadgen *lg = data;
  LoadgenListener *l = g_hash_table_lookup(lg->by_stream, GUINT_TO_POINTER(stream_id));
  if (l)
    loadgen_listener_ice_state(l, (NiceComponentState)state);
}

static void
start_one(Loadgen *lg)
{
  LoadgenListener *l = lg->listeners[lg->started++];
  guint stream = loadgen_listener_open(l);
  if (!stream)
    return;
  g_hash_table_insert(lg->by_stream, GUINT_TO_POINTER(stream), l);
  loadgen_listener_gather(l);
}

static gboolean
on_join_tick(gpointer data)
{
  Loadgen *lg = data;
  gint64 elapsed = g_get_monotonic_time() - lg->t_begin_us;
  double due = lg->cfg->join_rate > 0 ? (double)elapsed * lg->cfg->join_rate / 1e6 + 1
                                      : (double)lg->cfg->listeners;
  while (lg->started < lg->cfg->listeners && (double)lg->started < due)
    start_one(lg);
  if (lg->started < lg->cfg->listeners)
    return G_SOURCE_CONTINUE;
  g_source_unref(lg->join_timer);
  lg->join_timer = NULL;
  return G_SOURCE_REMOVE;
}

/* The timed part: t_begin_us is the first join (joins/s counts from here). */
static void
start_joins(Loadgen *lg)
{
  LoadgenProcSample self;
  lg->report.join_server_cpu_us = server_cpu_us(lg->cfg);
  lg->report.join_self_cpu_us = loadgen_proc_sample(0, &self) ? self.cpu_us : -1;
  lg->phase = PHASE_JOINING;
  lg->t_begin_us = g_get_monotonic_time();
  lg->join_timer = loadgen_timeout_on(lg->ctx, JOIN_TICK_MS, on_join_tick, lg);
}

static void
on_prepared(const char *summary, void *user)
{
  Loadgen *lg = user;
  gint64 now = g_get_monotonic_time();
  g_print("loadgen: %s\n", summary);
  fflush(stdout);
  g_printerr("loadgen: prepared in %.2f s; the timed joins start now\n",
             (double)(now - lg->t_prepare_us) / 1e6);
  start_joins(lg);
}

static gboolean
on_report_tick(gpointer data)
{
  Loadgen *lg = data;
  unsigned slot = lg->report_tick++ % (1000 / REPORT_TICK_MS);
  for (unsigned i = slot; i < lg->started; i += 1000 / REPORT_TICK_MS)
    loadgen_listener_send_report(lg->listeners[i]);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_progress(gpointer data)
{
  Loadgen *lg = data;
  if (lg->phase == PHASE_JOINING)
    g_printerr("loadgen: started %u, joined %u, failed %u of %u\n", lg->started,
               lg->settled - lg->failed, lg->failed, lg->cfg->listeners);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_leave_tick(gpointer data)
{
  Loadgen *lg = data;
  gboolean idle = lg->cfg->adapter->idle ? lg->cfg->adapter->idle(lg->adapter) : TRUE;
  if (!idle && g_get_monotonic_time() - lg->t_leave_us < LEAVE_WAIT_MS * 1000)
    return G_SOURCE_CONTINUE;
  lg->phase = PHASE_DONE;
  g_main_loop_quit(lg->loop);
  g_source_unref(lg->leave_timer);
  lg->leave_timer = NULL;
  return G_SOURCE_REMOVE;
}

static gboolean
on_window_end(gpointer data)
{
  Loadgen *lg = data;
  g_source_unref(lg->window_timer);
  lg->window_timer = NULL;
  lg->measuring = FALSE;
  loadgen_proc_sample(lg->cfg->relay_pid, &lg->report.relay1);
  loadgen_proc_sample(0, &lg->report.self1);
  if (lg->cfg->relay_pid <= 0)
    lg->report.relay1.ok = false;
  loadgen_spread_flush(lg->spread);
  lg->report.spread = lg->spread;
  lg->report.window_s = (double)(g_get_monotonic_time() - lg->t_window_us) / 1e6;
  /* joins/s: the first request to the last listener's first packet */
  lg->report.join_phase_s = (double)(lg->t_last_joined_us - lg->t_begin_us) / 1e6;
  lg->phase = PHASE_LEAVING;
  lg->t_leave_us = g_get_monotonic_time();
  loadgen_clear_source(&lg->report_timer);
  for (unsigned i = 0; i < lg->cfg->listeners; i++)
    loadgen_listener_leave(lg->listeners[i]);
  lg->leave_timer = loadgen_timeout_on(lg->ctx, 50, on_leave_tick, lg);
  return G_SOURCE_REMOVE;
}

static gboolean
setup(Loadgen *lg, GError **error)
{
  const LoadgenConfig *cfg = lg->cfg;
  NiceAddress addr;

  if (srtp_init() != srtp_err_status_ok) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsrtp does not initialise");
    return FALSE;
  }
  if (!(lg->cert = dtls_cert_new(error)) || !(lg->dtls = dtls_context_new(lg->cert, NULL, error)))
    return FALSE;
  lg->agent = nice_agent_new_full(lg->ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_NONE);
  /* RFC 8445 6.1.1: the full agent that offers controls. The relay is ice-lite
   * (we offer, we control); Janus is full ICE and offers (we answer, it
   * controls): two controlling agents meet in a role conflict that costs
   * checks and, under load, fails some pairs. */
  g_object_set(lg->agent, "controlling-mode", !cfg->adapter->remote_offers, "ice-udp", TRUE,
               "ice-tcp", FALSE, "upnp", FALSE, "stun-pacing-timer",
               cfg->ice_pacing_ms ? cfg->ice_pacing_ms : 1, NULL);
  nice_address_init(&addr);
  const char *ice_address = cfg->ice_address ? cfg->ice_address : "127.0.0.1";
  if (!nice_address_set_from_string(&addr, ice_address) ||
      !nice_agent_add_local_address(lg->agent, &addr)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot use %s for ICE", ice_address);
    return FALSE;
  }
  g_signal_connect(lg->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), lg);
  g_signal_connect(lg->agent, "component-state-changed", G_CALLBACK(on_component_state), lg);
  if (!(lg->adapter = cfg->adapter->create(&cfg->adapter_args, lg->ctx, on_lost, lg, error)))
    return FALSE;
  lg->t_prepare_us = g_get_monotonic_time();
  lg->prepared = cfg->adapter->prepare &&
                 cfg->adapter->prepare(lg->adapter, cfg->listeners, on_prepared, lg);
  if (!(lg->rxloop = loadgen_rxloop_new(lg->ctx, error)))
    return FALSE;
  if (!(lg->spread = loadgen_spread_new(cfg->listeners))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
    return FALSE;
  }
  LoadgenListenerEnv env = {
    .agent = lg->agent,
    .ctx = lg->ctx,
    .dtls = lg->dtls,
    .fingerprint = lg->cert->fingerprint,
    .adapter = cfg->adapter,
    .adapter_self = lg->adapter,
    .spread = lg->spread,
    .measuring = &lg->measuring,
    .join_timeout_s = cfg->join_timeout_s,
    .clock_from_request = lg->prepared,
    .trace = cfg->verbose,
    .joined = on_joined,
    .failed = on_failed,
    .user = lg,
    .rxloop = lg->rxloop,
    .channel_track = cfg->channel_track,
  };
  lg->listeners = g_new0(LoadgenListener *, cfg->listeners);
  for (unsigned i = 0; i < cfg->listeners; i++) {
    gboolean decrypt = cfg->decrypt_every > 0 && i % cfg->decrypt_every == 0;
    lg->listeners[i] = loadgen_listener_new(&env, i, decrypt);
  }
  return TRUE;
}

static void
teardown(Loadgen *lg)
{
  loadgen_clear_source(&lg->join_timer);
  loadgen_clear_source(&lg->report_timer);
  loadgen_clear_source(&lg->progress_timer);
  loadgen_clear_source(&lg->warmup_timer);
  loadgen_clear_source(&lg->window_timer);
  loadgen_clear_source(&lg->leave_timer);
  if (lg->adapter)
    lg->cfg->adapter->destroy(lg->adapter);
  if (lg->listeners)
    for (unsigned i = 0; i < lg->cfg->listeners; i++)
      loadgen_listener_free(lg->listeners[i]);
  g_free(lg->listeners);
  g_hash_table_destroy(lg->by_stream);
  if (lg->agent)
    g_object_unref(lg->agent);
  loadgen_rxloop_free(lg->rxloop);
  dtls_context_free(lg->dtls);
  dtls_cert_free(lg->cert);
  loadgen_spread_free(lg->spread);
  g_main_loop_unref(lg->loop);
  g_main_context_unref(lg->ctx);
}

int
loadgen_run(const LoadgenConfig *cfg, GError **error)
{
  Loadgen lg;
  int rc = 2;

  memset(&lg, 0, sizeof lg);
  lg.cfg = cfg;
  lg.ctx = g_main_context_ref_thread_default();
  /* thousands of sockets (libnice's, the WebSockets): poll through epoll */
  if (!epoll_poll_install(lg.ctx))
    g_printerr("loadgen: no epoll; GLib polls every socket each wake-up\n");
  lg.loop = g_main_loop_new(lg.ctx, FALSE);
  lg.by_stream = g_hash_table_new(g_direct_hash, g_direct_equal);
  if (cfg->listeners == 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no listeners");
    goto out;
  }
  if (!setup(&lg, error))
    goto out;
  if (lg.prepared)
    lg.phase = PHASE_PREPARING; /* on_prepared() starts the joins */
  else
    start_joins(&lg);
  lg.report_timer = loadgen_timeout_on(lg.ctx, REPORT_TICK_MS, on_report_tick, &lg);
  lg.progress_timer = loadgen_timeout_on(lg.ctx, PROGRESS_MS, on_progress, &lg);
  g_main_loop_run(lg.loop);

  lg.report.cfg = cfg;
  lg.report.listeners = lg.listeners;
  lg.report.n = cfg->listeners;
  lg.report.join_from = lg.prepared ? cfg->adapter->join_from_prepared : cfg->adapter->join_from;
  rc = lg.phase == PHASE_DONE ? loadgen_report(&lg.report, error) : 2;
out:
  teardown(&lg);
  return rc;
}
