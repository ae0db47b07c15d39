import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { FIXED_POINT_BITS, type FixedPointBits } from '../../mpc-sim/encoding/fixed-point-bits.js';
import { PROTOCOL_VERSIONS, type ProtocolVersion } from '../../mpc-sim/protocols/protocol-version.js';
import { QUERY_ORDERS, type QueryOrder } from '../../private-fidelity/query-order.js';
import type { CliContext } from '../context.js';
import { parseShard } from './shared.js';

interface PredictPrivateArgs {
  run: string;
  queries: number;
  images?: string;
  all: boolean;
  order: QueryOrder;
  fixedPointBits: FixedPointBits;
  validate: boolean;
  protocol: ProtocolVersion;
  shard?: string;
  log: boolean;
  merge: boolean;
  partial: boolean;
  resume: boolean;
  float64Reference: boolean;
}

/**
 * `privedge predict-private --run <identification run>`: replays K test images of an
 * identification run through the 2PC protocol (in process, CryptoDealer) with its trained
 * models, and checks that the private labels equal the plaintext ones. A fidelity tool: it also
 * reveals the N dissimilarities of each query (a counted debug reveal, excluded from the reported
 * rounds and bytes) to measure their error against the run's `dissimilarity.csv`. Writes
 * `private_predictions.csv`, `private_cost_layers.csv` (mean per query) and, with `--validate`,
 * `private_validation.csv` into the run folder. `--shard i/n` writes them with a
 * `.shard-i-of-n` suffix; `--merge` then checks that all n shards are there and merges them
 * into the unsuffixed files, printing the same summary (no 2PC is run). Each finished query is
 * appended to `private_predictions[suffix].partial.csv` as it completes; `--resume` keeps those
 * and runs only the rest (per-layer costs then cover the queries of the resumed process).
 * `--float64-reference` runs no 2PC: it evaluates the picked images with every user's model in
 * float64 into `dissimilarity.float64.csv`, which every later summary of the run compares with
 * (TF.js's float32 rounding can order two users closer than about 1e-6).
 * The work is `predictPrivate` / `mergePrivatePredictions` (src/private-fidelity/), loaded on use.
 */
export function predictPrivateCommand(ctx: CliContext): CommandModule<object, PredictPrivateArgs> {
  return {
    command: 'predict-private',
    describe: 'Re-run test images of an identification run through 2PC private prediction and compare with the plaintext labels and dissimilarities',
    builder: (y: Argv) =>
      y
        .option('run', { type: 'string', demandOption: true, describe: 'Folder of a completed identification run' })
        .option('queries', { type: 'number', default: 10, describe: 'Number of test images to query' })
        .option('images', { type: 'string', describe: 'A file listing test image ids (one per line, as in predictions.csv) to query instead of --queries/--all, in test-set order (by margin with --order margin)' })
        .option('all', { type: 'boolean', default: false, describe: 'Query every test image (overrides --queries)' })
        .option('order', {
          choices: QUERY_ORDERS,
          default: 'spread' as QueryOrder,
          describe: 'spread: K images evenly spaced over the test set; first: the first K; margin: the K with the smallest plaintext margin (second smallest minus smallest dissimilarity), smallest first, so an interrupted run has covered the queries most at risk (also orders --all and --images)',
        })
        .option('fixed-point-bits', { type: 'number', choices: [...FIXED_POINT_BITS], default: 20, describe: 'Fractional bits of the fixed-point encoding (the config key fixedPointBits)' })
        .option('log', { type: 'boolean', default: false, describe: 'Print one line per query as it completes (for long runs)' })
        .option('shard', { type: 'string', describe: 'i/n: query only every n-th picked image starting at i (run n processes in parallel); outputs get a .shard-i-of-n suffix' })
        .option('resume', {
          type: 'boolean',
          default: false,
          describe: 'Keep the queries an interrupted run with the same options recorded in private_predictions[.shard-i-of-n].partial.csv and run only the rest',
        })
        .option('merge', {
          type: 'boolean',
          default: false,
          describe: 'Merge the outputs of --shard 0/n ... n-1/n (all must be complete) into private_predictions.csv and private_cost_layers.csv, and print the summary',
        })
        .option('partial', {
          type: 'boolean',
          default: false,
          describe: 'With --merge: only print the summary over every query finished so far (final and .partial.csv files of all shards), writing nothing',
        })
        .option('float64-reference', {
          type: 'boolean',
          default: false,
          describe:
            'No 2PC: evaluate the picked test images (--queries/--all/--images, --order; --shard i/n splits them over processes) with every user\'s model in float64 and merge them into dissimilarity.float64.csv in the run; every later summary (of any --protocol, also --merge) then also compares the private labels with the float64 ones',
        })
        .option('validate', {
          type: 'boolean',
          default: false,
          describe: 'Debug: reveal every intermediate layer of every user and print its error against the plaintext layer',
        })
        .option('protocol', { choices: PROTOCOL_VERSIONS, default: 'v1' as ProtocolVersion, describe: 'Private-prediction protocol version (v1: the original; v2, v2-d8: fewer rounds; v3: v2 with InstanceNorms folded into the next conv; v4: v3 with four more folds; v5: v4 with each conv output truncated in the next activation opening; v6: v5 with each norm mean truncated in the conv opening round; v7: v6 with every truncating opening carrying only the bits read; v8: v7 with the argmin over MSEs at 256 times their resolution; see docs/private-prediction-v2.md); outputs of a version other than v1 are named private_predictions.<version>[...].csv, so they never overwrite the run\'s own; give --merge the same --protocol' }) as unknown as Argv<PredictPrivateArgs>,
    handler: async (args) => {
      const print = (line: string): void => void ctx.stdout.write(`${line}\n`);
      if (args.partial && !args.merge) throw new UsageError('--partial only goes with --merge');
      if (args.float64Reference) {
        const clash = args.merge ? 'merge' : args.resume ? 'resume' : args.validate ? 'validate' : undefined;
        if (clash !== undefined) throw new UsageError(`--float64-reference (float64 dissimilarities of the picked images, no 2PC) does not go with --${clash}`);
      }
      const shard = args.shard === undefined ? undefined : parseShard(args.shard);
      if (!args.merge && !args.all && (!Number.isInteger(args.queries) || args.queries < 1)) throw new UsageError(`--queries must be a positive integer, got ${args.queries}`);
      const fidelity = await import('../../private-fidelity/predict-private.js');
      if (args.merge) return fidelity.mergePrivatePredictions(args.run, args.partial, { print }, args.protocol);
      await (args.float64Reference ? fidelity.float64Reference : fidelity.predictPrivate)(
        {
          run: args.run,
          queries: args.queries,
          all: args.all,
          order: args.order,
          ...(args.images === undefined ? {} : { imagesFile: args.images }),
          ...(shard === undefined ? {} : { shard }),
          fixedPointBits: args.fixedPointBits,
          protocol: args.protocol,
          validate: args.validate,
          resume: args.resume,
          log: args.log,
        },
        { experiments: [...(await ctx.experiments()).values()], reporter: ctx.reporter, print, interrupts: ctx.interrupts },
      );
    },
  };
}
