// sock_diag queries of the addon (native/diag.c), registered by fd.c's module init.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>

// listeners() → Float64Array of (inode, accept queue, backlog) triples, one per TCP listener in this network namespace.
napi_value diag_listeners(napi_env env, napi_callback_info info);
