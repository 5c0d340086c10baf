// One piece of the addon's work run on libuv's thread pool and settled as a
// Promise on the JS thread: the collection's long system calls (the fd walk,
// the sock_diag dump) then keep no JS thread waiting, so sockeye needs no
// worker thread (and no second V8 heap) to keep its event loop free.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>

typedef struct async_job async_job;
struct async_job {
  napi_async_work work;
  napi_deferred deferred;
  // On a pool thread: no N-API call allowed.
  void (*run)(async_job *job);
  // On the JS thread: the value to resolve with, or NULL with *error set to the value to reject with.
  napi_value (*settle)(napi_env env, async_job *job, napi_value *error);
  // Frees the job (it was allocated by the caller of job_start).
  void (*destroy)(async_job *job);
};

static void job_execute(napi_env env, void *data) {
  (void)env;
  async_job *job = data;
  job->run(job);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  async_job *job = data;
  napi_value value = NULL, error = NULL;
  if (status == napi_ok) value = job->settle(env, job, &error);
  if (value) {
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    if (!error) {
      napi_value msg;
      napi_create_string_utf8(env, status == napi_cancelled ? "cancelled" : "native work failed", NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, NULL, msg, &error);
    }
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  job->destroy(job);
}

// A zeroed job of `size` bytes (a struct whose first member is the async_job)
// with its functions set; NULL with a JS exception pending when out of memory.
static inline void *job_new(napi_env env, size_t size, async_job fns) {
  async_job *job = calloc(1, size);
  if (!job) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  *job = fns;
  return job;
}

// Queues the job; its promise, or NULL (the job destroyed, a JS exception pending).
static inline napi_value job_start(napi_env env, async_job *job, const char *name) {
  napi_value promise, resource_name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_create_async_work(env, NULL, resource_name, job_execute, job_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    job->destroy(job);
    napi_throw_error(env, NULL, "cannot queue native work");
    return NULL;
  }
  return promise;
}
