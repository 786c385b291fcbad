/* SPDX-License-Identifier: Apache-2.0 */
/* The end of a run: the CSV (one row per listener), detail lines and the
 * one-line summary on stdout. */
#pragma once

#include <glib.h>

#include "listener.h"
#include "loadgen.h"
#include "procstat.h"
#include "rxstats.h"

typedef struct {
  const LoadgenConfig *cfg;
  LoadgenListener *const *listeners;
  unsigned n;
  LoadgenSpread *spread;  /* flushed */
  double join_phase_s;    /* first request → last listener joined */
  const char *join_from;  /* where the join clock starts: the adapter's join_from */
  double window_s;        /* the measurement window as run */
  LoadgenProcSample relay0, relay1, self0, self1;
  /* CPU over the join phase (first request → every listener settled), µs:
   * the server's processes summed (-1 if unreadable), and this one */
  gint64 join_server_cpu_us, join_self_cpu_us;
} LoadgenReport;

/* Writes the CSV (if asked) and prints the summary. Returns the exit code:
 * 0 if every listener joined and received audio in the window. */
int loadgen_report(const LoadgenReport *r, GError **error);
