/* SPDX-License-Identifier: Apache-2.0 */
#include "epoll_poll.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#define RESYNC_MS 250
#define MAX_EVENTS 1024
#define WATCHED (G_IO_IN | G_IO_PRI | G_IO_OUT) /* = EPOLLIN | EPOLLPRI | EPOLLOUT */

/* Per descriptor number. */
typedef struct {
  guint32 want;  /* this iteration: the events of every entry with this fd */
  guint32 reg;   /* what epoll has */
  gint first;    /* this iteration: the first entry with this fd, or -1 */
  gboolean registered, seen;
  gboolean bad;    /* closed: G_IO_NVAL */
  gboolean always; /* not pollable (a regular file): always ready */
} Slot;

static struct {
  GMainContext *ctx;
  int epfd;
  Slot *slots;   /* by fd */
  guint n_slots;
  gint *next;    /* by entry: the next entry with the same fd, or -1 */
  guint n_next;
  GArray *live;  /* int: the fds registered after the last iteration */
  GArray *seen;  /* int: this iteration's fds */
  gint64 last_resync_us;
} ep = {.epfd = -1};

static Slot *
slot_for(int fd)
{
  if ((guint)fd >= ep.n_slots) {
    guint n = MAX(ep.n_slots * 2, (guint)fd + 64);
    ep.slots = g_renew(Slot, ep.slots, n);
    for (guint i = ep.n_slots; i < n; i++)
      ep.slots[i] = (Slot){.first = -1};
    ep.n_slots = n;
  }
  return &ep.slots[fd];
}

/* Tells epoll what @s wants; @force: register again even if unchanged. */
static void
sync_slot(int fd, Slot *s, gboolean force)
{
  struct epoll_event ev = {.events = s->want & WATCHED, .data.fd = fd};
  if (s->registered && s->reg == ev.events && !force)
    return;
  int op = s->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  int rc = epoll_ctl(ep.epfd, op, fd, &ev);
  if (rc < 0 && errno == ENOENT) /* closed and reopened since: dropped by the kernel */
    rc = epoll_ctl(ep.epfd, EPOLL_CTL_ADD, fd, &ev);
  else if (rc < 0 && errno == EEXIST)
    rc = epoll_ctl(ep.epfd, EPOLL_CTL_MOD, fd, &ev);
  s->always = rc < 0 && errno == EPERM;
  s->bad = rc < 0 && !s->always;
  s->registered = rc == 0;
  s->reg = ev.events;
}

static gint
epoll_poll(GPollFD *fds, guint nfds, gint timeout_ms)
{
  struct epoll_event events[MAX_EVENTS];
  gint64 now = g_get_monotonic_time();
  gboolean resync = now - ep.last_resync_us >= (gint64)RESYNC_MS * 1000;
  gint ready = 0;

  if (nfds > ep.n_next) {
    ep.n_next = MAX(nfds, ep.n_next * 2);
    ep.next = g_renew(gint, ep.next, ep.n_next);
  }
  /* what GLib wants this time, several entries per fd merged */
  g_array_set_size(ep.seen, 0);
  for (guint i = 0; i < nfds; i++) {
    fds[i].revents = 0;
    ep.next[i] = -1;
    if (fds[i].fd < 0)
      continue;
    Slot *s = slot_for(fds[i].fd);
    if (s->first < 0) {
      s->want = 0;
      s->seen = TRUE;
      g_array_append_val(ep.seen, fds[i].fd);
    } else {
      ep.next[i] = s->first;
    }
    s->first = (gint)i;
    s->want |= fds[i].events;
  }
  /* gone since the last time: out of epoll (an error only says it was
   * closed already, which removed it) */
  for (guint i = 0; i < ep.live->len; i++) {
    int fd = g_array_index(ep.live, int, i);
    Slot *s = &ep.slots[fd];
    if (!s->seen && s->registered) {
      epoll_ctl(ep.epfd, EPOLL_CTL_DEL, fd, NULL);
      s->registered = FALSE;
    }
  }
  g_array_set_size(ep.live, 0);
  gboolean instant = FALSE; /* something to report without waiting */
  for (guint i = 0; i < ep.seen->len; i++) {
    int fd = g_array_index(ep.seen, int, i);
    Slot *s = &ep.slots[fd];
    sync_slot(fd, s, resync);
    if (s->registered)
      g_array_append_val(ep.live, fd);
    instant |= s->bad || s->always;
  }
  if (resync)
    ep.last_resync_us = now;

  int timeout = timeout_ms < 0 || timeout_ms > RESYNC_MS ? RESYNC_MS : timeout_ms;
  if (instant)
    timeout = 0;
  int n = epoll_wait(ep.epfd, events, MAX_EVENTS, timeout);
  int saved = errno;
  for (int k = 0; k < n; k++) {
    Slot *s = &ep.slots[events[k].data.fd];
    for (gint i = s->first; i >= 0; i = ep.next[i])
      fds[i].revents = (gushort)(events[k].events & (fds[i].events | G_IO_ERR | G_IO_HUP));
  }
  for (guint i = 0; i < ep.seen->len; i++) {
    Slot *s = &ep.slots[g_array_index(ep.seen, int, i)];
    for (gint j = s->first; j >= 0 && (s->bad || s->always); j = ep.next[j])
      fds[j].revents = s->bad ? G_IO_NVAL : (gushort)(fds[j].events & (G_IO_IN | G_IO_OUT));
    s->first = -1;
    s->seen = FALSE;
  }
  if (n < 0) {
    errno = saved; /* EINTR: GLib tries again */
    return -1;
  }
  for (guint i = 0; i < nfds; i++)
    if (fds[i].revents)
      ready++;
  return ready;
}

gboolean
epoll_poll_install(GMainContext *ctx)
{
  if (ep.ctx)
    return FALSE;
  ep.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (ep.epfd < 0)
    return FALSE;
  ep.live = g_array_new(FALSE, FALSE, sizeof(int));
  ep.seen = g_array_new(FALSE, FALSE, sizeof(int));
  ep.ctx = ctx ? ctx : g_main_context_default();
  g_main_context_set_poll_func(ep.ctx, epoll_poll);
  return TRUE;
}
