#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// The composition root: the CLI (src/) gets the experiments (experiments/) from here, so src/
// never imports experiments/. Commands import the registry and their work on use, so `--help`
// loads neither. In a checkout with sources, a dist/ older than them is said on stderr first.
import { fileURLToPath } from 'node:url';
import { staleBuildWarning } from '../scripts/lib/stale-build.mjs';
import { main } from '../dist/src/cli/main.js';
import { preferThroughputGc } from '../scripts/lib/gc-tuning.mjs';

preferThroughputGc(); // a batch program: old-generation collections in one pause each (scripts/lib/gc-tuning.mjs)

const stale = staleBuildWarning(fileURLToPath(new URL('..', import.meta.url)));
if (stale) process.stderr.write(`${stale}\n`);
process.exitCode = await main(process.argv.slice(2), { experiments: async () => (await import('../dist/experiments/index.js')).experimentRegistry });
