import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RingTensor } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import { packTree, unpackTree } from './tree-codec.js';

/** Posts `packed` through a real MessageChannel with its transfer list and returns what arrives. */
async function roundTrip(message: unknown, transfer: ArrayBuffer[]): Promise<unknown> {
  const { port1, port2 } = new MessageChannel();
  try {
    const arrived = new Promise<unknown>((resolve) => port2.once('message', resolve));
    port1.postMessage(message, transfer);
    return await arrived;
  } finally {
    port1.close();
    port2.close();
  }
}

describe('packTree for another thread', () => {
  const words = (values: number[]): BigUint64Array => BigUint64Array.from(values.map(BigInt));

  it('copies by default: the caller keeps its tensors, the receiver gets the same words', async () => {
    const own = new RingTensor([3], words([1, 2, 3]));
    const { packed, transfer } = packTree({ a: new Share(1, own), n: 4 });
    const got = unpackTree((await roundTrip(packed, transfer)) as typeof packed) as { a: Share; n: number };
    expect(Array.from(got.a.ring.data)).toEqual([1n, 2n, 3n]);
    expect(got.a.party).toBe(1);
    expect(got.n).toBe(4);
    expect(own.data.length).toBe(3); // not detached
  });

  it('with move: a tensor that owns its whole buffer travels without a copy (detached here), a view of a larger buffer is copied, a buffer shared by two tensors moves once', async () => {
    const whole = new RingTensor([2], words([7, 8]));
    const big = words([10, 11, 12, 13]);
    const view = new RingTensor([2], big.subarray(1, 3));
    const shared = words([5, 6]);
    const twice = [new RingTensor([2], shared), new RingTensor([2], shared)];
    const { packed, transfer } = packTree([whole, view, ...twice], { move: true });
    expect(packed.tensors[0]!.data).toBe(whole.data);
    expect(packed.tensors[1]!.data).not.toBe(view.data);
    expect(packed.tensors[2]!.data).toBe(shared);
    expect(packed.tensors[3]!.data).not.toBe(shared);
    const got = unpackTree((await roundTrip(packed, transfer)) as typeof packed) as RingTensor[];
    expect(got.map((t) => Array.from(t.data))).toEqual([[7n, 8n], [11n, 12n], [5n, 6n], [5n, 6n]]);
    expect(whole.data.length).toBe(0); // moved: detached in this thread
    expect(big.length).toBe(4); // the larger buffer stays
  });
});
