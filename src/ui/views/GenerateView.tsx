// Playground: generate images for a typed prompt and seed with the current adapter (at the compare scale), with progress and Cancel.
import { useCallback, useEffect, useRef, useState } from 'react';
import { patch, useStudioStore } from '../../store';
import { errorMessage, getClient, isAbort } from '../../store/client';
import type { GeneratedImage } from '../../worker/protocol';
import { ProgressBar } from '../components/ProgressBar';
import { PromptForm, type PromptValues } from '../components/PromptForm';
import { RgbaCanvas } from '../components/RgbaCanvas';

const IMAGE_SCALE = 4; // 32×32 shown at 128×128 CSS pixels

interface Generation {
  images: GeneratedImage[];
  prompt: string;
  seed: number;
  ms: number;
}

export function GenerateView() {
  const phase = useStudioStore((s) => s.session.phase);
  const fatal = useStudioStore((s) => s.session.fatal);
  const defaultSteps = useStudioStore((s) => s.settings.train.sampleSteps); // the studio's count (pairs, Compare, gallery), so the same seed draws the same image
  const [values, setValues] = useState<PromptValues>(() => ({ prompt: 'red heart', seed: 1, count: 2, steps: defaultSteps }));
  const [progress, setProgress] = useState<{ step: number; total: number } | null>(null);
  const [generation, setGeneration] = useState<Generation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  useEffect(() => setValues((v) => ({ ...v, steps: defaultSteps })), [defaultSteps]); // follows the recipe's sampling steps when they change

  const generate = useCallback(async () => {
    const abort = new AbortController();
    abortRef.current = abort;
    patch('session', { phase: 'generating' });
    setError(null);
    setProgress({ step: 0, total: values.steps });
    try {
      const result = await getClient().generate(
        { prompt: values.prompt, count: values.count, seed: values.seed, steps: values.steps },
        { signal: abort.signal, onProgress: (e) => setProgress({ step: e.step, total: e.total }) },
      );
      setGeneration({ images: result.images, prompt: values.prompt, seed: values.seed, ms: result.ms });
    } catch (e) {
      if (!isAbort(e)) setError(errorMessage(e));
    } finally {
      abortRef.current = null;
      setProgress(null);
      patch('session', { phase: 'ready' });
    }
  }, [values]);

  return (
    <div className="generate-view" data-testid="generate-view">
      <PromptForm
        values={values}
        onChange={setValues}
        onGenerate={() => void generate()}
        onCancel={() => abortRef.current?.abort()}
        canGenerate={phase === 'ready' && fatal == null && values.prompt.trim() !== ''}
        generating={phase === 'generating'}
      />
      {progress && <ProgressBar testId="generate-progress" label={`Denoising step ${progress.step} / ${progress.total}`} value={progress.step} max={progress.total} />}
      {error && (
        <p className="error" role="alert" data-testid="error">
          {error}
        </p>
      )}
      {generation && (
        <section className="gallery" aria-label="Generated images" data-testid="gallery">
          <p className="gallery-caption">
            “{generation.prompt}”, seed {generation.seed}, {(generation.ms / 1000).toFixed(1)} s
          </p>
          <div className="gallery-grid">
            {generation.images.map((image, i) => (
              <RgbaCanvas key={`${generation.seed}-${i}-${generation.ms}`} image={image} scale={IMAGE_SCALE} label={`${generation.prompt} #${i + 1}`} />
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
