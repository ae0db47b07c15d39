import { z } from 'zod';
import { checkKeySize, MIN_SECURE_KEY_BITS } from '../../src/he/key-size.js';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';

/** Config path of the Paillier key size, for error messages. */
export const KEY_PATH = 'experiments.he-baseline.paillier.keyBits';

const schema = z.strictObject({
  training: z
    .strictObject({
      epochs: z.number().int().min(1).default(20).describe('LeNet-5 training epochs (Adam, best validation epoch kept)'),
      batchSize: z.number().int().min(1).default(32).describe('Mini-batch size'),
      learningRate: z.number().positive().default(1e-3).describe('Adam learning rate'),
    })
    .prefault({})
    .describe('Plaintext LeNet-5 training with TF.js on the training split'),
  quantisation: z
    .strictObject({
      weightBits: z.number().int().min(2).max(16).default(8).describe('Signed bits per weight (per-layer scale: the largest |w| -> 2^(b-1) - 1)'),
      activationBits: z.number().int().min(1).max(16).default(8).describe('Unsigned bits per activation (scale calibrated on training images)'),
      calibrationImages: z.number().int().min(1).default(1000).describe('Training images used to calibrate the activation scales'),
    })
    .prefault({})
    .describe('Integer quantisation of the trained model'),
  paillier: z
    .strictObject({
      keyBits: z.number().int().default(MIN_SECURE_KEY_BITS).describe('Paillier modulus bits (at least 2048 unless insecureKeySize)'),
      insecureKeySize: z.boolean().default(false).describe('Allow keys below 2048 bits (CI smoke runs only)'),
      safePrimes: z.boolean().default(true).describe('Safe primes, enabling the fixed-base randomness precomputation'),
    })
    .superRefine((v, ctx) => {
      try {
        checkKeySize(v.keyBits, v.insecureKeySize, KEY_PATH);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['keyBits'], message: (error as Error).message.replace(`${KEY_PATH}: `, '') });
      }
    })
    .prefault({})
    .describe('Paillier keys'),
  testImages: z.number().int().min(1).nullable().default(null).describe('Test images run encrypted (users interleaved; null: the whole test split)'),
  slots: z.number().int().min(1).nullable().default(null).describe('At most this many images per ciphertext (null: as many slots as fit)'),
  workers: z.number().int().min(0).default(0).describe('Threads per party for the optimised implementation (0: one per CPU core)'),
  naiveImages: z.number().int().min(0).default(1).describe('Test images also run through the naive implementation, for the time comparison (0: none)'),
  privedgeRun: z.string().nullable().default(null).describe('An identification run folder whose private predictions join comparison.csv (null: none)'),
});

/**
 * `he-baseline`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const heBaselineOptions = {
  id: 'he-baseline',
  description: '2P-DNN baseline: LeNet-5 on Paillier-encrypted MNIST (float, quantised and encrypted accuracy; naive vs optimised time and bytes per image)',
  schema,
} satisfies ExperimentSchemaEntry;
