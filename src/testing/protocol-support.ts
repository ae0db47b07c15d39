import type { Dealer } from '../mpc-sim/dealer/dealer.js';
import { RecordingDealer } from '../mpc-sim/dealer/recording-dealer.js';
import { CryptoDealer, DeterministicDealer } from '../mpc-sim/dealer/crypto-dealer.js';
import { FIXED16, type FixedPointEncoding } from '../mpc-sim/encoding/fixed-point.js';
import { createInProcessSession, type InProcessSession } from '../mpc-sim/parties/in-process.js';
import { SeededRandom } from '../mpc-sim/ring/random.js';

/** Every protocol suite runs under both dealers. */
export const TEST_DEALERS: readonly (readonly [string, () => Dealer])[] = [
  ['CryptoDealer', () => new CryptoDealer()],
  ['DeterministicDealer', () => new DeterministicDealer({ seed: 'protocol-tests', insecureDeterministic: true })],
];

/** A reproducible stream for test inputs. */
export function testRandom(name: string): SeededRandom {
  return new SeededRandom(`test-input:${name}`, { insecureDeterministic: true });
}

/** A session over a recording wrapper of `makeDealer()`. */
export function testSession(makeDealer: () => Dealer, encoding: FixedPointEncoding = FIXED16): { session: InProcessSession; recording: RecordingDealer } {
  const recording = new RecordingDealer(makeDealer());
  const session = createInProcessSession({ encoding, dealer: recording, random: (p) => testRandom(`party${p}`) });
  return { session, recording };
}

/** n reproducible normal draws (Box-Muller on the stream `testRandom(name)`) of the given mean and standard deviation. */
export function testGaussian(name: string, n: number, mean: number, sd: number): Float64Array {
  const r = testRandom(name);
  const u = (): number => {
    const w = new BigUint64Array(1);
    r.fill(w);
    return (Number(w[0]! >> 11n) + 0.5) / 2 ** 53;
  };
  return Float64Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
