/**
 * Prints the Markdown reference of every config key, or with --write replaces the generated
 * section of README.md. A test fails when README.md is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { experiments } from '../experiments/index.js';
import { configReference, replaceReference } from '../src/config/reference.js';

const reference = configReference(experiments);
if (process.argv.includes('--write')) {
  writeFileSync('README.md', replaceReference(readFileSync('README.md', 'utf8'), reference));
  console.log('README.md: config reference updated');
} else {
  console.log(reference);
}
