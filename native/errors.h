// Errors and arguments shared by the addon's C files (fd.c, read.c): what
// they throw or reject with is shaped like Node's fs errors.
#pragma once
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>

// errno → Node's code and libuv's description (what readdirSync/readlinkSync
// would say); a fixed table, since strerror() is not thread-safe for all values.
static const struct {
  int e;
  const char *code, *desc;
} ERRNOS[] = {
    {ENOENT, "ENOENT", "no such file or directory"}, {ESRCH, "ESRCH", "no such process"},
    {ENOTDIR, "ENOTDIR", "not a directory"},         {EACCES, "EACCES", "permission denied"},
    {EPERM, "EPERM", "operation not permitted"},     {EMFILE, "EMFILE", "too many open files"},
    {ENFILE, "ENFILE", "file table overflow"},       {ENOMEM, "ENOMEM", "not enough memory"},
    {EINVAL, "EINVAL", "invalid argument"},          {ELOOP, "ELOOP", "too many symbolic links encountered"},
    {ENAMETOOLONG, "ENAMETOOLONG", "name too long"}, {EIO, "EIO", "i/o error"},
};

// An Error shaped like Node's fs errors (code, errno, syscall, path), so
// failureKind() and the problem messages treat both paths alike.
static inline napi_value errno_error(napi_env env, int e, const char *syscall, const char *path) {
  const char *code = "UNKNOWN", *desc = "unknown error";
  for (size_t i = 0; i < sizeof ERRNOS / sizeof ERRNOS[0]; i++)
    if (ERRNOS[i].e == e) code = ERRNOS[i].code, desc = ERRNOS[i].desc;
  char msg[4600];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code, desc, syscall, path);
  napi_value jcode, jmsg, err, v;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_error(env, jcode, jmsg, &err);
  napi_create_int32(env, -e, &v);
  napi_set_named_property(env, err, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "syscall", v);
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "path", v);
  return err;
}

// The first argument, a string, into buf; -1 (a JS exception pending) when it is none or too long.
static inline int get_string_arg(napi_env env, napi_callback_info info, char *buf, size_t size) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "expected a string argument");
    return -1;
  }
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], buf, size, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string argument");
    return -1;
  }
  if (len + 1 >= size) {
    napi_throw_range_error(env, NULL, "path too long");
    return -1;
  }
  return 0;
}

