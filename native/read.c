// A whole file read in one piece of work on libuv's pool. For
// /proc/PID/cmdline, which must not be read on a thread that cannot wait
// (the read takes the process's memory-map lock, held for as long as the
// process is stuck in a page fault or a huge munmap): fs.promises.readFile
// makes it five trips through the pool (open, fstat, read, read, close),
// each a wake-up of the JS thread; a node agent reads 2,000 command lines
// per collection.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "arrays.h"
#include "async.h"
#include "errors.h"
#include "read.h"

typedef struct {
  async_job job;
  char path[4096];
  char *data;
  size_t len, cap;
  int fail_errno; // 0: read whole
  const char *fail_syscall;
} read_job;

static void read_run(async_job *job) {
  read_job *r = (read_job *)job;
  int fd = open(r->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r->fail_errno = errno, r->fail_syscall = "open";
    return;
  }
  for (;;) {
    // A command line is usually far below a page; ARG_MAX bounds it at a few MiB.
    if (grow_array((void **)&r->data, &r->cap, r->len + 4096, 1, 4096) != 0) {
      r->fail_errno = ENOMEM, r->fail_syscall = "read";
      break;
    }
    ssize_t n = read(fd, r->data + r->len, r->cap - r->len);
    if (n < 0) {
      if (errno == EINTR) continue;
      r->fail_errno = errno, r->fail_syscall = "read";
      break;
    }
    if (n == 0) break;
    r->len += (size_t)n;
  }
  close(fd);
}

static napi_value read_settle(napi_env env, async_job *job, napi_value *error) {
  read_job *r = (read_job *)job;
  void *data = NULL;
  napi_value out;
  if (r->fail_errno) {
    *error = errno_error(env, r->fail_errno, r->fail_syscall, r->path);
    return NULL;
  }
  // Bytes, not a string: JS decodes them (as the fd walk's paths), outside this call.
  if (napi_create_arraybuffer(env, r->len, &data, &out) != napi_ok) {
    *error = errno_error(env, ENOMEM, "read", r->path);
    return NULL;
  }
  if (r->len) memcpy(data, r->data, r->len);
  return out;
}

static void read_destroy(async_job *job) {
  read_job *r = (read_job *)job;
  free(r->data);
  free(r);
}

napi_value read_file_async(napi_env env, napi_callback_info info) {
  read_job *r = job_new(env, sizeof *r, (async_job){.run = read_run, .settle = read_settle, .destroy = read_destroy});
  if (!r) return NULL;
  if (get_string_arg(env, info, r->path, sizeof r->path) != 0) {
    free(r);
    return NULL;
  }
  return job_start(env, &r->job, "sockeye:readFile");
}
