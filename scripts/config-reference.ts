/**
 * Prints the Markdown reference of every config key, or with --write replaces the generated
 * section of docs/configuration.md. A test fails when that page is out of date.
 */
import { readFileSync } from 'node:fs';
import { experiments } from '../experiments/index.js';
import { configReference, REFERENCE_PAGE, replaceReference } from '../src/config/reference.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';

const reference = configReference(experiments);
if (process.argv.includes('--write')) {
  await writeFileAtomic(REFERENCE_PAGE, replaceReference(readFileSync(REFERENCE_PAGE, 'utf8'), reference));
  console.log(`${REFERENCE_PAGE}: config reference updated`);
} else {
  console.log(reference);
}
