// Prompt box (with the words the model does not know) with seed, image count and DDIM steps; Generate submits, Cancel aborts the running generation.
import type { FormEvent } from 'react';
import { PromptWordsHint } from './PromptWordsHint';

export interface PromptValues {
  prompt: string;
  seed: number;
  count: number; // images per generation, 1..16
  steps: number; // DDIM steps
}

interface Props {
  values: PromptValues;
  onChange: (values: PromptValues) => void;
  onGenerate: () => void;
  onCancel: () => void;
  canGenerate: boolean; // model loaded and idle
  generating: boolean;
}

const MAX_SEED = 2 ** 31 - 1;

export function PromptForm({ values, onChange, onGenerate, onCancel, canGenerate, generating }: Props) {
  const set = <K extends keyof PromptValues>(key: K, value: PromptValues[K]) => onChange({ ...values, [key]: value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canGenerate) onGenerate();
  };
  return (
    <form className="prompt-form" onSubmit={submit}>
      <label className="prompt">
        Prompt
        <input data-testid="prompt" type="text" value={values.prompt} placeholder="red heart" onChange={(e) => set('prompt', e.target.value)} />
      </label>
      <label>
        Seed
        <input data-testid="seed" type="number" min={0} max={MAX_SEED} step={1} value={values.seed} onChange={(e) => set('seed', toInt(e.target.value, 0, MAX_SEED))} />
      </label>
      <button type="button" title="Random seed" onClick={() => set('seed', Math.floor(Math.random() * MAX_SEED))}>
        Random
      </button>
      <label>
        Images
        <input data-testid="count" type="number" min={1} max={16} step={1} value={values.count} onChange={(e) => set('count', toInt(e.target.value, 1, 16))} />
      </label>
      <label>
        Steps
        <input data-testid="steps" type="number" min={1} max={200} step={1} value={values.steps} onChange={(e) => set('steps', toInt(e.target.value, 1, 200))} />
      </label>
      {generating ? (
        <button type="button" data-testid="cancel" onClick={onCancel}>
          Cancel
        </button>
      ) : (
        <button type="submit" data-testid="generate" disabled={!canGenerate}>
          Generate
        </button>
      )}
      <PromptWordsHint text={values.prompt} testId="prompt-words" />
    </form>
  );
}

function toInt(text: string, min: number, max: number): number {
  const n = Math.round(Number(text));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : min;
}
