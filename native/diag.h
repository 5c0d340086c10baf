// sock_diag queries of the addon (native/diag.c), registered by fd.c's module init.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>

#include "arrays.h"
#include "table.h"

// listeners() → Float64Array of (inode, accept queue, backlog) triples, one per TCP listener in this network namespace.
napi_value diag_listeners(napi_env env, napi_callback_info info);

// Doubles per socket in tcpSockets()' rows: inode, family (4 or 6), state, rqueue, wqueue, local port, peer index or -1.
#define TCP_DUMP_FIELDS 7

// One dump of the TCP sockets whose inode is wanted; the run part makes no N-API call, so it can run off the JS thread.
typedef struct {
  uint32_t *wanted; // sorted by tcp_dump_run
  size_t nwanted;
  doubles rows;
  byte_table peers; // 16-byte addresses
} tcp_dump;

int tcp_dump_wanted(tcp_dump *d, const double *inodes, size_t n);
int tcp_dump_arg(napi_env env, napi_value arg, tcp_dump *d);
int tcp_dump_run(tcp_dump *d);
napi_value tcp_dump_result(napi_env env, tcp_dump *d);
void tcp_dump_free(tcp_dump *d);

// tcpSockets(wanted: Float64Array) → { rows: Float64Array (TCP_DUMP_FIELDS per socket), peers: ArrayBuffer (16 bytes per peer) }.
napi_value diag_tcp_sockets(napi_env env, napi_callback_info info);
// tcpSocketsAsync(wanted): a promise of the same, the dump done on libuv's pool.
napi_value diag_tcp_sockets_async(napi_env env, napi_callback_info info);
