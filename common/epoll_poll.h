/* SPDX-License-Identifier: Apache-2.0 */
/* A GPollFunc on epoll, for the one GMainContext of a process that watches
 * many file descriptors (signalling: a WebSocket per delegate). GLib has no
 * epoll: every loop iteration poll()s every descriptor, and in a storm of
 * 1000 re-joins that was ~57 % of signalling's CPU (perf: sock_poll,
 * tcp_poll, fdget). Here each iteration tells the kernel only what changed
 * since the last one (epoll_ctl), and epoll_wait returns only what is
 * ready; the userspace scan of GLib's array stays O(n) but costs far less.
 *
 * A descriptor closed and another opened under the same number between two
 * iterations, with the same events, looks unchanged from GLib's array, but
 * the kernel dropped the old registration at close: every RESYNC_MS the
 * whole set is registered again, and no wait lasts longer, so such a
 * descriptor waits at most that long (rare: a close and an accept in one
 * iteration) instead of forever.
 *
 * A descriptor epoll refuses (a regular file: EPERM) is reported ready, as
 * poll() does; a closed one as G_IO_NVAL. A registration outlives its
 * number's close when the file stays open through a dup: it may then wake
 * that number's new owner spuriously (harmless to non-blocking readers).
 *
 * State is per process (GPollFunc has no user data). Loop thread only. */
#pragma once

#include <glib.h>

/* Makes @ctx (NULL: the default context) poll through epoll. Returns FALSE
 * (and leaves GLib's poll) if epoll cannot be set up, or if another context
 * already has it. */
gboolean epoll_poll_install(GMainContext *ctx);
