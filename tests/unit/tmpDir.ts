// Test helper: a fresh temporary directory for one describe block (created before its tests, removed after them).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** Creates `<tmp>/<prefix>XXXXXX` before the block's tests and hands it to `set`; removes it afterwards. */
export function useTmpDir(prefix: string, set: (dir: string) => void): void {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    set(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
}
