import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Test support: runs `privedge serve` parties as separate OS processes through the `serve`
 * command module alone (the full CLI would load TF.js in every process), with the CLI's
 * error line and exit code.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = `
const { default: yargs } = await import('yargs');
const { serveCommand } = await import('./src/cli/commands/serve.ts');
try {
  await yargs(process.argv.slice(1)).command(serveCommand({ stdout: process.stdout })).demandCommand(1).strict().exitProcess(false).fail((m, e) => { throw e ?? new Error(m); }).parseAsync();
} catch (e) {
  process.stderr.write('error: ' + e.message + '\\n');
  process.exitCode = 1;
}`;

/** A party process and its output lines. */
export interface PartyProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first output line (stdout or stderr) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Spawns `privedge serve ...args` (cwd = repository root), inside network namespace `netns` if given (root only). */
export function spawnParty(args: readonly string[], netns?: string): PartyProcess {
  const argv = ['--input-type=module', '--import', 'tsx', '-e', SCRIPT, '--', 'serve', ...args];
  const child =
    netns === undefined
      ? spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('ip', ['netns', 'exec', netns, process.execPath, ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        for (const l of listeners) l(line);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor: (pattern, timeoutMs) =>
      new Promise<string>((resolve, reject) => {
        const hit = lines.find((l) => pattern.test(l));
        if (hit !== undefined) return resolve(hit);
        let done = false;
        const finish = (settle: () => void): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          listeners.delete(listener);
          settle();
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms; output:\n${lines.join('\n')}`))), timeoutMs);
        const listener = (line: string): void => {
          if (pattern.test(line)) finish(() => resolve(line));
        };
        listeners.add(listener);
        void exited.then(() => setTimeout(() => finish(() => reject(new Error(`the process exited; output:\n${lines.join('\n')}`))), 50));
      }),
  };
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A TCP forwarder on loopback that can corrupt the stream once (a tampered wire). */
export interface TamperingProxy {
  readonly port: number;
  /** Flips one byte inside the encrypted payload of a TLS record of the next client-to-target chunk of at least `minChunk` bytes. */
  corruptNext(minChunk: number): void;
  /** Chunks corrupted so far. */
  readonly corrupted: number;
  close(): void;
}

/** Forwards every connection on its port to `127.0.0.1:target`. */
export async function startTamperingProxy(target: number): Promise<TamperingProxy> {
  let armed: number | undefined;
  let corrupted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    // TLS records, client to target: 5-byte header (type, version, length) then the payload.
    let header: number[] = [];
    let payloadLeft = 0;
    let payloadAt = 0;
    let recordType = 0;
    inbound.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; ) {
        if (payloadLeft === 0) {
          header.push(chunk[i++]!);
          if (header.length === 5) {
            recordType = header[0]!;
            payloadLeft = (header[3]! << 8) | header[4]!;
            payloadAt = 0;
            header = [];
          }
          continue;
        }
        const n = Math.min(payloadLeft, chunk.length - i);
        // Flip a byte inside the encrypted payload of an application-data record, never a header.
        if (armed !== undefined && chunk.length >= armed && recordType === 23 && payloadAt <= 64 && payloadAt + n > 64) {
          armed = undefined;
          corrupted++;
          const at = i + (64 - payloadAt);
          chunk.writeUInt8(chunk.readUInt8(at) ^ 0x40, at);
        }
        i += n;
        payloadAt += n;
        payloadLeft -= n;
      }
      outbound.write(chunk);
    });
    outbound.on('data', (chunk: Buffer) => inbound.write(chunk));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    corruptNext: (minChunk) => {
      armed = minChunk;
    },
    get corrupted() {
      return corrupted;
    },
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
