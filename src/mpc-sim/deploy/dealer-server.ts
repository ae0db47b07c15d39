import type * as tls from 'node:tls';
import { loadKeys } from '../transport/keys.js';
import type { FrameLink } from '../transport/link.js';
import { boundPort, listenLinks, type Address } from '../transport/tls-link.js';
import { DealerService } from './dealer-service.js';
import { serveDealerLink } from './remote-dealer.js';

/** Options of {@link startDealer}. */
export interface DealerOptions {
  readonly keysDir: string;
  /** The dealer's own folder (mode 0700): the weight masks of enrolled layers. */
  readonly stateDir: string;
  readonly listen: Address;
  readonly timeoutMs: number;
  /** INSECURE, tests only: reproducible material from this seed (needs `insecureDeterministic`). */
  readonly seed?: string;
  readonly insecureDeterministic?: boolean;
  readonly log: (line: string) => void;
}

/** A running dealer. */
export interface RunningDealer {
  readonly port: number;
  close(): void;
}

/**
 * Starts the dealer: listens for S0 and S1 (no one else has a key for it) and answers their
 * material requests (see `DealerService`); a newly connected server replaces its old link.
 */
export async function startDealer(o: DealerOptions): Promise<RunningDealer> {
  const service = new DealerService({ stateDir: o.stateDir, ...(o.seed === undefined ? {} : { seed: o.seed, insecureDeterministic: o.insecureDeterministic === true }) });
  const links = new Set<FrameLink>();
  const server: tls.Server = await listenLinks({
    self: 'dealer',
    address: o.listen,
    keys: loadKeys(o.keysDir, 'dealer'),
    timeoutMs: o.timeoutMs,
    onRefused: (m) => o.log(`dealer: ${m}`),
    onLink: (link) => {
      if (link.peer !== 's0' && link.peer !== 's1') {
        link.close();
        return;
      }
      links.add(link);
      o.log(`dealer: ${link.peer} connected`);
      void serveDealerLink(link, link.peer === 's0' ? 0 : 1, service).then(() => {
        links.delete(link);
        o.log(`dealer: ${link.peer} disconnected`);
      });
    },
  });
  o.log(`dealer: listening (${service.name} randomness, ${service.storedMasks()} weight masks stored)`);
  return {
    port: boundPort(server),
    close: () => {
      server.close();
      for (const l of links) l.close();
    },
  };
}
