// sockeye_fd: the walk of /proc/PID/fd at the C floor's cost. Node has no
// readlinkat, so readlinkSync on /proc/PID/fd/N makes the kernel resolve the
// whole path for every fd; here readdir + readlinkat(dirfd, "N") is the same
// system work as bench/floor/floor.c, and the per-fd summary (kinds, socket
// inodes, counts per path) is built without a JS string per fd.
//
// The classification mirrors classifyFdLink/socketInode in
// src/procfs/pid/fd.ts, which stay the reference: test/integration/fd-native
// asserts both agree on real processes and on every link shape.
//
// Stateless and context-aware (NAPI_MODULE_INIT): safe in worker threads.
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "errors.h"
#include "read.h"
#include "arrays.h"
#include "async.h"
#include "table.h"

// Bumped whenever the JS-visible shape changes: the loader refuses a stale build.
#define SOCKEYE_FD_ABI 8

// Same order as FD_TYPES in src/procfs/pid/fd.ts.
enum { T_FILE, T_SOCKET, T_PIPE, T_ANON, T_EVENTFD, T_EVENTPOLL, T_TIMERFD, T_SIGNALFD, T_INOTIFY, T_DEVICE, T_OTHER, T_COUNT };

static int starts(const char *s, size_t n, const char *prefix, size_t pn) { return n >= pn && memcmp(s, prefix, pn) == 0; }
static int equals(const char *s, size_t n, const char *lit) { return strlen(lit) == n && memcmp(s, lit, n) == 0; }

static int classify(const char *s, size_t n) {
  if (n > 0 && s[0] == '/') return starts(s, n, "/dev/", 5) ? T_DEVICE : T_FILE;
  if (starts(s, n, "socket:[", 8)) return T_SOCKET;
  if (starts(s, n, "pipe:[", 6)) return T_PIPE;
  if (starts(s, n, "anon_inode:", 11)) {
    const char *a = s + 11;
    size_t an = n - 11;
    if (equals(a, an, "[eventfd]")) return T_EVENTFD;
    if (equals(a, an, "[eventpoll]")) return T_EVENTPOLL;
    if (equals(a, an, "[timerfd]")) return T_TIMERFD;
    if (equals(a, an, "[signalfd]")) return T_SIGNALFD;
    if (equals(a, an, "inotify") || equals(a, an, "[inotify]")) return T_INOTIFY;
    return T_ANON;
  }
  return T_OTHER;
}

// "socket:[N]" with N decimal and a safe integer (≤ 2^53-1, exact in a double); else -1.
static double socket_inode(const char *s, size_t n) {
  if (n < 10 || !starts(s, n, "socket:[", 8) || s[n - 1] != ']') return -1;
  uint64_t v = 0;
  for (size_t i = 8; i < n - 1; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    if (v > (UINT64_C(9007199254740991) - (uint64_t)(s[i] - '0')) / 10) return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  return (double)v;
}

// Like failureKind(): an fd closed (or the process gone) between readdir and readlinkat.
static int vanished(int e) { return e == ENOENT || e == ESRCH || e == ENOTDIR; }

// One walk of an fd directory: run() makes no N-API call, so it can run on
// libuv's pool (walkAsync) as well as on the calling thread (walk).
typedef struct {
  async_job job;
  char dir[4096];
  double types[T_COUNT];
  double count, skipped;
  doubles inodes;
  byte_table paths;
  int fail_errno; // 0: the walk succeeded
  const char *fail_syscall;
  char fail_path[4096 + 256 + 2];
} walk_job;

static void walk_run(async_job *job) {
  walk_job *w = (walk_job *)job;
  DIR *d = opendir(w->dir);
  if (!d) {
    w->fail_errno = errno, w->fail_syscall = "scandir", snprintf(w->fail_path, sizeof w->fail_path, "%s", w->dir);
    return;
  }
  int dfd = dirfd(d);
  char link[4097];
  struct dirent *e;
  for (;;) {
    errno = 0;
    e = readdir(d);
    if (!e) {
      if (errno) w->fail_errno = errno, w->fail_syscall = "scandir", snprintf(w->fail_path, sizeof w->fail_path, "%s", w->dir);
      break;
    }
    // Only . and .. (like readdirSync): a fixture tree's stray entry fails as it would in JS.
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    ssize_t n = readlinkat(dfd, e->d_name, link, sizeof link - 1);
    if (n < 0) {
      if (vanished(errno)) {
        w->skipped++;
        continue;
      }
      w->fail_errno = errno, w->fail_syscall = "readlink";
      snprintf(w->fail_path, sizeof w->fail_path, "%s/%s", w->dir, e->d_name);
      break;
    }
    w->count++;
    int t = classify(link, (size_t)n);
    w->types[t]++;
    int oom = 0;
    if (t == T_SOCKET) {
      double inode = socket_inode(link, (size_t)n);
      oom = inode >= 0 && doubles_push(&w->inodes, inode) != 0;
    } else if (t == T_FILE || t == T_DEVICE) {
      oom = table_add(&w->paths, link, (size_t)n) < 0;
    }
    if (oom) {
      w->fail_errno = ENOMEM, w->fail_syscall = "malloc", snprintf(w->fail_path, sizeof w->fail_path, "%s", w->dir);
      break;
    }
  }
  closedir(d);
}

// { count, skipped (listed, closed before readlinkat), types: Float64Array(T_COUNT), inodes: Float64Array,
//   pathBytes: ArrayBuffer (the paths' bytes, back to back), pathEnds: Float64Array (where each ends), pathCounts: Float64Array }
static napi_value walk_settle(napi_env env, async_job *job, napi_value *error) {
  walk_job *w = (walk_job *)job;
  if (w->fail_errno) {
    *error = errno_error(env, w->fail_errno, w->fail_syscall, w->fail_path);
    return NULL;
  }
  // Paths go back as bytes in one ArrayBuffer (outside the JS heap) with
  // their end offsets, not as strings: a string per path made here would be
  // allocated inside this one call, where the collection worker's heap
  // limit cannot stop it cleanly — thousands of long distinct paths then
  // abort the whole process instead of ending the worker. JS decodes them.
  size_t n = w->paths.len;
  double *ends = malloc((n ? n : 1) * sizeof *ends);
  double *counts = malloc((n ? n : 1) * sizeof *counts);
  void *data = NULL;
  napi_value result = NULL, pathBytes, v;
  if (!ends || !counts || napi_create_arraybuffer(env, table_bytes(&w->paths), &data, &pathBytes) != napi_ok) {
    *error = errno_error(env, ENOMEM, "malloc", w->dir);
  } else {
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
      memcpy((char *)data + at, w->paths.e[i].s, w->paths.e[i].n);
      at += w->paths.e[i].n;
      ends[i] = (double)at;
      counts[i] = w->paths.e[i].count;
    }
    napi_create_object(env, &result);
    napi_create_double(env, w->count, &v);
    napi_set_named_property(env, result, "count", v);
    napi_create_double(env, w->skipped, &v);
    napi_set_named_property(env, result, "skipped", v);
    napi_set_named_property(env, result, "types", make_f64(env, w->types, T_COUNT));
    napi_set_named_property(env, result, "inodes", make_f64(env, w->inodes.v, w->inodes.len));
    napi_set_named_property(env, result, "pathBytes", pathBytes);
    napi_set_named_property(env, result, "pathEnds", make_f64(env, ends, n));
    napi_set_named_property(env, result, "pathCounts", make_f64(env, counts, n));
  }
  free(ends);
  free(counts);
  return result;
}

static void walk_destroy(async_job *job) {
  walk_job *w = (walk_job *)job;
  free(w->inodes.v);
  table_free(&w->paths);
  free(w);
}

// A walk_job for the directory argument, or NULL (a JS exception pending).
static walk_job *walk_new(napi_env env, napi_callback_info info) {
  walk_job *w = job_new(env, sizeof *w, (async_job){.run = walk_run, .settle = walk_settle, .destroy = walk_destroy});
  if (!w) return NULL;
  if (get_string_arg(env, info, w->dir, sizeof w->dir) != 0) {
    free(w);
    return NULL;
  }
  return w;
}

// walkAsync(dir): a promise of the same, the walk done on libuv's pool.
static napi_value walk_async(napi_env env, napi_callback_info info) {
  walk_job *w = walk_new(env, info);
  return w ? job_start(env, &w->job, "sockeye:walk") : NULL;
}

// classify(link) → [type index, socket inode or -1]: the classification alone, for the agreement test.
static napi_value classify_js(napi_env env, napi_callback_info info) {
  char link[4097];
  size_t argc = 1, len;
  napi_value argv[1], out, v;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], link, sizeof link, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string argument");
    return NULL;
  }
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, classify(link, len), &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, socket_inode(link, len), &v);
  napi_set_element(env, out, 1, v);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn, abi;
  napi_create_function(env, "walkAsync", NAPI_AUTO_LENGTH, walk_async, NULL, &fn);
  napi_set_named_property(env, exports, "walkAsync", fn);
  napi_create_function(env, "classify", NAPI_AUTO_LENGTH, classify_js, NULL, &fn);
  napi_set_named_property(env, exports, "classify", fn);
  napi_create_function(env, "readFileAsync", NAPI_AUTO_LENGTH, read_file_async, NULL, &fn);
  napi_set_named_property(env, exports, "readFileAsync", fn);
  napi_create_function(env, "tcpDumpAsync", NAPI_AUTO_LENGTH, diag_tcp_dump_async, NULL, &fn);
  napi_set_named_property(env, exports, "tcpDumpAsync", fn);
  napi_create_function(env, "tcpSelect", NAPI_AUTO_LENGTH, diag_tcp_select, NULL, &fn);
  napi_set_named_property(env, exports, "tcpSelect", fn);
  napi_create_int32(env, SOCKEYE_FD_ABI, &abi);
  napi_set_named_property(env, exports, "abi", abi);
  return exports;
}
