// Data screen: LoRA export (PEFT zip with adapter_config.json and a model card, or kohya; ModelSpec metadata) and import, labels as Pick-a-Pic v2 (JSONL / zip / Parquet) export and annotator-merging import, the labeled-pairs review, and the storage panel (usage, persist, prune, full backup).
import { useState, type ChangeEvent } from 'react';
import { useStudioStore } from '../../store';
import { exportEverything, exportLabels, importEverything, importLabels, importLora, persistStorage, pruneStorage, refreshStorage, type ExportedFile } from '../../store/dataActions';
import { exportLora } from '../../store/loraExport';
import { setSetting } from '../../store/settingsActions';
import { download, readFileBytes } from '../download';
import { LabeledPairs } from '../components/LabeledPairs';
import { OutcomeLines } from '../components/OutcomeLines';

function save(files: ExportedFile[] | ExportedFile | null): void {
  if (files == null) return;
  for (const f of Array.isArray(files) ? files : [files]) download({ fileName: f.fileName, data: f.data });
}

const mb = (n: number | null) => (n == null ? '?' : `${(n / 1e6).toFixed(1)} MB`);

export function DataView() {
  const storage = useStudioStore((s) => s.storage);
  const layout = useStudioStore((s) => s.settings.exportLayout);
  const annotator = useStudioStore((s) => s.settings.annotator);
  const lora = useStudioStore((s) => s.session.lora);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  const [title, setTitle] = useState('');

  const pick = (handler: (files: File[]) => Promise<unknown>) => async (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = '';
    if (files.length > 0) await handler(files);
  };

  return (
    <div className="data-view" data-testid="data-view">
      <section aria-label="LoRA">
        <h3>LoRA adapter</h3>
        <p>
          {lora ? `Rank ${lora.rank}, alpha ${lora.alpha}, ${lora.parameterCount.toLocaleString()} parameters, step ${lora.step} (${lora.targets.join(', ')}).` : 'No adapter yet.'}
        </p>
        <label>
          Layout{' '}
          <select data-testid="export-layout" value={layout} onChange={(e) => setSetting('exportLayout', e.target.value as 'peft' | 'kohya')}>
            <option value="peft">diffusers / PEFT (zip: weights, adapter_config.json, model card)</option>
            <option value="kohya">kohya (A1111 / ComfyUI)</option>
          </select>
        </label>{' '}
        <label>
          Title <input type="text" data-testid="export-title" placeholder="e.g. Bright and bold" value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>{' '}
        <button type="button" data-testid="export-lora" disabled={!ready || storage.busy} onClick={async () => save(await exportLora(layout, title))} title="ModelSpec metadata (title, thumbnail from the gallery prompts, clicks, β, recipe) goes into the file's header">
          Download LoRA
        </button>{' '}
        <label className="file-button">
          Import LoRA…
          <input data-testid="import-lora" type="file" accept=".safetensors" disabled={!ready} onChange={pick(async ([f]) => importLora(await readFileBytes(f), f.name))} />
        </label>
      </section>

      <section aria-label="Labels">
        <h3>Labels (Pick-a-Pic v2 columns)</h3>
        <label>
          Annotator <input type="text" value={annotator} onChange={(e) => setSetting('annotator', e.target.value)} />
        </label>{' '}
        <button type="button" data-testid="export-labels-jsonl" disabled={storage.busy} onClick={async () => save(await exportLabels('jsonl'))}>
          Export JSONL
        </button>{' '}
        <button type="button" data-testid="export-labels-zip" disabled={storage.busy} onClick={async () => save(await exportLabels('zip'))}>
          Export zip
        </button>{' '}
        <button type="button" data-testid="export-labels-parquet" disabled={storage.busy} onClick={async () => save(await exportLabels('parquet'))} title="For Hugging Face datasets and diffusers' Diffusion-DPO script (README, Train the same taste on a large model)">
          Export Parquet
        </button>{' '}
        <label className="file-button">
          Import / merge annotators…
          <input
            data-testid="import-labels"
            type="file"
            multiple
            accept=".jsonl,.zip"
            onChange={pick(async (files) => importLabels(await Promise.all(files.map(async (f) => ({ name: f.name, bytes: await readFileBytes(f) })))))}
          />
        </label>
        <p className="hint">Pick several files (one per annotator) to average their votes per pair, as D3PO does.</p>
      </section>

      <LabeledPairs />

      <section aria-label="Storage" data-testid="storage-panel" data-usage={storage.usage ?? ''}>
        <h3>Storage</h3>
        <p>
          Using {mb(storage.usage)} of {mb(storage.quota)}
          {storage.persisted ? ' · persistent' : ' · may be evicted under storage pressure'}{' '}
          <button type="button" onClick={() => void refreshStorage()}>
            Refresh
          </button>{' '}
          {!storage.persisted && (
            <button type="button" onClick={() => void persistStorage()}>
              Keep storage persistent
            </button>
          )}
        </p>
        <p>
          <button type="button" disabled={storage.busy} onClick={() => void pruneStorage(true)}>
            Prune unlabeled pairs
          </button>{' '}
          <button type="button" disabled={storage.busy} onClick={() => void pruneStorage(false)} title="Labeled pairs keep images and votes but can no longer be trained on">
            Prune all trajectories
          </button>{' '}
          <button type="button" data-testid="export-all" disabled={storage.busy} onClick={async () => save(await exportEverything())}>
            Export everything
          </button>{' '}
          <label className="file-button">
            Restore backup…
            <input type="file" accept=".zip" onChange={pick(async ([f]) => importEverything(await readFileBytes(f)))} />
          </label>
        </p>
      </section>
      <OutcomeLines message={storage.message} error={storage.error} prefix="data" />
    </div>
  );
}
