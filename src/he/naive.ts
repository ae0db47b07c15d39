import type { PublicKey as LibPublicKey } from 'paillier-bigint';
import { modInv } from './bigint-math.js';
import type { ClientEngine, ServerEngine } from './engines.js';
import { libraryKeys, type PaillierKeyPair } from './keys.js';
import type { ServerModel } from './model-views.js';
import type { ConvPoolSpec, DenseSpec } from '../models/lenet/network.js';

/**
 * The naive implementation, for the speed comparison: the textbook protocol on paillier-bigint
 * as the library is meant to be used, one image per ciphertext (no packing), one thread.
 *
 * - Client: `publicKey.encrypt(m)` (fresh r, g^m and r^n by full exponentiations modulo n^2),
 *   `privateKey.decrypt(c)` (the library's own CRT variant).
 * - Server: the convolution unfolded (each of the 4 positions of a pooling window computed, then
 *   pooled with `addition`), each ciphertext-by-weight product by `publicKey.multiply(c, |w|)`
 *   (square-and-multiply), positive and negative products accumulated apart with `addition`, the
 *   bias added with `plaintextAddition` to the positive (b > 0) or negative (b < 0) side, and the
 *   output = P * N^-1 with one modular inverse per output (extended Euclid): no exponent n - |w|.
 */
export function naiveServerEngine(keys: PaillierKeyPair, model: ServerModel): ServerEngine {
  const { publicKey: lib } = libraryKeys(keys.privateKey);
  return {
    async evaluate(layer, inputs) {
      const l = model.layers[layer]!;
      const outputs = l.spec.kind === 'dense' ? l.spec.outputs : l.spec.outH * l.spec.outW * l.spec.outC;
      return Array.from({ length: outputs }, (_, j) => naiveOutput(lib, keys.publicKey.n2, l, inputs, j));
    },
    close: async () => undefined,
  };
}

/** One output of a layer, the naive way (see {@link naiveServerEngine}). */
export function naiveOutput(lib: LibPublicKey, n2: bigint, layer: ServerModel['layers'][number], inputs: readonly bigint[], j: number): bigint {
  const { spec, weights, bias } = layer;
  const sides = spec.kind === 'dense' ? naiveDense(lib, spec, weights, inputs, j) : naiveConvPool(lib, spec, weights, inputs, j);
  const b = bias[j % bias.length]!;
  const p = b > 0 ? lib.plaintextAddition(sides.pos, BigInt(b)) : sides.pos;
  const q = b < 0 ? lib.plaintextAddition(sides.neg, BigInt(-b)) : sides.neg;
  return lib.addition(p, modInv(q, n2));
}

interface Sides {
  pos: bigint;
  neg: bigint;
}

function addProduct(lib: LibPublicKey, acc: Sides, c: bigint, w: number): void {
  if (w > 0) acc.pos = lib.addition(acc.pos, lib.multiply(c, BigInt(w)));
  else if (w < 0) acc.neg = lib.addition(acc.neg, lib.multiply(c, BigInt(-w)));
}

function naiveDense(lib: LibPublicKey, spec: DenseSpec, weights: Int32Array, inputs: readonly bigint[], j: number): Sides {
  const out: Sides = { pos: 1n, neg: 1n };
  for (let i = 0; i < spec.inputs; i++) addProduct(lib, out, inputs[i]!, weights[i * spec.outputs + j]!);
  return out;
}

/** Pooled output j = (py, px, co): the 4 convolution outputs of its window, each computed, then added. */
function naiveConvPool(lib: LibPublicKey, spec: ConvPoolSpec, weights: Int32Array, inputs: readonly bigint[], j: number): Sides {
  const { inH, inW, inC, kernel: K, outC, outW } = spec;
  const pad = spec.padding === 'same' ? (K - 1) >> 1 : 0;
  const co = j % outC;
  const px = Math.floor(j / outC) % outW;
  const py = Math.floor(j / (outC * outW));
  const pooled: Sides = { pos: 1n, neg: 1n };
  for (let u = 0; u < 2; u++) {
    for (let v = 0; v < 2; v++) {
      const conv: Sides = { pos: 1n, neg: 1n };
      for (let dy = 0; dy < K; dy++) {
        const iy = 2 * py + u + dy - pad;
        if (iy < 0 || iy >= inH) continue;
        for (let dx = 0; dx < K; dx++) {
          const ix = 2 * px + v + dx - pad;
          if (ix < 0 || ix >= inW) continue;
          for (let ci = 0; ci < inC; ci++) addProduct(lib, conv, inputs[(iy * inW + ix) * inC + ci]!, weights[((dy * K + dx) * inC + ci) * outC + co]!);
        }
      }
      pooled.pos = lib.addition(pooled.pos, conv.pos);
      pooled.neg = lib.addition(pooled.neg, conv.neg);
    }
  }
  return pooled;
}

/** The naive client: the library's encrypt and decrypt, one value at a time, no precomputation. */
export function naiveClientEngine(keys: PaillierKeyPair): ClientEngine {
  const lib = libraryKeys(keys.privateKey);
  return {
    precompute: async () => undefined,
    encrypt: async (plaintexts) => plaintexts.map((m) => lib.publicKey.encrypt(m)),
    decrypt: async (ciphertexts) => ciphertexts.map((c) => lib.privateKey.decrypt(c)),
    onlineResidues: 0,
    close: async () => undefined,
  };
}
