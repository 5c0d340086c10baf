{
  "targets": [
    {
      "target_name": "sockeye_fd",
      "sources": ["native/fd.c", "native/diag.c", "native/read.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
