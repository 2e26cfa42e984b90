// Atomic file writes for the CLI (write to FILE.tmp, then rename), so an interrupted run never leaves a half-written model or checkpoint.
import fs from 'node:fs';
import path from 'node:path';

export function writeAtomic(file: string, bytes: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file + '.tmp', bytes);
  fs.renameSync(file + '.tmp', file);
}
