import { z } from 'zod';

/*
 * The options of private (2PC) queries, one shape in every experiment that runs them
 * (`identification`, `detection`): `private: { queries, fixedPointBits }`, each experiment
 * choosing its own `queries` schema and default.
 */

/** `fixedPointBits`: the fixed-point setting, named so in configs, on the command line (`--fixed-point-bits`) and in code. */
export const fixedPointBitsOption = z.union([z.literal(16), z.literal(20)]).default(20).describe('Fractional bits of the fixed-point encoding (16 or 20)');
