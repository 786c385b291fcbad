/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: one WebSocket message, as the real signalling handles
 * it (ws_dispatch: strict JSON, the table of every message type, the role
 * checks, the meeting's state machines), from three connections at once:
 * an operator, a delegate with a seat and an interpreter with a seat in the
 * fr booth. The app is the real one (sig_app_new) on a database in a
 * temporary folder, the WTPF-26 sample and the demo roster, with no relay
 * (requests fail as "relay unavailable") and no sockets (what is sent is
 * dropped). scripts/fuzz runs it from the repository root. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "console.h"
#include "seat.h"

#include <glib/gstdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SigApp *app;
static WsConn *conns[3];

static WsConn *
seat(const char *badge, const char *peer)
{
  WsConn *c = ws_conn_new_detached(app, "fuzz");
  c->badge = g_strdup(badge);
  console_identify(c);
  c->console = TRUE;
  if (peer) {
    c->peer = g_strdup(peer);
    c->state = WS_JOINED;
    g_hash_table_insert(app->peers, c->peer, c);
    console_seat_joined(c);
  }
  g_hash_table_add(app->conns, c);
  return c;
}

static void
setup(void)
{
  g_autofree char *dir = g_dir_make_tmp("rostrum-fuzz-ws-XXXXXX", NULL);
  g_autofree char *ini = g_build_filename(dir, "rostrum.ini", NULL);
  g_autofree char *text = g_strdup_printf(
    "[signalling]\nroster = config/roster.csv\nmeetings_dir = config/meetings\n"
    "meeting = wtpf-26\nsession = day-1-am\ndatabase = %s/db.sqlite\n"
    "tls_cert = %s/cert.pem\ntls_key = %s/key.pem\ntoken_key_file = %s/token.key\n"
    "relay_socket = %s/no-relay.sock\nturn_urls =\n",
    dir, dir, dir, dir, dir);
  g_file_set_contents(ini, text, -1, NULL);
  GError *error = NULL;
  SigConfig *cfg = sigconfig_load(ini, &error);
  if (!cfg || !(app = sig_app_new(cfg, NULL, &error))) {
    g_printerr("fuzz_ws_message: %s\n", error ? error->message : "no app");
    __builtin_trap();
  }
  conns[0] = seat("WTPF-0008", NULL);       /* operator */
  conns[1] = seat("WTPF-0001", "p-fuzz0001"); /* delegate */
  conns[2] = seat("WTPF-0007", "p-fuzz0007"); /* interpreter:fr */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!app)
    setup();
  /* the first byte picks the sender; the rest is the message */
  WsConn *c = conns[size ? data[0] % 3 : 0];
  const char *text = size ? (const char *)data + 1 : "";
  ws_dispatch(c, text, size ? size - 1 : 0);
  /* group commits, booth time-outs: what the loop would run next */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  /* the seats the fuzzer may have ended come back for the next input */
  for (int i = 1; i < 3; i++)
    if (conns[i]->state != WS_JOINED) {
      conns[i]->state = WS_JOINED;
      g_hash_table_insert(app->peers, conns[i]->peer, conns[i]);
      console_seat_joined(conns[i]);
    }
  for (int i = 0; i < 3; i++)
    g_queue_clear_full(&conns[i]->tx, g_free);
  return 0;
}
