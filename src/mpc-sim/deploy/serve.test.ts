import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { parseAddress, serve, type ServeOptions } from './serve.js';

const base: ServeOptions = { role: 'dealer', keys: '/nonexistent/keys', state: '/nonexistent/state', listen: '127.0.0.1:7100', timeoutMs: 1000, retryMs: 0, fracBits: 20 };
const noLog = (): void => undefined;

describe('privedge serve: options refused before anything starts', () => {
  it('refuses --protocol for the dealer and --insecure-seed for a server, naming the option', async () => {
    await expect(serve({ ...base, protocol: 'v3' }, noLog)).rejects.toThrow(new UsageError('--protocol is an option of s0 and s1 (the dealer serves every version)'));
    await expect(serve({ ...base, role: 's1', dealer: '127.0.0.1:7100', insecureSeed: 'x' }, noLog)).rejects.toThrow(new UsageError('--insecure-seed is a dealer option'));
  });

  it('parses host:port (IPv6 in brackets) and names the option of a bad address', () => {
    expect(parseAddress('peer', '[::1]:7102')).toEqual({ host: '::1', port: 7102 });
    expect(() => parseAddress('listen', 'localhost')).toThrow('--listen must be host:port, got "localhost"');
    expect(() => parseAddress('dealer', 'h:70000')).toThrow(UsageError);
  });
});
