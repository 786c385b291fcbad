/* SPDX-License-Identifier: Apache-2.0 */
#include "recorder.h"

#include <errno.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ogg_writer.h"
#include "queue.h"
#include "rtp.h"
#include "stream.h"
#include "venue_rtp.h"

#define QUEUE_SLOTS 4096 /* ~8 s of floor + 16 channels */
#define TAG_ITEM (-1)
#define POLL_US 10000

typedef struct {
  FILE *f;
  OggWriter ogg;
  char *rel; /* relative to the session folder: "3/channel-fr.opus" */
  char *path;
  gint64 start_wall_us;
} RecFile;

struct Recorder {
  char *dir;
  char **names;
  unsigned n;
  AudioQueue *q;
  GThread *thread;
  gint stop;
  /* writer thread */
  char *meeting, *session, *item; /* item NULL: idle */
  gboolean failed;
  RecFile *files;
  char *session_dir;
  JsonArray *index; /* the session's entries */
  /* shared */
  GMutex lock;
  RecorderStats stats;
};

const char *
recorder_state_name(RecorderState s)
{
  switch (s) {
  case RECORDER_IDLE:
    return "idle";
  case RECORDER_RECORDING:
    return "recording";
  case RECORDER_ERROR:
    return "error";
  }
  return "?";
}

static void
set_state(Recorder *r, RecorderState st, const char *reason)
{
  g_mutex_lock(&r->lock);
  r->stats.state = st;
  g_strlcpy(r->stats.reason, reason ? reason : "", sizeof r->stats.reason);
  if (st == RECORDER_ERROR)
    r->stats.errors++;
  r->stats.generation++;
  g_mutex_unlock(&r->lock);
}

static char *
wall_text(gint64 us)
{
  g_autoptr(GDateTime) s = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autofree char *text = g_date_time_format(s, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%03dZ", text, (int)(us % G_USEC_PER_SEC / 1000));
}

/* --- the writer thread ---------------------------------------------------- */

static int
write_file(void *user, const uint8_t *data, size_t len)
{
  RecFile *file = user;
  errno = 0;
  if (fwrite(data, 1, len, file->f) != len || fflush(file->f) != 0)
    return errno ? -errno : -EIO;
  return 0;
}

/* Stops the recording: every file closed as it is, the reason kept. */
static void
fail(Recorder *r, const char *what, const char *path, int err)
{
  g_autofree char *reason = g_strdup_printf("%s %s: %s", what, path, g_strerror(err));
  g_printerr("relay: recording stopped: %s\n", reason);
  for (unsigned i = 0; i < r->n; i++) {
    RecFile *file = &r->files[i];
    if (file->f)
      fclose(file->f);
    file->f = NULL;
    g_clear_pointer(&file->rel, g_free);
    g_clear_pointer(&file->path, g_free);
  }
  r->failed = TRUE;
  set_state(r, RECORDER_ERROR, reason);
}

static void
write_index(Recorder *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "meeting");
  json_builder_add_string_value(b, r->meeting);
  json_builder_set_member_name(b, "session");
  json_builder_add_string_value(b, r->session);
  json_builder_set_member_name(b, "files");
  json_builder_add_value(b, json_node_init_array(json_node_alloc(), r->index));
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_root(gen, root);
  gsize len = 0;
  g_autofree char *text = json_generator_to_data(gen, &len);
  g_autofree char *path = g_build_filename(r->session_dir, "index.json", NULL);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, text, (gssize)len, &error))
    fail(r, "writing", path, error->code == G_FILE_ERROR_NOSPC ? ENOSPC : EIO);
}

/* The file of @i ends: its last page, and its line in the index. */
static void
close_file(Recorder *r, unsigned i)
{
  RecFile *file = &r->files[i];
  if (!file->f)
    return;
  int rc = ogg_opus_end(&file->ogg);
  if (fclose(file->f) != 0 && rc == 0)
    rc = -errno;
  file->f = NULL;
  if (rc < 0) {
    fail(r, "writing", file->path, -rc);
    return;
  }
  double duration = (double)file->ogg.granule / 48000.0;
  gint64 end_us = file->start_wall_us + (gint64)(duration * 1e6);
  g_autofree char *start = wall_text(file->start_wall_us);
  g_autofree char *end = wall_text(end_us);
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "item", r->item);
  json_object_set_string_member(o, "product", r->names[i]);
  json_object_set_string_member(o, "file", file->rel);
  json_object_set_string_member(o, "start", start);
  json_object_set_string_member(o, "end", end);
  json_object_set_double_member(o, "duration_s", duration);
  json_object_set_int_member(o, "size", (gint64)file->ogg.bytes);
  json_array_add_object_element(r->index, o);
  g_clear_pointer(&file->rel, g_free);
  g_clear_pointer(&file->path, g_free);
  g_mutex_lock(&r->lock);
  r->stats.files++;
  g_mutex_unlock(&r->lock);
}

static void
close_all(Recorder *r)
{
  gboolean any = FALSE;
  for (unsigned i = 0; i < r->n; i++) {
    any |= r->files[i].f != NULL;
    close_file(r, i);
  }
  if (any && !r->failed)
    write_index(r);
}

static void
load_index(Recorder *r)
{
  g_autofree char *path = g_build_filename(r->session_dir, "index.json", NULL);
  g_autoptr(JsonParser) p = json_parser_new();
  if (r->index)
    json_array_unref(r->index);
  r->index = NULL;
  if (g_file_test(path, G_FILE_TEST_EXISTS) && json_parser_load_from_file(p, path, NULL)) {
    JsonNode *root = json_parser_get_root(p);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *files = o ? json_object_get_member(o, "files") : NULL;
    if (files && JSON_NODE_HOLDS_ARRAY(files))
      r->index = json_array_ref(json_node_get_array(files));
  }
  if (!r->index)
    r->index = json_array_new();
}

static void
product_file_name(const char *product, char *out, size_t cap)
{
  g_strlcpy(out, product, cap);
  for (char *c = out; *c; c++)
    if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
      *c = '-';
}

static gboolean
open_file(Recorder *r, unsigned i, gint64 t_us)
{
  RecFile *file = &r->files[i];
  char base[64];
  product_file_name(r->names[i], base, sizeof base);
  g_autofree char *item_dir = g_build_filename(r->session_dir, r->item, NULL);
  if (g_mkdir_with_parents(item_dir, 0755) != 0) {
    fail(r, "creating", item_dir, errno);
    return FALSE;
  }
  /* an item visited again gets new files: channel-fr-2.opus */
  for (int k = 1; k < 1000 && !file->path; k++) {
    g_autofree char *name =
        k == 1 ? g_strdup_printf("%s.opus", base) : g_strdup_printf("%s-%d.opus", base, k);
    g_autofree char *path = g_build_filename(item_dir, name, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
      file->path = g_steal_pointer(&path);
      file->rel = g_build_filename(r->item, name, NULL);
    }
  }
  if (!file->path || !(file->f = fopen(file->path, "wb"))) {
    fail(r, "creating", file->path ? file->path : item_dir, file->path ? errno : EEXIST);
    return FALSE;
  }
  file->start_wall_us = g_get_real_time() - (g_get_monotonic_time() - t_us);
  int rc = ogg_opus_begin(&file->ogg, g_random_int(), 1, "rostrum", write_file, file);
  if (rc < 0) {
    fail(r, "writing", file->path, -rc);
    return FALSE;
  }
  return TRUE;
}

static void
take_packet(Recorder *r, const AudioQueueItem *it, const uint8_t *rtp)
{
  RtpHeader h;
  if (!r->item || r->failed || it->tag < 0 || (unsigned)it->tag >= r->n ||
      rtp_parse(rtp, it->len, &h) < 0 || h.payload_len == 0)
    return;
  const uint8_t *payload = rtp + h.header_len;
  int samples = venue_rtp_opus_samples(payload, h.payload_len);
  if (samples <= 0)
    return;
  RecFile *file = &r->files[it->tag];
  if (!file->f && !open_file(r, (unsigned)it->tag, it->t_us))
    return;
  guint64 before = file->ogg.bytes;
  int rc = ogg_opus_packet(&file->ogg, payload, h.payload_len, (unsigned)samples);
  if (rc < 0) {
    fail(r, "writing", file->path, -rc);
    return;
  }
  g_mutex_lock(&r->lock);
  r->stats.packets++;
  r->stats.bytes += file->ogg.bytes - before;
  g_mutex_unlock(&r->lock);
}

/* "meeting\0session\0item\0"; aux 0: item null. */
static void
take_item(Recorder *r, const AudioQueueItem *it, const uint8_t *data)
{
  const char *meeting = (const char *)data;
  const char *session = meeting + strlen(meeting) + 1;
  const char *item = session + strlen(session) + 1;
  if (r->item)
    close_all(r);
  g_clear_pointer(&r->item, g_free);
  r->failed = FALSE;
  if (!it->aux) { /* no item: the files are closed, the session stays as it was */
    set_state(r, RECORDER_IDLE, NULL);
    return;
  }
  if (g_strcmp0(meeting, r->meeting) != 0 || g_strcmp0(session, r->session) != 0 || !r->index) {
    g_free(r->meeting);
    g_free(r->session);
    g_free(r->session_dir);
    r->meeting = g_strdup(meeting);
    r->session = g_strdup(session);
    r->session_dir = g_build_filename(r->dir, meeting, session, NULL);
    load_index(r);
  }
  r->item = g_strdup(item);
  /* an unwritable folder shows at once, not at the first packet */
  g_autofree char *item_dir = g_build_filename(r->session_dir, item, NULL);
  if (g_mkdir_with_parents(item_dir, 0755) != 0) {
    fail(r, "creating", item_dir, errno);
    return;
  }
  g_print("relay: recording %s/%s item %s into %s\n", meeting, session, item, item_dir);
  set_state(r, RECORDER_RECORDING, NULL);
}

static gpointer
writer_thread(gpointer data)
{
  Recorder *r = data;
  uint8_t buf[AUDIO_RTP_MAX];
  AudioQueueItem it;
  for (;;) {
    gboolean stopping = g_atomic_int_get(&r->stop);
    while (audio_queue_pop(r->q, &it, buf, sizeof buf)) {
      if (it.tag == TAG_ITEM)
        take_item(r, &it, buf);
      else
        take_packet(r, &it, buf);
    }
    if (stopping)
      break;
    g_usleep(POLL_US);
  }
  close_all(r);
  return NULL;
}

/* --- the main loop's side --------------------------------------------------- */

Recorder *
recorder_new(const char *dir, const char *const *names, unsigned n_products, GError **error)
{
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    int err = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "recording_dir %s: %s", dir,
                g_strerror(err));
    return NULL;
  }
  /* a file-size limit must fail a write (EFBIG), not kill the relay */
  signal(SIGXFSZ, SIG_IGN);
  Recorder *r = g_new0(Recorder, 1);
  r->dir = g_strdup(dir);
  r->n = n_products;
  r->names = g_new0(char *, n_products + 1);
  for (unsigned i = 0; i < n_products; i++)
    r->names[i] = g_strdup(names[i]);
  r->files = g_new0(RecFile, n_products);
  r->q = audio_queue_new(QUEUE_SLOTS, AUDIO_RTP_MAX);
  g_mutex_init(&r->lock);
  r->thread = g_thread_new("rostrum-recorder", writer_thread, r);
  return r;
}

void
recorder_free(Recorder *r)
{
  if (!r)
    return;
  g_atomic_int_set(&r->stop, 1);
  g_thread_join(r->thread);
  audio_queue_free(r->q);
  for (unsigned i = 0; i < r->n; i++) {
    g_free(r->files[i].rel);
    g_free(r->files[i].path);
  }
  g_free(r->files);
  g_strfreev(r->names);
  if (r->index)
    json_array_unref(r->index);
  g_free(r->meeting);
  g_free(r->session);
  g_free(r->item);
  g_free(r->session_dir);
  g_free(r->dir);
  g_mutex_clear(&r->lock);
  g_free(r);
}

void
recorder_packet(Recorder *r, int product, const uint8_t *rtp, size_t len)
{
  if (product < 0 || (unsigned)product >= r->n)
    return;
  audio_queue_push(r->q, product, 0, rtp, len); /* full: dropped and counted */
}

void
recorder_set_item(Recorder *r, const char *meeting, const char *session, const char *item)
{
  uint8_t buf[AUDIO_RTP_MAX];
  size_t a = strlen(meeting) + 1, b = strlen(session) + 1, c = item ? strlen(item) + 1 : 1;
  if (a + b + c > sizeof buf)
    return;
  memcpy(buf, meeting, a);
  memcpy(buf + a, session, b);
  memcpy(buf + a + b, item ? item : "", c);
  /* a full queue drops it: retried until it fits, it is one line */
  for (int tries = 0;
       !audio_queue_push(r->q, TAG_ITEM, item != NULL, buf, a + b + c) && tries < 100; tries++)
    g_usleep(1000);
}

void
recorder_stats(Recorder *r, RecorderStats *out)
{
  g_mutex_lock(&r->lock);
  *out = r->stats;
  g_mutex_unlock(&r->lock);
  out->dropped += audio_queue_dropped(r->q);
}
