/* SPDX-License-Identifier: Apache-2.0 */
/* epoll_poll: a GMainContext that polls through epoll dispatches what is
 * ready and only that, merges two sources on one descriptor, reports a
 * hang-up and a closed descriptor, keeps timeouts, and recovers a
 * descriptor closed and reopened under the same number between two
 * iterations (within the resync period). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "epoll_poll.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <sys/socket.h>
#include <unistd.h>

static GMainContext *ctx;

typedef struct {
  int fd;
  int calls;
  GIOCondition last;
} Watch;

static gboolean
on_fd(gint fd, GIOCondition cond, gpointer data)
{
  Watch *w = data;
  char buf[64];
  w->calls++;
  w->last = cond;
  if (cond & G_IO_IN)
    (void)!read(fd, buf, sizeof buf);
  return G_SOURCE_CONTINUE;
}

static GSource *
watch(Watch *w, int fd, GIOCondition cond)
{
  *w = (Watch){.fd = fd};
  GSource *src = g_unix_fd_source_new(fd, cond);
  g_source_set_callback(src, G_SOURCE_FUNC(on_fd), w, NULL);
  g_source_attach(src, ctx);
  return src;
}

static void
drop(GSource *src)
{
  g_source_destroy(src);
  g_source_unref(src);
}

/* Iterates (blocking) until @done is non-zero or @ms have passed. */
static void
run_until(const int *done, int ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  while (!*done && g_get_monotonic_time() < end)
    g_main_context_iteration(ctx, TRUE);
}

static void
only_the_ready_one(void **state)
{
  enum { N = 300 };
  int pairs[N][2];
  Watch w[N];
  GSource *src[N];
  for (int i = 0; i < N; i++) {
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pairs[i]), 0);
    src[i] = watch(&w[i], pairs[i][0], G_IO_IN);
  }
  while (g_main_context_iteration(ctx, FALSE))
    ;
  assert_int_equal(write(pairs[137][1], "x", 1), 1);
  run_until(&w[137].calls, 2000);
  assert_int_equal(w[137].calls, 1);
  assert_true(w[137].last & G_IO_IN);
  for (int i = 0; i < N; i++)
    if (i != 137)
      assert_int_equal(w[i].calls, 0);
  /* level-triggered, as poll(): unread data keeps waking */
  assert_int_equal(write(pairs[5][1], "yy", 2), 2);
  run_until(&w[5].calls, 2000);
  assert_int_equal(w[5].calls, 1);
  for (int i = 0; i < N; i++) {
    drop(src[i]);
    close(pairs[i][0]);
    close(pairs[i][1]);
  }
}

static void
two_sources_one_fd_and_hangup(void **state)
{
  int p[2];
  Watch in, out;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p), 0);
  GSource *a = watch(&in, p[0], G_IO_IN);
  GSource *b = watch(&out, p[0], G_IO_OUT);
  run_until(&out.calls, 2000); /* writable at once */
  assert_true(out.last & G_IO_OUT);
  assert_int_equal(in.calls, 0);
  drop(b);
  close(p[1]); /* the peer hangs up */
  run_until(&in.calls, 2000);
  assert_true(in.last & (G_IO_HUP | G_IO_IN));
  drop(a);
  close(p[0]);
}

static void
closed_descriptor_is_nval(void **state)
{
  int p[2];
  Watch w;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p), 0);
  close(p[1]);
  int fd = p[0];
  close(fd); /* watched after close: poll() says POLLNVAL */
  GSource *src = watch(&w, fd, G_IO_IN);
  run_until(&w.calls, 2000);
  assert_int_equal(w.calls, 1);
  assert_true(w.last & G_IO_NVAL);
  drop(src);
}

/* The hazard: the same number, another socket, the same events, with no
 * poll in between: GLib's array looks the same, the kernel dropped the
 * registration. The resync brings it back within its period. */
static void
reused_number_recovers(void **state)
{
  int p[2], q[2];
  Watch a, b;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p), 0);
  GSource *sa = watch(&a, p[0], G_IO_IN);
  while (g_main_context_iteration(ctx, FALSE))
    ;
  g_main_context_iteration(ctx, FALSE); /* registered */
  int number = p[0];
  drop(sa);
  close(p[0]);
  close(p[1]);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, q), 0);
  if (q[0] != number) { /* make it the same number */
    assert_int_equal(dup2(q[0], number), number);
    close(q[0]);
    q[0] = number;
  }
  GSource *sb = watch(&b, q[0], G_IO_IN);
  assert_int_equal(write(q[1], "z", 1), 1);
  gint64 t0 = g_get_monotonic_time();
  run_until(&b.calls, 3000);
  assert_int_equal(b.calls, 1);
  assert_true(g_get_monotonic_time() - t0 < 1000 * 1000);
  drop(sb);
  close(q[0]);
  close(q[1]);
}

static gboolean
on_timeout(gpointer data)
{
  (*(int *)data)++;
  return G_SOURCE_REMOVE;
}

static void
timeouts_still_fire(void **state)
{
  int fired = 0;
  GSource *t = g_timeout_source_new(30);
  g_source_set_callback(t, on_timeout, &fired, NULL);
  g_source_attach(t, ctx);
  g_source_unref(t);
  gint64 t0 = g_get_monotonic_time();
  run_until(&fired, 2000);
  assert_int_equal(fired, 1);
  gint64 took = g_get_monotonic_time() - t0;
  assert_true(took >= 25 * 1000 && took < 500 * 1000);
}

int
main(void)
{
  ctx = g_main_context_new();
  if (!epoll_poll_install(ctx))
    return 1;
  assert_false(epoll_poll_install(NULL)); /* one context per process */
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(only_the_ready_one),
    cmocka_unit_test(two_sources_one_fd_and_hangup),
    cmocka_unit_test(closed_descriptor_is_nval),
    cmocka_unit_test(reused_number_recovers),
    cmocka_unit_test(timeouts_still_fire),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
