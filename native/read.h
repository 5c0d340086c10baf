// Whole-file reads of the addon (native/read.c), registered by fd.c's module init.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>

// readFileAsync(path) → a promise of the file's bytes (an ArrayBuffer): open, read to the end
// and close in one piece of work on libuv's pool.
napi_value read_file_async(napi_env env, napi_callback_info info);
