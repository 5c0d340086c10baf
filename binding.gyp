{
  "targets": [
    {
      "target_name": "sockeye_fd",
      "sources": ["native/fd.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
