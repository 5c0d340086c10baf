// TCP sockets of sockeye's network namespace through NETLINK_SOCK_DIAG (what
// `ss` asks): the same rows as /proc/net/tcp and tcp6 as binary records, at a
// third of the kernel's cost of formatting them as text, with the sockets no
// process can hold (TIME_WAIT, SYN_RECV) filtered out in the kernel. A listener's
// record carries its backlog, which /proc/net/tcp does not show. One dump per family, in
// the caller's namespace (a sidecar shares its pod's); no privilege needed.
// Node cannot open a netlink socket, hence C.
#include <stdio.h>
#include <stdlib.h>

#include "arrays.h"
#include "async.h"
#include "diag.h"
#include "sockdiag.h"
#include "table.h"

typedef int (*row_fn)(const struct inet_diag_msg *m, void *ctx);

// Dumps the TCP sockets of one family in the states of `states` (a bitmask of
// 1 << TCP_*), calling row() for each; 0 or an errno (row()'s non-zero ends the dump).
static int dump_tcp(int family, uint32_t states, row_fn row, void *ctx) {
  int fd = sockdiag_request_tcp(family, states);
  if (fd < 0) return -fd;
  // 32 KiB is what the kernel fills per recv for a dump; aligned for nlmsghdr.
  // Per thread: dumps may run at once on libuv's pool and in the worker.
  static __thread long buf[32768 / sizeof(long)];
  int rc = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = errno;
      break;
    }
    if (n == 0) break;
    int done = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        done = 1;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *err = NLMSG_DATA(h);
        rc = h->nlmsg_len >= NLMSG_LENGTH(sizeof *err) && err->error ? -err->error : EIO;
        done = 1;
        break;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
      if ((rc = row(NLMSG_DATA(h), ctx)) != 0) {
        done = 1;
        break;
      }
    }
    if (done) break;
  }
  close(fd);
  return rc;
}

// Both families; no IPv6 in this kernel or namespace means no IPv6 sockets, not a failure.
static int dump_tcp_both(uint32_t states, row_fn row, void *ctx) {
  int rc = dump_tcp(AF_INET, states, row, ctx);
  if (rc == 0) {
    rc = dump_tcp(AF_INET6, states, row, ctx);
    if (rc == EAFNOSUPPORT || rc == ENOENT) rc = 0;
  }
  return rc;
}

static napi_value diag_error(napi_env env, const char *what, int rc) {
  // errno as a number: strerror() is not thread-safe and this runs off the JS thread.
  char msg[96];
  snprintf(msg, sizeof msg, "sock_diag dump of %s failed: errno %d", what, rc);
  napi_value code, text, err;
  napi_create_string_utf8(env, "ESOCKDIAG", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &err);
  return err;
}

// One dump of the TCP sockets whose inode is wanted; the run part makes no N-API call: it runs on libuv's pool.
typedef struct {
  uint32_t *wanted; // sorted by tcp_dump_run
  size_t nwanted;
  doubles rows;
  byte_table peers; // 16-byte addresses
} tcp_dump;

static void tcp_dump_free(tcp_dump *d) {
  free(d->wanted);
  free(d->rows.v);
  table_free(&d->peers);
  memset(d, 0, sizeof *d);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static int wanted_has(const tcp_dump *d, uint32_t inode) {
  size_t lo = 0, hi = d->nwanted;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (d->wanted[mid] < inode) lo = mid + 1;
    else if (d->wanted[mid] > inode) hi = mid;
    else return 1;
  }
  return 0;
}

// One kept socket: TCP_DUMP_FIELDS doubles. The peer's address is numbered
// once per distinct address (16 bytes; IPv4 as ::ffff:a.b.c.d), -1 when unconnected.
static int socket_row(const struct inet_diag_msg *m, void *ctx) {
  tcp_dump *d = ctx;
  if (!wanted_has(d, m->idiag_inode)) return 0;
  unsigned char addr[16] = {0};
  int v6 = m->idiag_family == AF_INET6;
  if (v6) memcpy(addr, m->id.idiag_dst, 16);
  else addr[10] = addr[11] = 0xff, memcpy(addr + 12, m->id.idiag_dst, 4);
  static const unsigned char zero[16] = {0};
  int connected = v6 ? memcmp(addr, zero, 16) != 0 : m->id.idiag_dst[0] != 0;
  long peer = connected ? table_add(&d->peers, (const char *)addr, 16) : -1;
  if (connected && peer < 0) return ENOMEM;
  const double row[TCP_DUMP_FIELDS] = {m->idiag_inode, v6 ? 6 : 4, m->idiag_state, m->idiag_rqueue,
                                       m->idiag_wqueue, ntohs(m->id.idiag_sport), (double)peer};
  for (int i = 0; i < TCP_DUMP_FIELDS; i++)
    if (doubles_push(&d->rows, row[i])) return ENOMEM;
  return 0;
}

static int tcp_dump_wanted(tcp_dump *d, const double *inodes, size_t n) {
  d->wanted = malloc((n ? n : 1) * sizeof *d->wanted);
  if (!d->wanted) return ENOMEM;
  // sock_diag's inodes are 32-bit: a larger one is no socket it can report.
  for (size_t i = 0; i < n; i++)
    if (inodes[i] >= 0 && inodes[i] <= UINT32_MAX) d->wanted[d->nwanted++] = (uint32_t)inodes[i];
  return 0;
}

static int tcp_dump_run(tcp_dump *d) {
  // Sorted here, not where the inodes are copied: this runs on the pool, off the JS thread.
  qsort(d->wanted, d->nwanted, sizeof *d->wanted, cmp_u32);
  return dump_tcp_both(SOCKDIAG_HELD_STATES, socket_row, d);
}

static napi_value tcp_dump_result(napi_env env, tcp_dump *d) {
  napi_value out, peers;
  void *data = NULL;
  if (napi_create_arraybuffer(env, d->peers.len * 16, &data, &peers) != napi_ok) return NULL;
  for (size_t i = 0; i < d->peers.len; i++) memcpy((char *)data + 16 * i, d->peers.e[i].s, 16);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "rows", make_f64(env, d->rows.v, d->rows.len));
  napi_set_named_property(env, out, "peers", peers);
  return out;
}

// Reads a Float64Array argument into d's wanted set; -1 (a JS exception pending) when it is not one.
static int tcp_dump_arg(napi_env env, napi_value arg, tcp_dump *d) {
  napi_typedarray_type type;
  size_t n;
  void *data;
  if (napi_get_typedarray_info(env, arg, &type, &n, &data, NULL, NULL) != napi_ok || type != napi_float64_array) {
    napi_throw_type_error(env, NULL, "expected a Float64Array of socket inodes");
    return -1;
  }
  if (tcp_dump_wanted(d, data, n) != 0) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return -1;
  }
  return 0;
}

// The Float64Array argument of tcpSocketsAsync into d's wanted set; -1 (a JS exception pending) when there is none.
static int wanted_arg(napi_env env, napi_callback_info info, tcp_dump *d) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "expected a Float64Array of socket inodes");
    return -1;
  }
  return tcp_dump_arg(env, argv[0], d);
}

typedef struct {
  async_job job;
  tcp_dump d;
  int rc;
} tcp_job;

static void tcp_job_run(async_job *job) {
  tcp_job *t = (tcp_job *)job;
  t->rc = tcp_dump_run(&t->d);
}

static napi_value tcp_job_settle(napi_env env, async_job *job, napi_value *error) {
  tcp_job *t = (tcp_job *)job;
  napi_value out = t->rc == 0 ? tcp_dump_result(env, &t->d) : NULL;
  if (!out) *error = diag_error(env, "TCP sockets", t->rc ? t->rc : ENOMEM);
  return out;
}

static void tcp_job_destroy(async_job *job) {
  tcp_job *t = (tcp_job *)job;
  tcp_dump_free(&t->d);
  free(t);
}

napi_value diag_tcp_sockets_async(napi_env env, napi_callback_info info) {
  tcp_job *t = calloc(1, sizeof *t);
  if (!t) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  t->job = (async_job){.run = tcp_job_run, .settle = tcp_job_settle, .destroy = tcp_job_destroy};
  if (wanted_arg(env, info, &t->d) != 0) {
    tcp_job_destroy(&t->job);
    return NULL;
  }
  return job_start(env, &t->job, "sockeye:tcpSockets");
}
