/*
 * Node-API entry points of the native float32 training kernels (see train_kernel.h).
 *
 *   conv(op, heap, params, isa?)   op 0: forward, 1: backprop input, 2: backprop filter
 *     heap    an ArrayBuffer (the tfjs wasm backend's memory, taken afresh by the caller)
 *     params  Float64Array [n, h, w, ci, oh, ow, co, kh, kw, sh, sw, padTop, padLeft,
 *                           in0, in1, out, bias, act, alpha]: byte offsets into heap of the two
 *             inputs (forward: x, W; backprop input: dY, W; backprop filter: x, dY), of the output,
 *             and of the bias (forward only, -1 for none); act and alpha as in tk_act.
 *   upsampleGrad(heap, params)   params Float64Array [n, h, w, c, fh, fw, dyOffset, dxOffset]:
 *                    the gradient of nearest-neighbour upsampling by integer factors
 *   isa()            the default code path, 'avx2' or 'scalar'
 *   supportedIsas()  every code path this CPU runs, fastest first
 *
 * The default path is the fastest the CPU supports, or PRIVEDGE_TRAIN_ISA=scalar|avx2 (refused
 * if the CPU lacks it). Every offset and size is checked against the heap before any work.
 */
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_kernel.h"

static const char *const ISA_NAMES[TK_ISA_COUNT] = {"scalar", "avx2"};

typedef struct {
  tk_isa isa;
  unsigned supported;
} tk_instance;

#define TK_CHECK(env, call)                                          \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error((env), NULL, "train_kernel: " #call " failed"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static int parse_isa(napi_env env, const tk_instance *inst, const char *name, const char *what, tk_isa *out) {
  char msg[160];
  for (int i = 0; i < TK_ISA_COUNT; i++) {
    if (strcmp(name, ISA_NAMES[i]) != 0) continue;
    if (!(inst->supported & (1u << i))) {
      snprintf(msg, sizeof msg, "train_kernel: %s=%s is not supported by this CPU", what, name);
      napi_throw_error(env, NULL, msg);
      return -1;
    }
    *out = (tk_isa)i;
    return 0;
  }
  snprintf(msg, sizeof msg, "train_kernel: %s must be scalar or avx2, got '%.40s'", what, name);
  napi_throw_range_error(env, NULL, msg);
  return -1;
}

/* Checks that [offset, offset + 4·count) lies in the heap, 4-byte aligned; returns its address. */
static float *heap_span(napi_env env, char *heap, size_t heap_len, double offset, size_t count, const char *what) {
  char msg[160];
  if (!(offset >= 0) || offset != (double)(size_t)offset || ((size_t)offset & 3u) != 0 ||
      (size_t)offset > heap_len || count > (heap_len - (size_t)offset) / 4) {
    snprintf(msg, sizeof msg, "train_kernel: %s (offset %.0f, %zu floats) is outside the heap of %zu bytes", what,
             offset, count, heap_len);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  return (float *)(heap + (size_t)offset);
}

static int overlaps(const float *a, size_t na, const float *b, size_t nb) {
  return a < b + nb && b < a + na;
}

static napi_value js_conv(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  tk_instance *inst;
  TK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  TK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "train_kernel: conv(op, heap, params, isa?) needs 3 arguments");
    return NULL;
  }
  int32_t op;
  void *heap;
  size_t heap_len, plen;
  napi_typedarray_type type;
  double *p;
  napi_value ab;
  size_t boff;
  if (napi_get_value_int32(env, argv[0], &op) != napi_ok || op < 0 || op > 2) {
    napi_throw_range_error(env, NULL, "train_kernel: op must be 0, 1 or 2");
    return NULL;
  }
  if (napi_get_arraybuffer_info(env, argv[1], &heap, &heap_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "train_kernel: heap must be an ArrayBuffer");
    return NULL;
  }
  if (napi_get_typedarray_info(env, argv[2], &type, &plen, (void **)&p, &ab, &boff) != napi_ok ||
      type != napi_float64_array || plen != 19) {
    napi_throw_type_error(env, NULL, "train_kernel: params must be a Float64Array of 19 numbers");
    return NULL;
  }
  tk_isa isa = inst->isa;
  if (argc > 3) {
    napi_valuetype t;
    TK_CHECK(env, napi_typeof(env, argv[3], &t));
    if (t != napi_undefined) {
      char name[48];
      size_t len;
      if (napi_get_value_string_utf8(env, argv[3], name, sizeof name, &len) != napi_ok) {
        napi_throw_type_error(env, NULL, "train_kernel: isa must be a string");
        return NULL;
      }
      if (parse_isa(env, inst, name, "isa", &isa) != 0) return NULL;
    }
  }
  for (int i = 0; i < 13; i++) {
    if (!(p[i] >= (i < 11 ? 1 : 0)) || p[i] > 1e9 || p[i] != (double)(long)p[i]) {
      napi_throw_range_error(env, NULL, "train_kernel: geometry values must be positive integers (padding >= 0)");
      return NULL;
    }
  }
  const tk_geom g = {(size_t)p[0], (size_t)p[1], (size_t)p[2], (size_t)p[3], (size_t)p[4], (size_t)p[5],
                     (size_t)p[6], (size_t)p[7], (size_t)p[8], (size_t)p[9], (size_t)p[10], (long)p[11],
                     (long)p[12]};
  if (p[0] * p[1] * p[2] * p[3] > 1e12 || p[0] * p[4] * p[5] * p[6] > 1e12 || p[7] * p[8] * p[3] * p[6] > 1e12) {
    napi_throw_range_error(env, NULL, "train_kernel: tensor sizes out of range");
    return NULL;
  }
  const size_t nx = g.n * g.h * g.w * g.ci, ny = g.n * g.oh * g.ow * g.co, nw = g.kh * g.kw * g.ci * g.co;
  const size_t sizes[3][3] = {{nx, nw, ny}, {ny, nw, nx}, {nx, ny, nw}};
  static const char *const names[3][3] = {{"x", "filter", "y"}, {"dy", "filter", "dx"}, {"x", "dy", "dw"}};
  char *base = heap;
  const float *in0 = heap_span(env, base, heap_len, p[13], sizes[op][0], names[op][0]);
  if (in0 == NULL) return NULL;
  const float *in1 = heap_span(env, base, heap_len, p[14], sizes[op][1], names[op][1]);
  if (in1 == NULL) return NULL;
  float *out = heap_span(env, base, heap_len, p[15], sizes[op][2], names[op][2]);
  if (out == NULL) return NULL;
  const float *bias = NULL;
  if (op == 0 && p[16] >= 0) {
    bias = heap_span(env, base, heap_len, p[16], g.co, "bias");
    if (bias == NULL) return NULL;
  }
  if (overlaps(out, sizes[op][2], in0, sizes[op][0]) || overlaps(out, sizes[op][2], in1, sizes[op][1]) ||
      (bias != NULL && overlaps(out, sizes[op][2], bias, g.co))) {
    napi_throw_range_error(env, NULL, "train_kernel: the output must not overlap an input");
    return NULL;
  }
  const int act = (int)p[17];
  if (op == 0 && (act < TK_LINEAR || act > TK_ELU || (double)act != p[17])) {
    napi_throw_range_error(env, NULL, "train_kernel: unknown activation code");
    return NULL;
  }
  int status;
  if (op == 0) status = tk_conv_forward(isa, &g, in0, in1, bias, (tk_act)act, (float)p[18], out);
  else if (op == 1) status = tk_conv_backprop_input(isa, &g, in0, in1, out);
  else status = tk_conv_backprop_filter(isa, &g, in0, in1, out);
  if (status != 0) napi_throw_error(env, NULL, "train_kernel: out of memory for packing buffers");
  return NULL;
}

static napi_value js_upsample_grad(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *heap;
  size_t heap_len, plen, boff;
  napi_typedarray_type type;
  double *p;
  napi_value ab;
  TK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_arraybuffer_info(env, argv[0], &heap, &heap_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "train_kernel: upsampleGrad(heap, params): heap must be an ArrayBuffer");
    return NULL;
  }
  if (napi_get_typedarray_info(env, argv[1], &type, &plen, (void **)&p, &ab, &boff) != napi_ok ||
      type != napi_float64_array || plen != 8) {
    napi_throw_type_error(env, NULL, "train_kernel: upsampleGrad params must be a Float64Array of 8 numbers");
    return NULL;
  }
  for (int i = 0; i < 6; i++) {
    if (!(p[i] >= 1) || p[i] > 1e9 || p[i] != (double)(long)p[i]) {
      napi_throw_range_error(env, NULL, "train_kernel: upsampleGrad sizes must be positive integers");
      return NULL;
    }
  }
  if (p[0] * p[1] * p[2] * p[3] * p[4] * p[5] > 1e12) {
    napi_throw_range_error(env, NULL, "train_kernel: tensor sizes out of range");
    return NULL;
  }
  const size_t n = (size_t)p[0], h = (size_t)p[1], w = (size_t)p[2], c = (size_t)p[3], fh = (size_t)p[4],
               fw = (size_t)p[5];
  const size_t nx = n * h * w * c, ny = nx * fh * fw;
  const float *dy = heap_span(env, heap, heap_len, p[6], ny, "dy");
  if (dy == NULL) return NULL;
  float *dx = heap_span(env, heap, heap_len, p[7], nx, "dx");
  if (dx == NULL) return NULL;
  if (overlaps(dx, nx, dy, ny)) {
    napi_throw_range_error(env, NULL, "train_kernel: the output must not overlap an input");
    return NULL;
  }
  tk_upsample_grad(n, h, w, c, fh, fw, dy, dx);
  return NULL;
}

static napi_value js_isa(napi_env env, napi_callback_info info) {
  (void)info;
  tk_instance *inst;
  napi_value result;
  TK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  TK_CHECK(env, napi_create_string_utf8(env, ISA_NAMES[inst->isa], NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value js_supported_isas(napi_env env, napi_callback_info info) {
  (void)info;
  tk_instance *inst;
  napi_value result, item;
  uint32_t count = 0;
  TK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  TK_CHECK(env, napi_create_array(env, &result));
  for (int i = TK_ISA_COUNT - 1; i >= 0; i--) {
    if (!(inst->supported & (1u << i))) continue;
    TK_CHECK(env, napi_create_string_utf8(env, ISA_NAMES[i], NAPI_AUTO_LENGTH, &item));
    TK_CHECK(env, napi_set_element(env, result, count++, item));
  }
  return result;
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  tk_instance *inst = malloc(sizeof *inst);
  if (inst == NULL) {
    napi_throw_error(env, NULL, "train_kernel: out of memory");
    return NULL;
  }
  inst->supported = tk_supported_isas();
  inst->isa = (inst->supported & (1u << TK_AVX2)) ? TK_AVX2 : TK_SCALAR;
  const char *env_isa = getenv("PRIVEDGE_TRAIN_ISA");
  if (env_isa != NULL && env_isa[0] != '\0' && parse_isa(env, inst, env_isa, "PRIVEDGE_TRAIN_ISA", &inst->isa) != 0) {
    free(inst);
    return NULL;
  }
  if (napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
    free(inst);
    napi_throw_error(env, NULL, "train_kernel: napi_set_instance_data failed");
    return NULL;
  }
  const napi_property_descriptor props[] = {
      {"conv", NULL, js_conv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"upsampleGrad", NULL, js_upsample_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isa", NULL, js_isa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"supportedIsas", NULL, js_supported_isas, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  TK_CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
