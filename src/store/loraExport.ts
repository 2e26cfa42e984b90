// LoRA export from the page: asks the worker for the file with its ModelSpec metadata (title, gallery thumbnail, clicks, β, recipe) and packs the PEFT layout as one zip with adapter_config.json, the thumbnail and a generated model card (README.md); the kohya layout is the single .safetensors file.
import type { ProfilesState } from './profilesSlice';
import { DEFAULT_PROFILE_ID } from '../storage/keys';
import { modelCard, type CardEvidence } from '../core/model/loraFile/modelCard';
import { writeZip, type ZipEntry } from '../core/io/zip';
import { slug } from '../core/io/slug';
import { encodeUtf8 } from '../core/io/utf8';
import type { BlindModel } from '../storage/blindVotes';
import { blindTally } from './blindTally';
import { errorMessage, getClient } from './client';
import { patch, useStudioStore } from './index';
import { meterNow } from './tasteMeter';
import { activePrompts } from './settingsSlice';
import { GALLERY_PROMPTS, GALLERY_SEEDS } from './galleryActions';
import type { ExportedFile } from './dataActions';

/** What says the adapter learned: the taste meter over the check votes, and blind tests of this adapter against the base model. */
function evidence(step: number): CardEvidence[] {
  const s = useStudioStore.getState();
  const out: CardEvidence[] = [];
  const meter = meterNow(s.labeling.undo);
  if (meter.n > 0) out.push({ label: `taste meter (newest ${meter.n} check votes)`, successes: meter.successes, n: meter.n, low: meter.low, high: meter.high });
  const base: BlindModel = { ref: 'base', step: null, label: 'base' };
  const tuned: BlindModel = { ref: 'current', step, label: `step ${step}` };
  const t = blindTally(s.blind.votes, base, tuned);
  if (t.n > 0) out.push({ label: `blind test: step ${step} vs base model (win rate, ties half)`, successes: t.successes, n: t.n, low: t.low, high: t.high });
  return out;
}

/** The current adapter as files to download: PEFT → one zip (weights, adapter_config.json, README.md, thumbnail.jpg); kohya → the .safetensors. */
export async function exportLora(layout: 'peft' | 'kohya', title = ''): Promise<ExportedFile[] | null> {
  patch('storage', { busy: true, error: null });
  try {
    const s = useStudioStore.getState();
    const clicks = s.labeling.undo.filter((l) => l.vote === 0 || l.vote === 1).length;
    const prompts = activePrompts(s.settings).slice(0, GALLERY_PROMPTS);
    const e = await getClient().exportLora(layout, {
      title: title.trim() || profileTitle(s.profiles), // a named profile titles its export (the first profile keeps the generated title)
      clicks,
      beta: s.settings.train.beta,
      recipe: { ...s.settings.train },
      thumbnail: prompts.length ? { prompts, seed: GALLERY_SEEDS[0], steps: s.settings.train.sampleSteps } : undefined,
    });
    const step = Number(e.metadata.studio_step ?? 0);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    if (layout === 'kohya') {
      patch('storage', { busy: false, message: `Exported ${e.fileName} (${kb(e.bytes.byteLength)}, kohya, ModelSpec metadata in the header).` });
      return [{ fileName: e.fileName, data: e.bytes }];
    }
    const entries: ZipEntry[] = [{ name: e.fileName, data: new Uint8Array(e.bytes) }];
    if (e.adapterConfig != null) entries.push({ name: 'adapter_config.json', data: encodeUtf8(e.adapterConfig) });
    if (e.thumbnail != null) entries.push({ name: 'thumbnail.jpg', data: new Uint8Array(e.thumbnail) });
    const card = modelCard({ metadata: e.metadata, weightsFile: e.fileName, configFile: e.adapterConfig != null ? 'adapter_config.json' : undefined, thumbnailFile: e.thumbnail != null ? 'thumbnail.jpg' : undefined, evidence: evidence(step) });
    entries.push({ name: 'README.md', data: encodeUtf8(card) });
    const zip = writeZip(entries);
    const fileName = `${slug(e.metadata['modelspec.title'] ?? '', { maxLength: 60, fallback: 'lora' })}-peft.zip`;
    patch('storage', { busy: false, message: `Exported ${fileName} (${kb(zip.byteLength)}: weights, adapter_config.json, model card, thumbnail).` });
    return [{ fileName, data: zip }];
  } catch (err) {
    patch('storage', { busy: false, error: errorMessage(err), message: null });
    return null;
  }
}

/** A named profile's name as the LoRA's title; undefined for the first profile (the worker writes "<model> taste (d3po, step N)"). */
function profileTitle(p: ProfilesState): string | undefined {
  return p.active === DEFAULT_PROFILE_ID ? undefined : p.list.find((x) => x.id === p.active)?.name;
}
