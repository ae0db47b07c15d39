/* N-API glue: per-instance state, argument parsing and checks, and the synchronous and
 * thread-pool runners of matmul / convMatmul.
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

/* ---------------------------------------------------------------- N-API */

typedef struct {
  rk_isa isa;         /* default path */
  unsigned supported; /* bit per rk_isa */
} rk_instance;

#define RK_CHECK(env, call)                                               \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error((env), NULL, "ring_kernel: N-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

/* Parses an ISA name into *isa; 0 on success. */
static int parse_isa(const char *name, rk_isa *isa) {
  for (int i = 0; i < RK_ISA_COUNT; i++) {
    if (strcmp(name, RK_ISA_NAMES[i]) == 0) {
      *isa = (rk_isa)i;
      return 0;
    }
  }
  return -1;
}

static void supported_list(unsigned mask, char *buf, size_t size) {
  buf[0] = '\0';
  for (int i = 0; i < RK_ISA_COUNT; i++) {
    if (!(mask & (1u << i))) continue;
    if (buf[0] != '\0') strncat(buf, ", ", size - strlen(buf) - 1);
    strncat(buf, RK_ISA_NAMES[i], size - strlen(buf) - 1);
  }
}

/* Throws unless `name` is an ISA this CPU supports; `source` names where it came from. */
static int check_isa(napi_env env, const rk_instance *inst, const char *name, const char *source,
                     rk_isa *isa) {
  char msg[256], list[64];
  supported_list(inst->supported, list, sizeof list);
  if (parse_isa(name, isa) != 0) {
    snprintf(msg, sizeof msg, "ring_kernel: %s must be scalar, avx2 or avx512, got '%.40s'", source,
             name);
    napi_throw_range_error(env, NULL, msg);
    return -1;
  }
  if (!(inst->supported & (1u << *isa))) {
    snprintf(msg, sizeof msg, "ring_kernel: %s=%s is not supported by this CPU (supported: %s)",
             source, name, list);
    napi_throw_error(env, NULL, msg);
    return -1;
  }
  return 0;
}

typedef struct {
  const uint64_t *a, *b;
  uint64_t *out;
  size_t m, k, n;
  rk_isa isa;
  int has_geom; /* convMatmul: `a` is the image, lowered by `geom` */
  rk_geom geom;
} rk_args;

/* A typed-array argument of type `want` (or `also`): its data and element count. Otherwise throws
 * a TypeError saying that `name` must be `what` (e.g. "a BigUint64Array"). */
static int get_typed(napi_env env, napi_value value, const char *name, napi_typedarray_type want,
                     napi_typedarray_type also, const char *what, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  char msg[128];
  if (napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
      napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) == napi_ok &&
      (type == want || type == also)) {
    *data = ptr;
    return 0;
  }
  snprintf(msg, sizeof msg, "ring_kernel: %s must be %s", name, what);
  napi_throw_type_error(env, NULL, msg);
  return -1;
}

/* A BigUint64Array or BigInt64Array argument: its words and their count. */
static int get_words(napi_env env, napi_value value, const char *name, uint64_t **data,
                     size_t *length) {
  return get_typed(env, value, name, napi_biguint64_array, napi_bigint64_array,
                   "a BigUint64Array", (void **)data, length);
}

/* A Uint32Array (`want` napi_uint32_array) or Int32Array (napi_int32_array) argument. */
static int get_u32(napi_env env, napi_value value, const char *name, uint32_t **data,
                   size_t *length, napi_typedarray_type want) {
  return get_typed(env, value, name, want, want,
                   want == napi_uint32_array ? "a Uint32Array" : "an Int32Array", (void **)data,
                   length);
}

/* A dimension argument: a non-negative safe integer. */
static int get_dim(napi_env env, napi_value value, const char *name, size_t *dim) {
  double x = -1;
  char msg[128];
  napi_valuetype t;
  if (napi_typeof(env, value, &t) == napi_ok && t == napi_number &&
      napi_get_value_double(env, value, &x) == napi_ok && x >= 0 && x <= 9007199254740991.0 &&
      x == (double)(uint64_t)x) {
    *dim = (size_t)x;
    return 0;
  }
  snprintf(msg, sizeof msg, "ring_kernel: %s must be a non-negative integer", name);
  napi_throw_type_error(env, NULL, msg);
  return -1;
}

static int overlaps(const uint64_t *x, size_t nx, const uint64_t *y, size_t ny) {
  return nx != 0 && ny != 0 && x < y + ny && y < x + nx;
}

/* The optional isa argument (NULL or undefined: the default path) into *isa; 0 on success. */
static int get_isa_arg(napi_env env, const rk_instance *inst, napi_value value, rk_isa *isa) {
  napi_valuetype t = napi_undefined;
  char name[16];
  size_t len = 0;
  *isa = inst->isa;
  if (value == NULL) return 0;
  napi_typeof(env, value, &t);
  if (t == napi_string &&
      napi_get_value_string_utf8(env, value, name, sizeof name, &len) == napi_ok) {
    return check_isa(env, inst, name, "isa", isa);
  }
  if (t != napi_undefined) {
    napi_throw_type_error(env, NULL, "ring_kernel: isa must be a string");
    return -1;
  }
  return 0;
}

/* Reads (a, b, m, k, n, out[, isa]) from argv into *args, throwing on any mismatch. */
static int parse_args(napi_env env, const rk_instance *inst, size_t argc, napi_value *argv,
                      rk_args *args) {
  uint64_t *a, *b, *out;
  size_t na, nb, nout, m, k, n;
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (a, b, m, k, n, out[, isa])");
    return -1;
  }
  if (get_words(env, argv[0], "a", &a, &na) || get_words(env, argv[1], "b", &b, &nb) ||
      get_dim(env, argv[2], "m", &m) || get_dim(env, argv[3], "k", &k) ||
      get_dim(env, argv[4], "n", &n) || get_words(env, argv[5], "out", &out, &nout)) {
    return -1;
  }
  /* Each length is below 2^53 (a typed array), so dividing avoids overflowing m * k. */
  const int ok_a = k == 0 ? na == 0 : (na % k == 0 && na / k == m);
  const int ok_b = n == 0 ? nb == 0 : (nb % n == 0 && nb / n == k);
  const int ok_out = n == 0 ? nout == 0 : (nout % n == 0 && nout / n == m);
  if (!ok_a || !ok_b || !ok_out) {
    char msg[200];
    snprintf(msg, sizeof msg,
             "ring_kernel: lengths a=%zu, b=%zu, out=%zu do not fit [%zu x %zu] @ [%zu x %zu]", na,
             nb, nout, m, k, k, n);
    napi_throw_range_error(env, NULL, msg);
    return -1;
  }
  if (overlaps(out, nout, a, na) || overlaps(out, nout, b, nb)) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must not overlap a or b");
    return -1;
  }
  if (get_isa_arg(env, inst, argc > 6 ? argv[6] : NULL, &args->isa) != 0) return -1;
  args->has_geom = 0;
  args->a = a;
  args->b = b;
  args->out = out;
  args->m = m;
  args->k = k;
  args->n = n;
  return 0;
}


/* Largest geometry entry accepted: keeps every index product of fill_patches far from 2^64. */
#define RK_GEOM_MAX 1048576.0

/* Reads (x, geometry, b, n, out[, isa]) from argv into *args, throwing on any mismatch. */
static int parse_conv_args(napi_env env, const rk_instance *inst, size_t argc, napi_value *argv,
                           rk_args *args) {
  static const char *const names[12] = {"inH",    "inW",     "C",    "up",  "kh",   "kw",
                                        "sh",     "sw",      "padTop", "padLeft", "outH", "outW"};
  uint64_t *x, *b, *out;
  size_t nx, nb, nout, n, v[12];
  bool is_array = false;
  uint32_t length = 0;
  char msg[200];
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (x, geometry, b, n, out[, isa])");
    return -1;
  }
  if (get_words(env, argv[0], "x", &x, &nx)) return -1;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &length) != napi_ok || length != 12) {
    napi_throw_type_error(env, NULL, "ring_kernel: geometry must be an array of 12 integers");
    return -1;
  }
  for (uint32_t i = 0; i < 12; i++) {
    napi_value item;
    if (napi_get_element(env, argv[1], i, &item) != napi_ok ||
        get_dim(env, item, names[i], &v[i]) != 0) {
      return -1;
    }
    if ((double)v[i] > RK_GEOM_MAX) {
      snprintf(msg, sizeof msg, "ring_kernel: geometry %s = %zu is too large", names[i], v[i]);
      napi_throw_range_error(env, NULL, msg);
      return -1;
    }
  }
  if (get_words(env, argv[2], "b", &b, &nb) || get_dim(env, argv[3], "n", &n) ||
      get_words(env, argv[4], "out", &out, &nout)) {
    return -1;
  }
  rk_geom g = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  for (int i = 0; i < 12; i++) {
    if (i != 8 && i != 9 && v[i] == 0) {
      snprintf(msg, sizeof msg, "ring_kernel: geometry %s must be positive", names[i]);
      napi_throw_range_error(env, NULL, msg);
      return -1;
    }
  }
  if (g.in_h % g.up != 0 || g.in_w % g.up != 0) {
    napi_throw_range_error(env, NULL, "ring_kernel: geometry up must divide inH and inW");
    return -1;
  }
  const size_t k = g.kh * g.kw * g.c, m = g.out_h * g.out_w;
  const size_t image = (g.in_h / g.up) * (g.in_w / g.up) * g.c;
  if (nx != image || n == 0 || nb % n != 0 || nb / n != k || nout % n != 0 || nout / n != m) {
    snprintf(msg, sizeof msg,
             "ring_kernel: lengths x=%zu, b=%zu, out=%zu do not fit image %zu, [%zu x %zu] @ "
             "[%zu x %zu]",
             nx, nb, nout, image, m, k, k, n);
    napi_throw_range_error(env, NULL, msg);
    return -1;
  }
  if (overlaps(out, nout, x, nx) || overlaps(out, nout, b, nb)) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must not overlap x or b");
    return -1;
  }
  if (get_isa_arg(env, inst, argc > 5 ? argv[5] : NULL, &args->isa) != 0) return -1;
  args->a = x;
  args->b = b;
  args->out = out;
  args->m = m;
  args->k = k;
  args->n = n;
  args->has_geom = 1;
  args->geom = g;
  return 0;
}

static int run_args(const rk_args *x) {
  return rk_gemm(x->isa, x->a, x->has_geom ? &x->geom : NULL, x->b, x->out, x->m, x->k, x->n);
}

/* Parses a product's arguments from argv into *args (parse_args or parse_conv_args). */
typedef int (*rk_parser)(napi_env, const rk_instance *, size_t, napi_value *, rk_args *);

/* Runs the product described by the call's arguments (parsed by `parse`) on this thread. */
static napi_value run_sync(napi_env env, napi_callback_info info, rk_parser parse) {
  size_t argc = 7;
  napi_value argv[7];
  rk_instance *inst;
  rk_args args;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  if (parse(env, inst, argc, argv, &args) != 0) return NULL;
  if (run_args(&args) != 0) napi_throw_error(env, NULL, "ring_kernel: out of memory for packing buffers");
  return NULL;
}

static napi_value js_matmul(napi_env env, napi_callback_info info) {
  return run_sync(env, info, parse_args);
}

static napi_value js_conv_matmul(napi_env env, napi_callback_info info) {
  return run_sync(env, info, parse_conv_args);
}

typedef struct {
  rk_args args;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3]; /* a, b, out: alive until the work completes */
  int status;
} rk_job;

static void job_execute(napi_env env, void *data) {
  (void)env;
  rk_job *job = data;
  job->status = run_args(&job->args);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  rk_job *job = data;
  napi_value result = NULL, message;
  for (int i = 0; i < 3; i++) napi_delete_reference(env, job->refs[i]);
  if (status == napi_ok && job->status == 0) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    const char *text = status == napi_cancelled ? "ring_kernel: matmulAsync was cancelled"
                                                : "ring_kernel: out of memory for packing buffers";
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

/* Queues the product described by argv (parsed by `parse`; its typed arrays at argv[typed[i]])
 * on the thread pool and returns its promise. */
static napi_value queue_job(napi_env env, napi_callback_info info, rk_parser parse,
                            const int typed[3]) {
  size_t argc = 7;
  napi_value argv[7], promise, name;
  rk_instance *inst;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  rk_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "ring_kernel: out of memory");
    return NULL;
  }
  RK_CHECK(env, napi_create_promise(env, &job->deferred, &promise));
  if (parse(env, inst, argc, argv, &job->args) != 0) {
    /* A bad argument rejects the promise rather than throwing. */
    napi_value error;
    napi_deferred deferred = job->deferred;
    free(job);
    RK_CHECK(env, napi_get_and_clear_last_exception(env, &error));
    RK_CHECK(env, napi_reject_deferred(env, deferred, error));
    return promise;
  }
  for (int i = 0; i < 3; i++) {
    RK_CHECK(env, napi_create_reference(env, argv[typed[i]], 1, &job->refs[i]));
  }
  RK_CHECK(env, napi_create_string_utf8(env, "ringKernelMatmul", NAPI_AUTO_LENGTH, &name));
  RK_CHECK(env, napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work));
  RK_CHECK(env, napi_queue_async_work(env, job->work));
  return promise;
}

static napi_value js_matmul_async(napi_env env, napi_callback_info info) {
  static const int typed[3] = {0, 1, 5}; /* a, b, out */
  return queue_job(env, info, parse_args, typed);
}

static napi_value js_conv_matmul_async(napi_env env, napi_callback_info info) {
  static const int typed[3] = {0, 2, 4}; /* x, b, out */
  return queue_job(env, info, parse_conv_args, typed);
}
