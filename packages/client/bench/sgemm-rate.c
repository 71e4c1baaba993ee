// The machine's dense float32 matmul rate: OpenBLAS's cblas_sgemm on n x n row-major matrices
// with the thread count given, median of `reps` timed runs of at least 0.3 s each. Prints GFLOP/s
// (2 n^3 per product). Usage: sgemm-rate N THREADS REPS. The benchmark compiles it in its setup.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void openblas_set_num_threads(int num_threads);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: sgemm-rate N THREADS REPS\n");
    return 2;
  }
  const int n = atoi(argv[1]), threads = atoi(argv[2]), reps = atoi(argv[3]);
  if (n < 1 || n > 8192 || threads < 1 || reps < 1 || reps > 99) {
    fprintf(stderr, "sgemm-rate: N in [1, 8192], THREADS >= 1, REPS in [1, 99]\n");
    return 2;
  }
  openblas_set_num_threads(threads);
  const size_t size = (size_t)n * n;
  float *a = malloc(size * sizeof(float)), *b = malloc(size * sizeof(float)), *c = malloc(size * sizeof(float));
  if (!a || !b || !c) return 1;
  for (size_t i = 0; i < size; i++) {
    a[i] = (float)(i % 7) * 0.1f;
    b[i] = (float)(i % 5) * 0.2f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
  double rates[99];
  for (int r = 0; r < reps; r++) {
    int count = 0;
    const double t0 = now();
    do {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
      count++;
    } while (now() - t0 < 0.3);
    rates[r] = 2.0 * n * n * n * count / (now() - t0) / 1e9;
  }
  qsort(rates, reps, sizeof(double), cmp);
  printf("%.2f\n", rates[reps / 2]);
  free(a);
  free(b);
  free(c);
  return 0;
}
