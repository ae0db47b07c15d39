import { UsageError } from '../../errors.js';
import type { ProtocolVersion } from '../protocols/protocol-version.js';
import type { Address } from '../transport/tls-link.js';
import { startDealer } from './dealer-server.js';
import { startServer } from './server.js';

/** Options of `privedge serve`. */
export interface ServeOptions {
  readonly role: 's0' | 's1' | 'dealer';
  readonly keys: string;
  readonly state: string;
  /** `host:port` to listen on. */
  readonly listen: string;
  /** `host:port` of S1 (S0 only). */
  readonly peer?: string;
  /** `host:port` of the dealer (servers only). */
  readonly dealer?: string;
  readonly timeoutMs: number;
  readonly retryMs: number;
  readonly fracBits: number;
  /** Protocol version of S0 and S1 (default `v1`); not a dealer option. */
  readonly protocol?: ProtocolVersion;
  /** INSECURE, tests only: the dealer's seed. */
  readonly insecureSeed?: string;
}

/**
 * Parses `host:port`.
 * @throws UsageError naming `option` otherwise.
 */
export function parseAddress(option: string, text: string | undefined): Address {
  const m = /^(.+):(\d{1,5})$/.exec(text ?? '');
  const port = Number(m?.[2]);
  if (m === null || port > 65535) throw new UsageError(`--${option} must be host:port, got ${JSON.stringify(text ?? '')}`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Runs one party until SIGINT or SIGTERM: S0, S1 or the dealer. Resolves when stopped; rejects
 * if it cannot start (unreachable dealer, bad keys or state folder).
 */
export async function serve(o: ServeOptions, log: (line: string) => void): Promise<void> {
  const listen = parseAddress('listen', o.listen);
  let close: () => void;
  if (o.role === 'dealer') {
    if (o.protocol !== undefined) throw new UsageError('--protocol is an option of s0 and s1 (the dealer serves every version)');
    const d = await startDealer({
      keysDir: o.keys,
      stateDir: o.state,
      listen,
      timeoutMs: o.timeoutMs,
      log,
      ...(o.insecureSeed === undefined ? {} : { seed: o.insecureSeed, insecureDeterministic: true }),
    });
    close = d.close;
    log(`dealer: ready on port ${d.port}`);
  } else {
    if (o.insecureSeed !== undefined) throw new UsageError('--insecure-seed is a dealer option');
    const s = await startServer({
      role: o.role,
      stateDir: o.state,
      keysDir: o.keys,
      listen,
      peer: o.role === 's0' ? parseAddress('peer', o.peer) : { host: '127.0.0.1', port: 0 },
      dealer: parseAddress('dealer', o.dealer),
      timeoutMs: o.timeoutMs,
      retryMs: o.retryMs,
      fracBits: o.fracBits,
      ...(o.protocol === undefined ? {} : { protocol: o.protocol }),
      log,
    });
    close = s.close;
    log(`${o.role}: ready on port ${s.port}`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      close();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
