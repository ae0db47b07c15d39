import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { projectRoot, tempDir } from '../testing/fixtures.js';
import { loadNativeAddon } from './native-addon.js';

const fallback = { using: 'the fallback', code: 'TEST_ADDON' };

describe('loadNativeAddon', () => {
  afterEach(() => vi.restoreAllMocks());

  it('says the binary is not built, without a warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(loadNativeAddon(join('native', 'none', 'build', 'none.node'), () => 1, fallback)).toEqual({ reason: 'native/none/build/none.node not built (npm run build:native)' });
    expect(warn).not.toHaveBeenCalled();
  });

  it('names a binary that does not load and warns once, with the fallback and the code', async () => {
    const tmp = await tempDir();
    try {
      const file = join(tmp.dir, 'broken.node');
      await writeFile(file, 'not a shared object');
      const binary = relative(projectRoot, file);
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const load = loadNativeAddon(binary, () => 1, fallback);
      expect('reason' in load && load.reason).toMatch(new RegExp(`^loading ${binary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: `));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toBe(`${'reason' in load ? load.reason : ''}; using the fallback`);
      expect(warn.mock.calls[0]![1]).toEqual({ code: 'TEST_ADDON' });
    } finally {
      await tmp.cleanup();
    }
  });

  const binary = join('native', 'ring-kernel', 'build', 'ring_kernel.node');
  it.runIf(existsSync(join(projectRoot, binary)))('hands a loaded addon to inspect, and a throwing inspect is a load failure', () => {
    const load = loadNativeAddon(binary, (addon: { isa(): string }) => addon.isa(), fallback);
    expect('loaded' in load && ['avx512', 'avx2', 'scalar'].includes(load.loaded)).toBe(true);
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(
      loadNativeAddon(
        binary,
        () => {
          throw new Error('no such path');
        },
        fallback,
      ),
    ).toEqual({ reason: `loading ${binary} failed: no such path` });
  });
});
