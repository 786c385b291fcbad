/* SPDX-License-Identifier: Apache-2.0 */
#include "procstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t
now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool
loadgen_proc_sample(int pid, LoadgenProcSample *out)
{
  char path[64], buf[4096];
  FILE *f;
  size_t n;

  memset(out, 0, sizeof *out);
  out->at_us = now_us();
  if (pid > 0)
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
  else
    snprintf(path, sizeof path, "/proc/self/stat");
  if (!(f = fopen(path, "r")))
    return false;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* the command name may hold spaces and parentheses: skip to the last ')' */
  char *p = strrchr(buf, ')');
  if (!p)
    return false;
  p++;
  unsigned long long utime = 0, stime = 0;
  /* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
   * majflt cmajflt utime stime */
  if (sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return false;
  long hz = sysconf(_SC_CLK_TCK);
  out->cpu_us = (int64_t)((utime + stime) * 1000000ULL / (unsigned long long)(hz > 0 ? hz : 100));

  if (pid > 0)
    snprintf(path, sizeof path, "/proc/%d/status", pid);
  else
    snprintf(path, sizeof path, "/proc/self/status");
  if (!(f = fopen(path, "r")))
    return false;
  while (fgets(buf, sizeof buf, f))
    if (strncmp(buf, "VmRSS:", 6) == 0)
      out->rss_kb = strtoll(buf + 6, NULL, 10);
    else if (strncmp(buf, "Threads:", 8) == 0)
      out->threads = strtoll(buf + 8, NULL, 10);
  fclose(f);
  out->ok = true;
  return true;
}
