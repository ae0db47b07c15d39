/* Protocol loops: elementwise ring arithmetic and the local steps of the comparison
 * (drelu.ts) and of dealer-assisted truncation (truncate.ts), bit for bit like their TypeScript.
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

/* elementwise(op, a, b, out): see the header comment. */
/* The (op, a, b, out) arguments of elementwise and reduce; -1 with a JavaScript error pending. */
static int get_op_args(napi_env env, napi_callback_info info, size_t *op, uint64_t **a, size_t *na,
                       uint64_t **b, size_t *nb, uint64_t **out, size_t *nout) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "ring_kernel: napi_get_cb_info failed");
    return -1;
  }
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (op, a, b, out)");
    return -1;
  }
  if (get_dim(env, argv[0], "op", op) || get_words(env, argv[1], "a", a, na) ||
      get_words(env, argv[2], "b", b, nb) || get_words(env, argv[3], "out", out, nout)) {
    return -1;
  }
  return 0;
}

static napi_value js_elementwise(napi_env env, napi_callback_info info) {
  size_t na, nb, nout, op;
  uint64_t *a, *b, *out;
  if (get_op_args(env, info, &op, &a, &na, &b, &nb, &out, &nout)) return NULL;
  if (op > 2) {
    napi_throw_range_error(env, NULL, "ring_kernel: op must be 0 (add), 1 (sub) or 2 (mul)");
    return NULL;
  }
  if (nout != na || (nb != na && nb != 1)) {
    napi_throw_range_error(env, NULL, "ring_kernel: elementwise needs out and b of a's length (b may have length 1)");
    return NULL;
  }
  if ((out != a && overlaps(out, nout, a, na)) || (out != b && overlaps(out, nout, b, nb))) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must be a or b itself or not overlap them");
    return NULL;
  }
  if (nb == 1 && na > 0) {
    const uint64_t s = b[0];
    if (op == 0) for (size_t i = 0; i < na; i++) out[i] = a[i] + s;
    else if (op == 1) for (size_t i = 0; i < na; i++) out[i] = a[i] - s;
    else for (size_t i = 0; i < na; i++) out[i] = a[i] * s;
  } else {
    if (op == 0) for (size_t i = 0; i < na; i++) out[i] = a[i] + b[i];
    else if (op == 1) for (size_t i = 0; i < na; i++) out[i] = a[i] - b[i];
    else for (size_t i = 0; i < na; i++) out[i] = a[i] * b[i];
  }
  return NULL;
}


/* shiftRight(a, bits, arithmetic, out): see the header comment. */
static napi_value js_shift_right(napi_env env, napi_callback_info info) {
  size_t argc = 4, na, nout, bits, arithmetic;
  napi_value argv[4];
  uint64_t *a, *out;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (a, bits, arithmetic, out)");
    return NULL;
  }
  if (get_words(env, argv[0], "a", &a, &na) || get_dim(env, argv[1], "bits", &bits) ||
      get_dim(env, argv[2], "arithmetic", &arithmetic) || get_words(env, argv[3], "out", &out, &nout)) {
    return NULL;
  }
  if (bits > 63 || arithmetic > 1 || nout != na || (out != a && overlaps(out, nout, a, na))) {
    napi_throw_range_error(env, NULL, "ring_kernel: shiftRight needs bits in [0, 63], arithmetic 0 or 1, and out of a's length, a itself or not overlapping it");
    return NULL;
  }
  if (arithmetic) {
    for (size_t i = 0; i < na; i++) out[i] = (uint64_t)((int64_t)a[i] >> bits);
  } else {
    for (size_t i = 0; i < na; i++) out[i] = a[i] >> bits;
  }
  return NULL;
}

/* reduce(op, a, b, out): see the header comment. */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  size_t na, nb, nout, op;
  uint64_t *a, *b, *out;
  if (get_op_args(env, info, &op, &a, &na, &b, &nb, &out, &nout)) return NULL;
  if (op > 1) {
    napi_throw_range_error(env, NULL, "ring_kernel: reduce op must be 0 (sum) or 1 (dot)");
    return NULL;
  }
  if (nout != 1 || (op == 1 && nb != na)) {
    napi_throw_range_error(env, NULL, "ring_kernel: reduce needs out of length 1 and, for dot, b of a's length");
    return NULL;
  }
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  if (op == 0) {
    for (; i + 4 <= na; i += 4) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
    }
    for (; i < na; i++) s0 += a[i];
  } else {
    for (; i + 4 <= na; i += 4) {
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
      s2 += a[i + 2] * b[i + 2];
      s3 += a[i + 3] * b[i + 3];
    }
    for (; i < na; i++) s0 += a[i] * b[i];
  }
  out[0] = s0 + s1 + s2 + s3;
  return NULL;
}

/* comparisonLeaves(c, code, params, g, eq, topFlip): see the header comment. For element e and
 * chunk j with value v = bits [start_j, start_j + width_j) of c[e] and at = (e mod p) codeBits +
 * offset_j, p the optional period params[6 + 3k] (default n: one code per element, else the code
 * of p elements serves every block of p, as for tanh's thresholds on one opened input):
 * greater = v = 2^width_j - 1 ? 0 : code bit at + v; below = v = 0 ? one : code bit at + v - 1;
 * bit e of plane j of g is greater, of eq is below XOR greater; bit e of topFlip is 1 XOR bit
 * topBit of c[e]. The output planes are overwritten. */
static napi_value js_comparison_leaves(napi_env env, napi_callback_info info) {
  size_t argc = 6, nc, ncode, nparams, ng, neq, nflip;
  napi_value argv[6];
  uint64_t *c;
  uint32_t *code, *g, *eq, *flip, *raw;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (c, code, params, g, eq, topFlip)");
    return NULL;
  }
  if (get_words(env, argv[0], "c", &c, &nc) ||
      get_u32(env, argv[1], "code", &code, &ncode, napi_uint32_array) ||
      get_u32(env, argv[2], "params", &raw, &nparams, napi_int32_array) ||
      get_u32(env, argv[3], "g", &g, &ng, napi_uint32_array) ||
      get_u32(env, argv[4], "eq", &eq, &neq, napi_uint32_array) ||
      get_u32(env, argv[5], "topFlip", &flip, &nflip, napi_uint32_array)) {
    return NULL;
  }
  const int32_t *params = (const int32_t *)raw;
  if (nparams < 6) goto bad;
  const int32_t n = params[0], code_bits = params[1], top_bit = params[2], one = params[3],
                w2 = params[4], k = params[5];
  if (n < 0 || code_bits < 1 || top_bit < 0 || top_bit > 63 || (one != 0 && one != 1) || w2 < 0 ||
      k < 1 || k > 64 || (nparams != 6 + 3 * (size_t)k && nparams != 7 + 3 * (size_t)k) ||
      (size_t)n > nc || (size_t)w2 * 32 < (size_t)n || ng < (size_t)k * w2 ||
      neq < (size_t)k * w2 || nflip < (size_t)w2) {
    goto bad;
  }
  const int32_t period = nparams == 7 + 3 * (size_t)k ? params[6 + 3 * k] : (n > 0 ? n : 1);
  if (period < 1 || period > (n > 0 ? n : 1) ||
      (size_t)ncode * 32 < (size_t)(n > 0 ? period : 0) * (size_t)code_bits) {
    goto bad;
  }
  const int32_t *starts = params + 6, *widths = starts + k, *offsets = widths + k;
  for (int32_t j = 0; j < k; j++) {
    if (widths[j] < 1 || widths[j] > 16 || starts[j] < 0 || starts[j] + widths[j] > 64 ||
        offsets[j] < 0 || offsets[j] + (1 << widths[j]) - 1 > code_bits) {
      goto bad;
    }
  }
  memset(g, 0, (size_t)k * w2 * sizeof(uint32_t));
  memset(eq, 0, (size_t)k * w2 * sizeof(uint32_t));
  memset(flip, 0, (size_t)w2 * sizeof(uint32_t));
  /* 32 elements at a time: each output word of every plane is built in registers, stored once. */
  size_t base[32];
  int32_t em = 0; /* e0 mod period */
  for (int32_t e0 = 0; e0 < n; e0 += 32) {
    const int32_t e1 = n - e0 < 32 ? n : e0 + 32;
    const size_t word = (size_t)e0 >> 5;
    uint32_t top = 0;
    for (int32_t e = e0, m = em; e < e1; e++) {
      base[e - e0] = (size_t)m * (size_t)code_bits;
      if (++m == period) m = 0;
    }
    em = (int32_t)(((int64_t)em + 32) % period);
    for (int32_t j = 0; j < k; j++) {
      const uint32_t max = (1u << widths[j]) - 1u;
      const unsigned start = (unsigned)starts[j];
      uint32_t gw = 0, ew = 0;
      for (int32_t e = e0; e < e1; e++) {
        const uint32_t v = (uint32_t)(c[e] >> start) & max;
        const size_t at = base[e - e0] + (size_t)offsets[j] + v;
        const uint32_t greater = v == max ? 0u : (code[at >> 5] >> (at & 31u)) & 1u;
        const uint32_t below = v == 0 ? (uint32_t)one : (code[(at - 1) >> 5] >> ((at - 1) & 31u)) & 1u;
        const unsigned shift = (unsigned)(e - e0);
        gw |= greater << shift;
        ew |= (below ^ greater) << shift;
      }
      g[(size_t)j * (size_t)w2 + word] = gw;
      eq[(size_t)j * (size_t)w2 + word] = ew;
    }
    for (int32_t e = e0; e < e1; e++) {
      top |= (1u ^ (uint32_t)((c[e] >> top_bit) & 1u)) << (unsigned)(e - e0);
    }
    flip[word] = top;
  }
  return NULL;
bad:
  napi_throw_range_error(env, NULL, "ring_kernel: comparisonLeaves arguments do not fit together");
  return NULL;
}


/*
 * comparisonFinish(opened, params, s, bit, c, rs, r, y) and, exported as
 * comparisonFinishTruncated, the same with (sigma, rsm, rm) appended: see the header comment.
 */
static napi_value js_comparison_finish(napi_env env, napi_callback_info info) {
  size_t argc = 11, nopened, nparams, ns, nbit, nc, nrs, nr, ny, nsigma = 0, nrsm = 0, nrm = 0;
  napi_value argv[11];
  uint32_t *opened, *raw;
  uint64_t *s, *bit, *c, *rs, *r, *y, *sigma = NULL, *rsm = NULL, *rm = NULL;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 8 && argc != 11) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (opened, params, s, bit, c, rs, r, y[, sigma, rsm, rm])");
    return NULL;
  }
  if (get_u32(env, argv[0], "opened", &opened, &nopened, napi_uint32_array) ||
      get_u32(env, argv[1], "params", &raw, &nparams, napi_int32_array) ||
      get_words(env, argv[2], "s", &s, &ns) || get_words(env, argv[3], "bit", &bit, &nbit) ||
      get_words(env, argv[4], "c", &c, &nc) || get_words(env, argv[5], "rs", &rs, &nrs) ||
      get_words(env, argv[6], "r", &r, &nr) || get_words(env, argv[7], "y", &y, &ny)) {
    return NULL;
  }
  if (argc == 11 && (get_words(env, argv[8], "sigma", &sigma, &nsigma) || get_words(env, argv[9], "rsm", &rsm, &nrsm) ||
                     get_words(env, argv[10], "rm", &rm, &nrm))) {
    return NULL;
  }
  const int32_t *params = (const int32_t *)raw;
  if (nparams != 5) goto bad;
  const int32_t n = params[0], fused = params[1], first = params[2], q_at = params[3],
                a_at = params[4];
  const size_t values = fused ? 4 : 1, bits = nopened * 32;
  const int product = ny != 0;
  if (n < 0 || (fused != 0 && fused != 1) || (first != 0 && first != 1) || q_at < 0 ||
      a_at < 0 || nbit != (size_t)n || ns < values * n || (size_t)a_at + n > bits ||
      (fused && (size_t)q_at + n > bits) ||
      (product && (ny != (size_t)n || nc < (size_t)n || nr < (size_t)n || nrs < values * n)) ||
      (nsigma != 0 && (!product || nsigma < (size_t)n || nrsm < values * n || nrm < (size_t)n))) {
    goto bad;
  }
  const int truncated = nsigma != 0;
  if ((product && overlaps(y, ny, bit, nbit)) || overlaps(bit, nbit, s, ns)) goto bad;
  const uint64_t one = (uint64_t)first;
#define RK_BIT(pos) ((opened[(size_t)(pos) >> 5] >> ((size_t)(pos) & 31u)) & 1u)
  for (int32_t e = 0; e < n; e++) {
    const size_t v = fused ? 2u * RK_BIT(e) + RK_BIT((size_t)q_at + e) : 0u;
    const size_t at = v * (size_t)n + (size_t)e;
    const uint32_t a = RK_BIT((size_t)a_at + e);
    const uint64_t si = s[at];
    bit[e] = a ? one - si : si;
    if (product) {
      const uint64_t ce = c[e], cs = ce * si;
      y[e] = a ? (first ? ce : 0u) - cs - r[e] + rs[at] : cs - rs[at];
      /* truncating comparison: minus sigma times -(rMsb b) = (0 - rm) b, the same step with c = 0 */
      if (truncated) y[e] -= sigma[e] * (a ? rsm[at] - rm[e] : (uint64_t)0 - rsm[at]);
    }
  }
#undef RK_BIT
  return NULL;
bad:
  napi_throw_range_error(env, NULL, "ring_kernel: comparisonFinish arguments do not fit together");
  return NULL;
}


/* truncationFinish(mine, other, rMsb, rHigh, first, f, y): see the header comment. */
static napi_value js_truncation_finish(napi_env env, napi_callback_info info) {
  size_t argc = 7, n, no, nm, nh, ny, first, f;
  napi_value argv[7];
  uint64_t *mine, *other, *msb, *high, *y;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (mine, other, rMsb, rHigh, first, f, y)");
    return NULL;
  }
  if (get_words(env, argv[0], "mine", &mine, &n) || get_words(env, argv[1], "other", &other, &no) ||
      get_words(env, argv[2], "rMsb", &msb, &nm) || get_words(env, argv[3], "rHigh", &high, &nh) ||
      get_dim(env, argv[4], "first", &first) || get_dim(env, argv[5], "f", &f) ||
      get_words(env, argv[6], "y", &y, &ny)) {
    return NULL;
  }
  if ((no != n && no != 1) || (nm != n && nm != 1) || (nh != n && nh != 1) || ny != n || first > 1 || f > 62) {
    napi_throw_range_error(env, NULL, "ring_kernel: truncationFinish arguments do not fit together");
    return NULL;
  }
  if (overlaps(y, ny, mine, n) || overlaps(y, ny, other, no) || overlaps(y, ny, msb, nm) ||
      overlaps(y, ny, high, nh)) {
    napi_throw_range_error(env, NULL, "ring_kernel: y must not overlap the inputs");
    return NULL;
  }
  const uint64_t offset = (uint64_t)1 << (62 - f), low = ~((uint64_t)1 << 63);
  /* rMsb and rHigh of one word are public constants for every element (a step of 0) */
  const size_t sm = nm == 1 ? 0 : 1, sh = nh == 1 ? 0 : 1, so = no == 1 ? 0 : 1;
  for (size_t e = 0; e < n; e++) {
    const uint64_t c = mine[e] + other[e * so], c63 = c >> 63;
    const uint64_t w = msb[e * sm] * (1 - 2 * c63) + (first ? c63 : 0);
    uint64_t out = (w << (63 - f)) - high[e * sh];
    if (first) out += ((c & low) >> f) - offset;
    y[e] = out;
  }
  return NULL;
}

/* pairedProduct(q, sigma, rMsb, rHigh, hm, hh, mm, mh, scalars, out): see the header comment. */
static napi_value js_paired_product(napi_env env, napi_callback_info info) {
  static const char *const names[8] = {"q", "sigma", "rMsb", "rHigh", "hm", "hh", "mm", "mh"};
  size_t argc = 10, len[8], ns, n;
  napi_value argv[10];
  uint64_t *in[8], *scalars, *out;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 10) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (q, sigma, rMsb, rHigh, hm, hh, mm, mh, scalars, out)");
    return NULL;
  }
  for (int i = 0; i < 8; i++) {
    if (get_words(env, argv[i], names[i], &in[i], &len[i])) return NULL;
  }
  if (get_words(env, argv[8], "scalars", &scalars, &ns) || get_words(env, argv[9], "out", &out, &n)) return NULL;
  int bad = ns != 4 || scalars[3] > 1;
  for (int i = 0; i < 8; i++) bad |= len[i] != n || overlaps(out, n, in[i], len[i]);
  if (bad) {
    napi_throw_range_error(env, NULL, "ring_kernel: pairedProduct arguments do not fit together");
    return NULL;
  }
  const uint64_t *q = in[0], *sigma = in[1], *msb = in[2], *high = in[3], *hm = in[4], *hh = in[5],
                 *mm = in[6], *mh = in[7];
  const uint64_t kq = scalars[0], ks = scalars[1], q_factor = scalars[2] + scalars[3] * scalars[0];
  for (size_t e = 0; e < n; e++) {
    const uint64_t s = sigma[e];
    out[e] = kq * (s * msb[e] - high[e]) + (hh[e] - s * hm[e]) + ks * (s * mm[e] - mh[e]) + q[e] * q_factor;
  }
  return NULL;
}

/* Words that hold n values of 64 - t bits, packed densely: ceil(n (64 - t) / 64). */
static size_t top_bits_words(size_t n, size_t t) {
  return (n * (64 - t) + 63) / 64;
}

/*
 * topBitsPack(c, t, out): the values c[e] >> t, b = 64 - t bits each, packed densely from bit 0
 * of out[0] (element e at bits [e b, e b + b)); out has top_bits_words(n, t) words. The sending
 * half of a truncating opening that carries only the bits the receiver reads (protocol v7).
 */
static napi_value js_top_bits_pack(napi_env env, napi_callback_info info) {
  size_t argc = 3, n, no, t;
  napi_value argv[3];
  uint64_t *c, *out;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (c, t, out)");
    return NULL;
  }
  if (get_words(env, argv[0], "c", &c, &n) || get_dim(env, argv[1], "t", &t) ||
      get_words(env, argv[2], "out", &out, &no)) {
    return NULL;
  }
  if (t > 63 || no != top_bits_words(n, t)) {
    napi_throw_range_error(env, NULL, "ring_kernel: topBitsPack arguments do not fit together");
    return NULL;
  }
  if (overlaps(out, no, c, n)) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must not overlap c");
    return NULL;
  }
  const unsigned b = 64u - (unsigned)t;
  memset(out, 0, no * sizeof *out);
  size_t p = 0;
  for (size_t e = 0; e < n; e++, p += b) {
    const uint64_t h = c[e] >> t;
    const size_t w = p >> 6;
    const unsigned off = (unsigned)(p & 63u);
    out[w] |= h << off;
    if (off + b > 64u) out[w + 1] |= h >> (64u - off);
  }
  return NULL;
}

/*
 * topBitsAdd(packed, t, out): out[e] = (floor(out[e] / 2^t) + v_e) 2^t modulo 2^64 for the n =
 * out's length values v_e of b = 64 - t bits packed by topBitsPack (top_bits_words(n, t) words):
 * the receiver's sum of its own half and the other's.
 */
static napi_value js_top_bits_add(napi_env env, napi_callback_info info) {
  size_t argc = 3, n, np, t;
  napi_value argv[3];
  uint64_t *packed, *out;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (packed, t, out)");
    return NULL;
  }
  if (get_words(env, argv[0], "packed", &packed, &np) || get_dim(env, argv[1], "t", &t) ||
      get_words(env, argv[2], "out", &out, &n)) {
    return NULL;
  }
  if (t > 63 || np != top_bits_words(n, t)) {
    napi_throw_range_error(env, NULL, "ring_kernel: topBitsAdd arguments do not fit together");
    return NULL;
  }
  if (overlaps(out, n, packed, np)) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must not overlap packed");
    return NULL;
  }
  const unsigned b = 64u - (unsigned)t;
  const uint64_t mask = b == 64u ? ~(uint64_t)0 : (((uint64_t)1 << b) - 1u);
  size_t p = 0;
  for (size_t e = 0; e < n; e++, p += b) {
    const size_t w = p >> 6;
    const unsigned off = (unsigned)(p & 63u);
    uint64_t h = packed[w] >> off;
    if (off + b > 64u) h |= packed[w + 1] << (64u - off);
    out[e] = ((out[e] >> t) + (h & mask)) << t;
  }
  return NULL;
}
