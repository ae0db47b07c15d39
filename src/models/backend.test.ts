import { describe, expect, it } from 'vitest';
import { selectBackend, type TfBackendApi } from './backend.js';

/** A fake tfjs whose registered backends are the ones the loaded modules would register. */
function fakeTf(installed: readonly string[]): { tf: TfBackendApi; load: (s: string) => Promise<unknown>; active: () => string | undefined } {
  const registered = new Set(['cpu']);
  let active: string | undefined;
  const registers: Record<string, string> = {
    '@tensorflow/tfjs-node-gpu': 'tensorflow',
    '@tensorflow/tfjs-node': 'tensorflow',
    '@tensorflow/tfjs-backend-wasm': 'wasm',
  };
  return {
    tf: {
      setBackend: async (name) => {
        if (!registered.has(name)) return false;
        active = name;
        return true;
      },
      ready: async () => undefined,
    },
    load: async (specifier) => {
      if (!installed.includes(specifier)) throw new Error(`Cannot find package '${specifier}'`);
      registered.add(registers[specifier]!);
      return {};
    },
    active: () => active,
  };
}

describe('backend selection', () => {
  it('auto prefers tfjs-node-gpu, then tfjs-node, then wasm, then cpu', async () => {
    const cases: [string[], string, string | null][] = [
      [['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm'], 'tensorflow', '@tensorflow/tfjs-node-gpu'],
      [['@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm'], 'tensorflow', '@tensorflow/tfjs-node'],
      [['@tensorflow/tfjs-backend-wasm'], 'wasm', '@tensorflow/tfjs-backend-wasm'],
      [[], 'cpu', null],
    ];
    for (const [installed, name, module] of cases) {
      const f = fakeTf(installed);
      const choice = await selectBackend('auto', f.tf, f.load);
      expect([choice.name, choice.module, f.active()]).toEqual([name, module, name]);
    }
    const f = fakeTf(['@tensorflow/tfjs-backend-wasm']);
    const choice = await selectBackend('auto', f.tf, f.load);
    expect(choice.skipped.map((s) => s.module)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  });

  it('an explicit request that cannot be met says how to install it', async () => {
    const f = fakeTf(['@tensorflow/tfjs-backend-wasm']);
    await expect(selectBackend('tensorflow', f.tf, f.load)).rejects.toThrow(/backend "tensorflow" is not available .*install @tensorflow\/tfjs-node-gpu/);
    expect((await selectBackend('cpu', f.tf, f.load)).name).toBe('cpu');
  });
});
