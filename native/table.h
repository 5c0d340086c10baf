// Distinct byte strings with their counts, in first-seen order: an array of
// entries plus an open-addressing index into it. fd.c counts paths with it,
// diag.c numbers the peers of the sockets it keeps.
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrays.h"

typedef struct {
  char *s;
  size_t n;
  uint64_t hash;
  double count;
} byte_entry;

typedef struct {
  byte_entry *e;
  size_t len, cap;
  uint32_t *slots; // entry index + 1; 0 = empty
  size_t nslots;
} byte_table;

static inline uint64_t fnv1a(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

static inline int table_rehash(byte_table *t, size_t nslots) {
  uint32_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return -1;
  for (size_t i = 0; i < t->len; i++) {
    size_t j = t->e[i].hash & (nslots - 1);
    while (slots[j]) j = (j + 1) & (nslots - 1);
    slots[j] = (uint32_t)(i + 1);
  }
  free(t->slots);
  t->slots = slots;
  t->nslots = nslots;
  return 0;
}

// Counts one more of s[0, n); returns its entry's index, or -1 when out of memory.
static inline long table_add(byte_table *t, const char *s, size_t n) {
  if ((t->len + 1) * 2 > t->nslots && table_rehash(t, t->nslots ? t->nslots * 2 : 64) != 0) return -1;
  uint64_t h = fnv1a(s, n);
  size_t j = h & (t->nslots - 1);
  for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
    byte_entry *e = &t->e[t->slots[j] - 1];
    if (e->hash == h && e->n == n && memcmp(e->s, s, n) == 0) {
      e->count++;
      return (long)(t->slots[j] - 1);
    }
  }
  if (grow_array((void **)&t->e, &t->cap, t->len + 1, sizeof *t->e, 16) != 0) return -1;
  char *copy = malloc(n ? n : 1);
  if (!copy) return -1;
  memcpy(copy, s, n);
  t->e[t->len] = (byte_entry){copy, n, h, 1};
  t->slots[j] = (uint32_t)(++t->len);
  return (long)(t->len - 1);
}

// Total bytes of the entries, for one buffer holding them all.
static inline size_t table_bytes(const byte_table *t) {
  size_t bytes = 0;
  for (size_t i = 0; i < t->len; i++) bytes += t->e[i].n;
  return bytes;
}

static inline void table_free(byte_table *t) {
  for (size_t i = 0; i < t->len; i++) free(t->e[i].s);
  free(t->e);
  free(t->slots);
}
