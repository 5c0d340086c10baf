// Arrays shared by the addon's C files (fd.c, diag.c): growable in C, and
// handed to JS as a Float64Array.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

// Makes room for `need` elements of `size` bytes in *v (capacity *cap),
// doubling from `first`; 0, or -1 when out of memory (*v is then unchanged).
static inline int grow_array(void **v, size_t *cap, size_t need, size_t size, size_t first) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : first;
  while (c < need) c *= 2;
  void *p = realloc(*v, c * size);
  if (!p) return -1;
  *v = p;
  *cap = c;
  return 0;
}

typedef struct {
  double *v;
  size_t len, cap;
} doubles;

static inline int doubles_push(doubles *d, double x) {
  if (grow_array((void **)&d->v, &d->cap, d->len + 1, sizeof *d->v, 256) != 0) return -1;
  d->v[d->len++] = x;
  return 0;
}

// A Float64Array holding a copy of v[0, n).
static inline napi_value make_f64(napi_env env, const double *v, size_t n) {
  void *data;
  napi_value ab, arr;
  napi_create_arraybuffer(env, n * sizeof(double), &data, &ab);
  if (n) memcpy(data, v, n * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, n, ab, 0, &arr);
  return arr;
}
