/* SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include <stdio.h>

/* With a channel track, packets..jitter_ms are the floor track's and the
 * channel track's follow the state. */
static gboolean
write_csv(const LoadgenReport *r, GError **error)
{
  gboolean two = r->cfg->channel_track;
  g_autoptr(GString) out =
      g_string_new("id,join_ms,packets,lost,dup,jitter_ms,decrypted,errors,state");
  /* new columns go last: scripts read the first ones by position */
  g_string_append(out, two ? ",channel_packets,channel_lost,channel_dup,channel_jitter_ms" : "");
  g_string_append(out, ",last_rx_mono_ms\n");
  for (unsigned i = 0; i < r->n; i++) {
    const LoadgenListener *l = r->listeners[i];
    const LoadgenRxStats *rx = loadgen_listener_rx(l);
    const char *state = loadgen_listener_state(l) == LOADGEN_LISTENER_JOINED
                            ? "joined"
                            : (loadgen_listener_fail_reason(l) ? loadgen_listener_fail_reason(l)
                                                               : "not_joined");
    g_string_append_printf(out, "lg-%u,%.1f,%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                           ",%" G_GUINT64_FORMAT ",%.3f,%d,%" G_GUINT64_FORMAT ",\"%s\"",
                           loadgen_listener_index(l), loadgen_listener_join_ms(l), rx->packets,
                           loadgen_rx_lost(rx), rx->dups, loadgen_rx_jitter_ms(rx),
                           loadgen_listener_decrypts(l) ? 1 : 0, loadgen_listener_errors(l), state);
    if (two) {
      const LoadgenRxStats *ch = loadgen_listener_rx_track(l, LOADGEN_TRACK_CHANNEL);
      g_string_append_printf(
          out, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%.3f",
          ch->packets, loadgen_rx_lost(ch), ch->dups, loadgen_rx_jitter_ms(ch));
    }
    /* the floor track's newest packet (monotonic ms) */
    g_string_append_printf(out, ",%.1f\n", (double)rx->last_arrival_us / 1000.0);
  }
  return g_file_set_contents(r->cfg->csv_path, out->str, (gssize)out->len, error);
}

static gboolean
write_spread_csv(const LoadgenReport *r, GError **error)
{
  g_autoptr(GString) out = g_string_new("first_ms,spread_ms\n");
  int64_t t0 = G_MAXINT64;
  for (size_t i = 0; i < r->spread->n_samples; i++)
    t0 = MIN(t0, r->spread->firsts[i]);
  for (size_t i = 0; i < r->spread->n_samples; i++)
    g_string_append_printf(out, "%.3f,%.3f\n", (double)(r->spread->firsts[i] - t0) / 1000.0,
                           (double)r->spread->samples[i] / 1000.0);
  return g_file_set_contents(r->cfg->spread_csv_path, out->str, (gssize)out->len, error);
}

/* "K_cpu_pct=… K_rss_kb=… K_threads=…" for a process sampled at the window's ends. */
static void
append_proc(GString *s, const char *name, const LoadgenProcSample *a, const LoadgenProcSample *b,
            guint64 packets)
{
  if (!a->ok || !b->ok || b->at_us <= a->at_us)
    return;
  double cpu_us = (double)(b->cpu_us - a->cpu_us);
  g_string_append_printf(s,
                         " %s_cpu_pct=%.1f %s_rss_kb=%" G_GINT64_FORMAT
                         " %s_threads=%" G_GINT64_FORMAT,
                         name, 100.0 * cpu_us / (double)(b->at_us - a->at_us), name, b->rss_kb,
                         name, b->threads);
  if (packets)
    g_string_append_printf(s, " %s_us_per_pkt=%.2f", name, cpu_us / (double)packets);
}

int
loadgen_report(const LoadgenReport *r, GError **error)
{
  g_autofree double *jitter = g_new0(double, r->n + 1);
  g_autofree double *join = g_new0(double, r->n + 1);
  g_autofree double *spread = g_new0(double, r->spread->n_samples + 1);
  guint64 packets = 0, lost = 0, expected = 0, dups = 0, errors = 0;
  unsigned joined = 0, decrypted = 0, silent = 0, n_join = 0, n_jitter = 0;
  /* per track, with a channel track: [0] floor, [1] channel */
  gboolean two = r->cfg->channel_track;
  guint64 t_packets[2] = {0, 0}, t_lost[2] = {0, 0}, t_expected[2] = {0, 0};
  unsigned t_lossy[2] = {0, 0}, t_silent[2] = {0, 0};
  g_autoptr(GHashTable) reasons = g_hash_table_new(g_str_hash, g_str_equal);

  for (unsigned i = 0; i < r->n; i++) {
    const LoadgenListener *l = r->listeners[i];
    const LoadgenRxStats *rx = loadgen_listener_rx(l);
    double jm = loadgen_listener_join_ms(l);
    if (jm >= 0) {
      joined++;
      join[n_join++] = jm;
    }
    const LoadgenRxStats *ch = loadgen_listener_rx_track(l, LOADGEN_TRACK_CHANNEL);
    if (loadgen_listener_state(l) == LOADGEN_LISTENER_JOINED) {
      if (rx->packets == 0 || (two && ch->packets == 0))
        silent++;
      jitter[n_jitter++] = loadgen_rx_jitter_ms(rx);
    } else {
      const char *why = loadgen_listener_fail_reason(l) ? loadgen_listener_fail_reason(l)
                                                        : "not_joined";
      g_hash_table_insert(reasons, (gpointer)why,
                          GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(reasons, why)) + 1));
    }
    if (loadgen_listener_decrypts(l))
      decrypted++;
    packets += rx->packets;
    dups += rx->dups;
    lost += loadgen_rx_lost(rx);
    expected += loadgen_rx_expected(rx);
    errors += loadgen_listener_errors(l);
    if (two) {
      for (int t = 0; t < 2; t++) {
        const LoadgenRxStats *x = t ? ch : rx;
        t_packets[t] += x->packets;
        t_lost[t] += loadgen_rx_lost(x);
        t_expected[t] += loadgen_rx_expected(x);
        t_lossy[t] += loadgen_rx_lost(x) > 0;
        t_silent[t] += x->packets == 0;
      }
      packets += ch->packets;
      dups += ch->dups;
      lost += loadgen_rx_lost(ch);
      expected += loadgen_rx_expected(ch);
    }
  }
  for (size_t i = 0; i < r->spread->n_samples; i++)
    spread[i] = (double)r->spread->samples[i] / 1000.0;

  if ((r->cfg->csv_path && !write_csv(r, error)) ||
      (r->cfg->spread_csv_path && !write_spread_csv(r, error)))
    return 2;

  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, reasons);
  while (g_hash_table_iter_next(&it, &key, &value))
    g_print("loadgen: %u listener(s) failed: %s\n", GPOINTER_TO_UINT(value), (const char *)key);
  g_print("loadgen: adapter=%s window=%.1fs spread over %zu packets seen by all %u decrypting "
          "listeners (%" G_GUINT64_FORMAT " not seen by all) dup=%" G_GUINT64_FORMAT
          " errors=%" G_GUINT64_FORMAT " (SRTP/SRTCP auth or malformed)\n",
          r->cfg->adapter->name, r->window_s, r->spread->n_samples,
          r->spread->expected == G_MAXUINT ? 0 : r->spread->expected, r->spread->incomplete, dups,
          errors);
  if (r->cfg->decrypt_every == 0)
    g_print("loadgen: decrypting no listener: SRTP counted from the clear RTP header only\n");
  else
    g_print("loadgen: SRTP-decrypting every packet of every %u%s listener (%u of %u); the others "
            "count the clear RTP header\n",
            r->cfg->decrypt_every, r->cfg->decrypt_every == 1 ? "" : "th", decrypted, r->n);

  double join_p50 = loadgen_quantile(join, n_join, 0.5);
  double join_p99 = loadgen_quantile(join, n_join, 0.99);
  double jit_p99 = loadgen_quantile(jitter, n_jitter, 0.99);
  double sp_p50 = loadgen_quantile(spread, r->spread->n_samples, 0.5);
  double sp_p99 = loadgen_quantile(spread, r->spread->n_samples, 0.99);
  double sp_max = loadgen_quantile(spread, r->spread->n_samples, 1.0);
  g_autoptr(GString) s = g_string_new(NULL);
  g_string_append_printf(s,
                         "loadgen: listeners=%u joined=%u packets=%" G_GUINT64_FORMAT
                         " lost=%" G_GUINT64_FORMAT " (%.3f%%) jitter_p99_ms=%.2f "
                         "spread_p50_ms=%.2f spread_p99_ms=%.2f spread_max_ms=%.2f "
                         "join_p50_ms=%.0f join_p99_ms=%.0f joins_per_s=%.1f join_from=%s "
                         "decrypted=%u/%u",
                         r->n, joined, packets, lost,
                         expected ? 100.0 * (double)lost / (double)expected : 0.0, jit_p99,
                         sp_p50, sp_p99, sp_max, join_p50, join_p99,
                         r->join_phase_s > 0 ? joined / r->join_phase_s : 0.0,
                         r->join_from ? r->join_from : "request", decrypted, r->n);
  /* packets= and lost= above count both tracks; each one's here, with the
   * listeners that lost a packet on it (lossy) or got none (silent) */
  for (int t = 0; two && t < 2; t++) {
    const char *k = t ? "channel" : "floor";
    double pct = t_expected[t] ? 100.0 * (double)t_lost[t] / (double)t_expected[t] : 0.0;
    g_string_append_printf(s,
                           " %s_packets=%" G_GUINT64_FORMAT " %s_lost=%" G_GUINT64_FORMAT
                           " %s_loss_pct=%.3f %s_lossy=%u %s_silent=%u",
                           k, t_packets[t], k, t_lost[t], k, pct, k, t_lossy[t], k, t_silent[t]);
  }
  /* the join phase's CPU per joined listener: what a join costs the
   * server (all its processes) and the load generator */
  if (joined > 0 && r->join_server_cpu_us >= 0)
    g_string_append_printf(s, " server_cpu_ms_per_join=%.2f",
                           (double)r->join_server_cpu_us / 1000.0 / joined);
  if (joined > 0 && r->join_self_cpu_us >= 0)
    g_string_append_printf(s, " self_cpu_ms_per_join=%.2f",
                           (double)r->join_self_cpu_us / 1000.0 / joined);
  append_proc(s, "relay", &r->relay0, &r->relay1, packets);
  append_proc(s, "self", &r->self0, &r->self1, 0);
  g_print("%s\n", s->str);
  fflush(stdout);
  return joined == r->n && silent == 0 && n_jitter == r->n ? 0 : 1;
}
