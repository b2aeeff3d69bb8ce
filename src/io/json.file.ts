/** Reading a JSON file given on the command line: a missing file or bad JSON is an InputError naming it. */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      path,
      code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? (err as Error).message})`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(path, `not valid JSON (${(err as Error).message})`);
  }
}
