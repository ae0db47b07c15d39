/* The exported functions (isa, supportedIsas) and the module initialisation.
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

static napi_value js_isa(napi_env env, napi_callback_info info) {
  (void)info;
  rk_instance *inst;
  napi_value result;
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  RK_CHECK(env, napi_create_string_utf8(env, RK_ISA_NAMES[inst->isa], NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value js_supported_isas(napi_env env, napi_callback_info info) {
  (void)info;
  rk_instance *inst;
  napi_value result, item;
  uint32_t count = 0;
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  RK_CHECK(env, napi_create_array(env, &result));
  for (int i = RK_ISA_COUNT - 1; i >= 0; i--) {
    if (!(inst->supported & (1u << i))) continue;
    RK_CHECK(env, napi_create_string_utf8(env, RK_ISA_NAMES[i], NAPI_AUTO_LENGTH, &item));
    RK_CHECK(env, napi_set_element(env, result, count++, item));
  }
  return result;
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  rk_instance *inst = malloc(sizeof *inst);
  if (inst == NULL) {
    napi_throw_error(env, NULL, "ring_kernel: out of memory");
    return NULL;
  }
  inst->supported = supported_isas();
  inst->isa = RK_SCALAR;
  for (int i = RK_ISA_COUNT - 1; i >= 0; i--) {
    if (inst->supported & (1u << i)) {
      inst->isa = (rk_isa)i;
      break;
    }
  }
  const char *env_isa = getenv("PRIVEDGE_RING_ISA");
  if (env_isa != NULL && env_isa[0] != '\0' &&
      check_isa(env, inst, env_isa, "PRIVEDGE_RING_ISA", &inst->isa) != 0) {
    free(inst);
    return NULL;
  }
  if (napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
    free(inst);
    napi_throw_error(env, NULL, "ring_kernel: napi_set_instance_data failed");
    return NULL;
  }
  const napi_property_descriptor props[] = {
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"matmulAsync", NULL, js_matmul_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convMatmul", NULL, js_conv_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convMatmulAsync", NULL, js_conv_matmul_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"elementwise", NULL, js_elementwise, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reduce", NULL, js_reduce, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shiftRight", NULL, js_shift_right, NULL, NULL, NULL, napi_enumerable, NULL},
      {"comparisonLeaves", NULL, js_comparison_leaves, NULL, NULL, NULL, napi_enumerable, NULL},
      {"comparisonFinish", NULL, js_comparison_finish, NULL, NULL, NULL, napi_enumerable, NULL},
      {"comparisonFinishTruncated", NULL, js_comparison_finish, NULL, NULL, NULL, napi_enumerable, NULL},
      {"truncationFinish", NULL, js_truncation_finish, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pairedProduct", NULL, js_paired_product, NULL, NULL, NULL, napi_enumerable, NULL},
      {"topBitsPack", NULL, js_top_bits_pack, NULL, NULL, NULL, napi_enumerable, NULL},
      {"topBitsAdd", NULL, js_top_bits_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isa", NULL, js_isa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"supportedIsas", NULL, js_supported_isas, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  RK_CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
