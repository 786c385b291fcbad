/* SPDX-License-Identifier: Apache-2.0 */
/* CPU time and resident memory of a process, from /proc (Linux). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  bool ok;
  int64_t at_us;  /* monotonic, when sampled */
  int64_t cpu_us; /* utime + stime */
  int64_t rss_kb; /* VmRSS */
  int64_t threads; /* Threads */
} LoadgenProcSample;

/* @pid 0: this process. Returns false (and out->ok false) if unreadable. */
bool loadgen_proc_sample(int pid, LoadgenProcSample *out);
