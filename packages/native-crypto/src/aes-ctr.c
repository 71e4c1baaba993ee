// AES-256-CTR keystream (NIST SP 800-38A) written into caller-owned memory through OpenSSL's EVP
// interface (the OpenSSL Node itself links), for fedtune's SecAgg mask PRG (Bonawitz et al. 2017 §4).
// node:crypto's cipher.update allocates and zero-fills a fresh output buffer on every call; a
// CtrStream keeps one cipher context per mask, writes in place, and can add its keystream, read as
// little-endian 32-bit words, into a Uint32Array mod 2^32 while the keystream is still in L1.
#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

// Bytes per EVP call: openssl speed's largest block. Larger pieces gain nothing measurable and the
// fused add wants its keystream, the zero input and the target's piece to fit L1 together.
#define FILL_PIECE 16384
#define ADD_PIECE 8192

// CTR encryption of zeros is the keystream; OpenSSL needs an input buffer, this one is only read.
static const unsigned char ZEROS[FILL_PIECE];

// Marks objects this addon wrapped, so a foreign wrapped object is refused instead of misread.
static const napi_type_tag STREAM_TAG = {0x6665647475e65a11ULL, 0x6165732d63747231ULL};

typedef struct {
  EVP_CIPHER_CTX *ctx;
} Stream;

#define CALL(env, expr)                                              \
  do {                                                               \
    if ((expr) != napi_ok) {                                         \
      napi_throw_error((env), NULL, "N-API call failed: " #expr);    \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static size_t element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    default:
      return 8;
  }
}

// A typed array's bytes; throws and returns 0 when `value` is not a typed array (of `want`, unless
// want is -1) or its length is not `len` bytes (unless len is 0).
static int typed_bytes(napi_env env, napi_value value, const char *name, int want, size_t len, unsigned char **data, size_t *bytes) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  if (napi_get_typedarray_info(env, value, &type, &length, &ptr, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  if (want >= 0 && type != (napi_typedarray_type)want) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  *bytes = length * element_size(type);
  if (len != 0 && *bytes != len) {
    napi_throw_range_error(env, NULL, name);
    return 0;
  }
  *data = ptr;
  return 1;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Stream *s = data;
  EVP_CIPHER_CTX_free(s->ctx);  // cleanses the key schedule; NULL is a no-op
  free(s);
}

// `this` as an open stream, or NULL after throwing.
static Stream *open_stream(napi_env env, napi_value self) {
  bool tagged = false;
  if (napi_check_object_type_tag(env, self, &STREAM_TAG, &tagged) != napi_ok || !tagged) {
    napi_throw_type_error(env, NULL, "not a CtrStream");
    return NULL;
  }
  Stream *s = NULL;
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || s == NULL) {
    napi_throw_type_error(env, NULL, "not a CtrStream");
    return NULL;
  }
  if (s->ctx == NULL) {
    napi_throw_error(env, NULL, "CtrStream is closed");
    return NULL;
  }
  return s;
}

// new CtrStream(key: Uint8Array(32), counterBlock: Uint8Array(16))
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self, target;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CALL(env, napi_get_new_target(env, info, &target));
  if (target == NULL) {
    napi_throw_type_error(env, NULL, "CtrStream must be called with new");
    return NULL;
  }
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "CtrStream(key, counterBlock) needs two arguments");
    return NULL;
  }
  unsigned char *key, *counter;
  size_t key_len, counter_len;
  if (!typed_bytes(env, argv[0], "key must be a Uint8Array of 32 bytes", napi_uint8_array, 32, &key, &key_len)) return NULL;
  if (!typed_bytes(env, argv[1], "counterBlock must be a Uint8Array of 16 bytes", napi_uint8_array, 16, &counter, &counter_len)) return NULL;
  Stream *s = calloc(1, sizeof(Stream));
  if (s == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  s->ctx = EVP_CIPHER_CTX_new();
  if (s->ctx == NULL || EVP_EncryptInit_ex(s->ctx, EVP_aes_256_ctr(), NULL, key, counter) != 1) {
    finalize(env, s, NULL);
    napi_throw_error(env, NULL, "OpenSSL refused to set up AES-256-CTR");
    return NULL;
  }
  if (napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) {
    finalize(env, s, NULL);
    napi_throw_error(env, NULL, "could not wrap the cipher context");
    return NULL;
  }
  CALL(env, napi_type_tag_object(env, self, &STREAM_TAG));
  return self;
}

// fill(out: TypedArray): writes the next out.byteLength keystream bytes into out.
static napi_value fill(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  Stream *s = open_stream(env, self);
  if (s == NULL) return NULL;
  unsigned char *out;
  size_t bytes;
  if (argc < 1 || !typed_bytes(env, argv[0], "out must be a typed array", -1, 0, &out, &bytes)) return NULL;
  for (size_t off = 0; off < bytes; off += FILL_PIECE) {
    int n = (int)(bytes - off < FILL_PIECE ? bytes - off : FILL_PIECE), written = 0;
    if (EVP_EncryptUpdate(s->ctx, out + off, &written, ZEROS, n) != 1 || written != n) {
      napi_throw_error(env, NULL, "AES-256-CTR keystream failed");
      return NULL;
    }
  }
  return NULL;
}

#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__)
__attribute__((target_clones("avx2", "default")))
#endif
static void add_or_sub(uint32_t *restrict t, const uint32_t *restrict ks, size_t n, int32_t sign) {
  // Two loops rather than one multiply by sign, so each vectorises to plain packed add / sub.
  if (sign == 1)
    for (size_t i = 0; i < n; i++) t[i] += ks[i];
  else
    for (size_t i = 0; i < n; i++) t[i] -= ks[i];
}

// addWords(target: Uint32Array, sign: 1 | -1): target[i] += sign * word i of the next
// 4 * target.length keystream bytes (little-endian), mod 2^32.
static napi_value add_words(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  Stream *s = open_stream(env, self);
  if (s == NULL) return NULL;
  unsigned char *bytes_ptr;
  size_t bytes;
  if (argc < 2 || !typed_bytes(env, argv[0], "target must be a Uint32Array", napi_uint32_array, 0, &bytes_ptr, &bytes)) return NULL;
  int32_t sign = 0;
  napi_valuetype kind;
  CALL(env, napi_typeof(env, argv[1], &kind));
  double as_double = 0;
  if (kind == napi_number) CALL(env, napi_get_value_double(env, argv[1], &as_double));
  if (kind != napi_number || (as_double != 1 && as_double != -1)) {
    napi_throw_range_error(env, NULL, "sign must be 1 or -1");
    return NULL;
  }
  sign = (int32_t)as_double;
  uint32_t *target = (uint32_t *)bytes_ptr;
  size_t words = bytes / 4;
  uint32_t ks[ADD_PIECE / 4];
  for (size_t off = 0; off < words; off += ADD_PIECE / 4) {
    size_t n = words - off < ADD_PIECE / 4 ? words - off : ADD_PIECE / 4;
    int written = 0;
    if (EVP_EncryptUpdate(s->ctx, (unsigned char *)ks, &written, ZEROS, (int)(4 * n)) != 1 || written != (int)(4 * n)) {
      napi_throw_error(env, NULL, "AES-256-CTR keystream failed");
      return NULL;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) ks[i] = __builtin_bswap32(ks[i]);
#endif
    add_or_sub(target + off, ks, n, sign);
  }
  return NULL;
}

// close(): frees the cipher context now (otherwise the garbage collector does); later calls throw.
static napi_value close_stream(napi_env env, napi_callback_info info) {
  napi_value self;
  CALL(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  Stream *s = open_stream(env, self);
  if (s == NULL) return NULL;
  EVP_CIPHER_CTX_free(s->ctx);
  s->ctx = NULL;
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor methods[] = {
      {"fill", NULL, fill, NULL, NULL, NULL, napi_default_method, NULL},
      {"addWords", NULL, add_words, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, close_stream, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_value cls, version;
  CALL(env, napi_define_class(env, "CtrStream", NAPI_AUTO_LENGTH, construct, NULL, 3, methods, &cls));
  CALL(env, napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &version));
  CALL(env, napi_set_named_property(env, exports, "CtrStream", cls));
  CALL(env, napi_set_named_property(env, exports, "openssl", version));
  return exports;
}
