// N-API binding: row-major, batched single-precision GEMM (the BLAS level-3 SGEMM of Dongarra et
// al. 1990, "A set of level 3 basic linear algebra subprograms") through CBLAS on OpenBLAS, over
// memory the caller owns, e.g. a WebAssembly heap: no copies, bounds checked before any access.
#include <cblas.h>
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// OpenBLAS extensions (declared in its cblas.h; repeated so another CBLAS header still compiles).
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

#define SHAPE_CODE "FT_ERR_SHAPE"
#define MAX_DIM ((double)(1u << 30))

static bool fail_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, SHAPE_CODE, msg);
  return false;
}

static bool fail_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, SHAPE_CODE, msg);
  return false;
}

// A non-negative integer argument no larger than limit, as a double (exact below 2^53).
static bool get_count(napi_env env, napi_value v, const char *name, double limit, double *out) {
  napi_valuetype t;
  char msg[160];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    snprintf(msg, sizeof msg, "sgemm: %s must be a number", name);
    return fail_type(env, msg);
  }
  double d;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0 && d <= limit && floor(d) == d)) {
    snprintf(msg, sizeof msg, "sgemm: %s must be an integer in [0, %.0f], got %g", name, limit, d);
    return fail_range(env, msg);
  }
  *out = d;
  return true;
}

static bool get_flag(napi_env env, napi_value v, const char *name, bool *out) {
  napi_valuetype t;
  char msg[120];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) {
    snprintf(msg, sizeof msg, "sgemm: %s must be a boolean", name);
    return fail_type(env, msg);
  }
  napi_get_value_bool(env, v, out);
  return true;
}

// The bytes of an ArrayBuffer, or of a typed array's view (its byteOffset already applied).
static bool get_memory(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  bool is;
  napi_is_arraybuffer(env, v, &is);
  if (is) {
    void *p;
    napi_get_arraybuffer_info(env, v, &p, length);
    *data = p;
    return true;
  }
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value buffer;
    void *p;
    napi_get_typedarray_info(env, v, &type, &count, &p, &buffer, &offset);
    if (type != napi_float32_array) return fail_type(env, "sgemm: memory must be an ArrayBuffer or a Float32Array");
    *data = p;
    *length = count * sizeof(float);
    return true;
  }
  return fail_type(env, "sgemm: memory must be an ArrayBuffer or a Float32Array");
}

// [offset, offset + 4 * extent) must lie in the memory and be float-aligned.
static bool check_span(napi_env env, const char *name, double offset, double extent, size_t length) {
  char msg[200];
  if (fmod(offset, 4) != 0) {
    snprintf(msg, sizeof msg, "sgemm: %s offset %.0f is not a multiple of 4 bytes", name, offset);
    return fail_range(env, msg);
  }
  if (offset + 4 * extent > (double)length) {
    snprintf(msg, sizeof msg, "sgemm: %s needs bytes [%.0f, %.0f) but the memory holds %zu", name, offset, offset + 4 * extent, length);
    return fail_range(env, msg);
  }
  return true;
}

static bool overlaps(double a0, double a1, double b0, double b1) {
  return a0 < b1 && b0 < a1;
}

// sgemm(memory, transposeA, transposeB, m, n, k, aOffset, bOffset, cOffset, batch, aStride, bStride)
// For i < batch: C_i = op(A_i) op(B_i), row-major; A_i starts aOffset + 4 i aStride bytes in (a
// stride of 0 broadcasts one matrix), likewise B_i; C_i are packed [m, n] matrices from cOffset.
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 12) {
    fail_type(env, "sgemm: expected 12 arguments (memory, transposeA, transposeB, m, n, k, aOffset, bOffset, cOffset, batch, aStride, bStride)");
    return NULL;
  }
  uint8_t *mem;
  size_t length;
  bool ta, tb;
  double m, n, k, ao, bo, co, batch, as, bs;
  if (!get_memory(env, argv[0], &mem, &length) || !get_flag(env, argv[1], "transposeA", &ta) || !get_flag(env, argv[2], "transposeB", &tb) ||
      !get_count(env, argv[3], "m", MAX_DIM, &m) || !get_count(env, argv[4], "n", MAX_DIM, &n) || !get_count(env, argv[5], "k", MAX_DIM, &k) ||
      !get_count(env, argv[6], "aOffset", 9007199254740991.0, &ao) || !get_count(env, argv[7], "bOffset", 9007199254740991.0, &bo) ||
      !get_count(env, argv[8], "cOffset", 9007199254740991.0, &co) || !get_count(env, argv[9], "batch", MAX_DIM, &batch) ||
      !get_count(env, argv[10], "aStride", 9007199254740991.0, &as) || !get_count(env, argv[11], "bStride", 9007199254740991.0, &bs)) {
    return NULL;
  }
  if (m * k > MAX_DIM * 4 || k * n > MAX_DIM * 4 || m * n > MAX_DIM * 4) {
    fail_range(env, "sgemm: a matrix holds more than 2^32 elements");
    return NULL;
  }
  if (batch == 0 || m == 0 || n == 0) return NULL;
  if ((as != 0 && as < m * k) || (bs != 0 && bs < k * n)) {
    fail_range(env, "sgemm: a batch stride is shorter than its matrix (overlapping batches)");
    return NULL;
  }
  const double aExtent = (batch - 1) * as + m * k;
  const double bExtent = (batch - 1) * bs + k * n;
  const double cExtent = batch * m * n;
  if (!check_span(env, "A", ao, aExtent, length) || !check_span(env, "B", bo, bExtent, length) || !check_span(env, "C", co, cExtent, length)) return NULL;
  if (overlaps(co, co + 4 * cExtent, ao, ao + 4 * aExtent) || overlaps(co, co + 4 * cExtent, bo, bo + 4 * bExtent)) {
    fail_range(env, "sgemm: C overlaps A or B");
    return NULL;
  }
  const float *a = (const float *)(mem + (size_t)ao);
  const float *b = (const float *)(mem + (size_t)bo);
  float *c = (float *)(mem + (size_t)co);
  const int im = (int)m, in = (int)n, ik = (int)k;
  const int lda = ta ? im : ik;
  const int ldb = tb ? ik : in;
  for (size_t i = 0; i < (size_t)batch; i++) {
    if (k == 0) {
      memset(c + i * (size_t)(m * n), 0, sizeof(float) * (size_t)(m * n));
      continue;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, im, in, ik, 1.0f, a + i * (size_t)as, lda, b + i * (size_t)bs, ldb, 0.0f,
                c + i * (size_t)(m * n), in);
  }
  return NULL;
}

// setThreads(count): OpenBLAS's thread count for this process (every thread and worker shares it).
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double count;
  if (argc != 1 || !get_count(env, argv[0], "threads", 1024, &count)) {
    if (argc != 1) fail_type(env, "setThreads: expected one argument");
    return NULL;
  }
  if (count < 1) {
    fail_range(env, "setThreads: threads must be at least 1");
    return NULL;
  }
  openblas_set_num_threads((int)count);
  return NULL;
}

static napi_value Threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

// "OpenBLAS 0.3.21 ... (core Haswell)": what was linked and the kernels it picked for this CPU.
static napi_value Describe(napi_env env, napi_callback_info info) {
  (void)info;
  char text[512];
  snprintf(text, sizeof text, "%s (core %s)", openblas_get_config(), openblas_get_corename());
  napi_value out;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threads", NULL, Threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"describe", NULL, Describe, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
