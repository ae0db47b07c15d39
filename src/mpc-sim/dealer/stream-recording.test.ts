import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { CostMeter } from '../channel/cost-meter.js';
import { reconstruct } from '../sharing/share.js';
import { DeterministicDealer } from './crypto-dealer.js';
import type { Triple } from './dealer.js';
import { StreamRecorder, replayStreams } from './stream-recording.js';

const dealer = () => new DeterministicDealer({ seed: 'stream-recording', insecureDeterministic: true });

describe('StreamRecorder and replayStreams', () => {
  it('replays to each party, apart, what it received on each stream, so the two halves still match whatever the streams interleave', async () => {
    const meter = new CostMeter();
    const recorder = new StreamRecorder(dealer(), meter);
    // Both parties ask on two streams, in different orders across streams.
    const a0 = await recorder.endpoint(0, 'q1/u0').mulTriple([3], 'mul');
    const b1 = await recorder.endpoint(1, 'q1/u1').mulTriple([3], 'mul');
    const b0 = await recorder.endpoint(0, 'q1/u1').mulTriple([3], 'mul');
    const a1 = await recorder.endpoint(1, 'q1/u0').mulTriple([3], 'mul');
    const m0 = await recorder.endpoint(0, 'q1/u0').truncationPair([2], 'trunc', { fracBits: 8 });
    const m1 = await recorder.endpoint(1, 'q1/u0').truncationPair([2], 'trunc', { fracBits: 8 });
    expect(meter.report().offlineBytes).toEqual([8 * (9 + 9 + 6), 8 * (9 + 9 + 6)]);

    const replay0 = replayStreams(0, recorder.recorded(0));
    const replay1 = replayStreams(1, recorder.recorded(1));
    // Replayed in yet another order: each stream's answers come back in that stream's order.
    const rb1 = await replay1('q1/u1', 'any').mulTriple([3], 'mul');
    const ra0 = await replay0('q1/u0', 'any').mulTriple([3], 'mul');
    const rb0 = await replay0('q1/u1', 'any').mulTriple([3], 'mul');
    const ra1 = await replay1('q1/u0', 'any').mulTriple([3], 'mul');
    expect([ra0, ra1, rb0, rb1]).toEqual([a0, a1, b0, b1]);
    expect(await replay0('q1/u0', 'any').truncationPair([2], 'trunc', { fracBits: 8 })).toBe(m0);
    expect(await replay1('q1/u0', 'any').truncationPair([2], 'trunc', { fracBits: 8 })).toBe(m1);
    // The halves are one triple: c = a b.
    const both = (x: Triple, y: Triple, k: 'a' | 'b' | 'c') => reconstruct([x[k], y[k]]).data;
    const [a, b, c] = [both(ra0, ra1, 'a'), both(ra0, ra1, 'b'), both(ra0, ra1, 'c')];
    for (let i = 0; i < 3; i++) expect(c[i]).toBe(BigInt.asUintN(64, a[i]! * b[i]!));
    // Nothing more was recorded.
    await expect(replay0('q1/u0', 'any').mulTriple([3], 'mul')).rejects.toThrow(/stream 'q1\/u0': request 2 \('mulTriple mul \[3\]'\) was not recorded \(2 recorded\)/);
    // Each answer is replayed once, then let go (the replaying side holds no second copy).
    for (const party of [0, 1] as const) expect([...recorder.recorded(party).values()].flat().map((e) => e.value)).toEqual([undefined, undefined, undefined]);
  });

  it('refuses a request that differs from the recorded one, naming the stream and both requests', async () => {
    const recorder = new StreamRecorder(dealer(), new CostMeter());
    await recorder.endpoint(0, 's').mask([4], 'relu/mask', 32);
    const replay = replayStreams(0, recorder.recorded(0));
    await expect(replay('s', 'k').mask([4], 'relu/mask', 64)).rejects.toThrow(ProtocolError);
    await expect(replayStreams(0, recorder.recorded(0))('s', 'k').mask([5], 'relu/mask', 32)).rejects.toThrow(
      /stream 's': request 0 is 'mask relu\/mask \[5\] 32' but 'mask relu\/mask \[4\] 32' was recorded: the replay lost step/,
    );
    await expect(replayStreams(0, recorder.recorded(0))('other', 'k').mask([4], 'relu/mask', 32)).rejects.toThrow(/stream 'other': request 0 .* was not recorded \(0 recorded\)/);
  });

  it('refuses to record enrolment (weight masks stay with the dealer that keeps them)', async () => {
    const recorder = new StreamRecorder(dealer(), new CostMeter());
    await expect(recorder.endpoint(0, 'enrol/u').weightMask('conv1', 2, 3, 'conv1/enrol')).rejects.toThrow(/stream 'enrol\/u' asked for a weight mask/);
  });
});
