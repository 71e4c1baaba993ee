{
  "targets": [
    {
      "target_name": "fedtune_native_crypto",
      "sources": ["src/aes-ctr.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11"] }
    }
  ]
}
