{
  "targets": [
    {
      "target_name": "fedtune_blas",
      "sources": ["src/blas.c"],
      "include_dirs": ["<!@(node scripts/blas-flags.mjs include)"],
      "libraries": ["<!@(node scripts/blas-flags.mjs libs)"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
