/** The worker's measured backend choice, remembered per device in the meta database (so later loads skip the probe); a malformed record reads as none. */
import { isBackendName, type CachedChoice, type ChoiceCache } from '../platform/backendTypes';
import { KEY } from './keys';
import { getValues, writeEntries } from './db';

function valid(v: unknown): v is CachedChoice {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<CachedChoice>;
  return typeof r.identity === 'string' && isBackendName(r.name) && Array.isArray(r.timings) && typeof r.at === 'number';
}

export const backendChoiceCache: ChoiceCache = {
  async read() {
    const [v] = await getValues<unknown>('meta', [KEY.backendChoice]);
    return valid(v) ? v : undefined;
  },
  async write(choice) {
    await writeEntries('meta', 'the backend choice', [[KEY.backendChoice, choice]]);
  },
};
