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
