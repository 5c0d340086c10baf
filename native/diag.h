// sock_diag queries of the addon (native/diag.c), registered by fd.c's module init.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>

// Doubles per socket in tcpSelect()'s rows: inode, family (4 or 6), state, rqueue, wqueue, local port, peer index or -1.
#define TCP_DUMP_FIELDS 7

// tcpDumpAsync() → a promise of a dump of every TCP socket a process can hold (an opaque
// external), the dump done on libuv's pool.
napi_value diag_tcp_dump_async(napi_env env, napi_callback_info info);
// tcpSelect(dump, wanted: Float64Array) → { rows: Float64Array (TCP_DUMP_FIELDS per socket),
// peers: ArrayBuffer (16 bytes per peer) }: the wanted sockets of the dump, which is then freed.
napi_value diag_tcp_select(napi_env env, napi_callback_info info);
