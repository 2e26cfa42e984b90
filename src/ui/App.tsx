// The studio page: starts the worker (backend from ?backend=), loads the model (?model=), and generates images for a typed prompt. The labeling/training UI builds on this later.
import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError, StudioClient } from '../worker/client';
import { isBackendName, type BackendName, type BackendReport, type GeneratedImage, type ModelInfo } from '../worker/protocol';
import { BackendStatus } from './components/BackendStatus';
import { ProgressBar } from './components/ProgressBar';
import { PromptForm, type PromptValues } from './components/PromptForm';
import { RgbaCanvas } from './components/RgbaCanvas';

const DEFAULT_MODEL = 'emoji-sd';
const IMAGE_SCALE = 4; // 32×32 shown at 128×128 CSS pixels

/** starting: worker picks a backend · downloading · compiling: weights on device, kernels compiling · ready · generating · failed: load failed */
type Phase = 'starting' | 'downloading' | 'compiling' | 'ready' | 'generating' | 'failed';

interface UrlOptions {
  backend?: BackendName;
  model: string;
  warning?: string; // an ignored URL parameter
}

function readUrlOptions(): UrlOptions {
  const params = new URLSearchParams(globalThis.location.search);
  const backendParam = params.get('backend');
  const model = params.get('model') || DEFAULT_MODEL;
  if (backendParam != null && !isBackendName(backendParam)) {
    return { model, warning: `Unknown ?backend=${backendParam}; use webgpu, wasm, webgl or cpu. Using the default ladder.` };
  }
  return { backend: backendParam ?? undefined, model };
}

interface Generation {
  images: GeneratedImage[];
  prompt: string;
  seed: number;
  ms: number;
}

export function App() {
  const [url] = useState(readUrlOptions);
  const clientRef = useRef<StudioClient | null>(null);
  const abortRef = useRef<AbortController | null>(null);

  const [phase, setPhase] = useState<Phase>('starting');
  const [backend, setBackend] = useState<BackendReport | null>(null);
  const [download, setDownload] = useState<{ loaded: number; total: number | null }>({ loaded: 0, total: null });
  const [model, setModel] = useState<ModelInfo | null>(null);
  const [loadTimes, setLoadTimes] = useState<{ downloadMs: number; compileMs: number } | null>(null);
  const [values, setValues] = useState<PromptValues>({ prompt: 'red heart', seed: 1, count: 2, steps: 20 });
  const [progress, setProgress] = useState<{ step: number; total: number } | null>(null);
  const [generation, setGeneration] = useState<Generation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);

  // One worker per page; StrictMode's mount/unmount/mount in dev makes a second one and terminates the first.
  useEffect(() => {
    const client = new StudioClient();
    clientRef.current = client;
    let alive = true;
    const unsubscribe = client.subscribe((e) => {
      if (e.type === 'fatal' && alive) setFatal(e.message);
    });
    (async () => {
      try {
        const ready = await client.init(url.backend);
        if (!alive) return;
        setBackend(ready.backend);
        setPhase('downloading');
        const loaded = await client.load(url.model, {
          onProgress: (e) => {
            if (!alive) return;
            if (e.type === 'load-progress') setDownload({ loaded: e.loadedBytes, total: e.totalBytes });
            else setPhase('compiling');
          },
        });
        if (!alive) return;
        setModel(loaded.model);
        setLoadTimes({ downloadMs: loaded.downloadMs, compileMs: loaded.compileMs });
        setValues((v) => ({ ...v, steps: loaded.model.sampleDefaults.steps }));
        setPhase('ready');
      } catch (e) {
        if (!alive) return;
        setError(e instanceof Error ? e.message : String(e));
        setPhase('failed');
      }
    })();
    return () => {
      alive = false;
      unsubscribe();
      client.terminate();
      clientRef.current = null;
    };
  }, [url]);

  const generate = useCallback(async () => {
    const client = clientRef.current;
    if (client == null) return;
    const abort = new AbortController();
    abortRef.current = abort;
    setPhase('generating');
    setError(null);
    setProgress({ step: 0, total: values.steps });
    try {
      const result = await client.generate(
        { prompt: values.prompt, count: values.count, seed: values.seed, steps: values.steps },
        { signal: abort.signal, onProgress: (e) => setProgress({ step: e.step, total: e.total }) },
      );
      setGeneration({ images: result.images, prompt: values.prompt, seed: values.seed, ms: result.ms });
    } catch (e) {
      if (!isAbortError(e)) setError(e instanceof Error ? e.message : String(e));
    } finally {
      abortRef.current = null;
      setProgress(null);
      setPhase('ready');
    }
  }, [values]);

  const busy = phase === 'starting' || phase === 'downloading' || phase === 'compiling';
  return (
    <main className="studio" data-phase={phase}>
      <header>
        <h1>d3po studio</h1>
        <BackendStatus backend={backend} />
        {url.warning && <p className="warning">{url.warning}</p>}
      </header>

      {fatal && (
        <div className="error" role="alert" data-testid="fatal">
          <p>{fatal}</p>
          <button type="button" onClick={() => globalThis.location.reload()}>
            Reload
          </button>
        </div>
      )}

      <section className="model" aria-label="Model" data-testid="model-status">
        {phase === 'downloading' && (
          <ProgressBar
            testId="download-progress"
            label={`Downloading ${url.model}: ${mb(download.loaded)}${download.total != null ? ` / ${mb(download.total)}` : ''} MB`}
            value={download.loaded}
            max={download.total}
          />
        )}
        {phase === 'compiling' && <ProgressBar testId="compiling" label="Compiling kernels…" value={0} max={null} />}
        {model && (
          <p>
            Model <strong data-testid="model-name">{model.name}</strong> ({formatParams(model.parameterCounts)}, {mb(model.bytes)} MB)
            {loadTimes && ` — downloaded in ${seconds(loadTimes.downloadMs)}, ready in ${seconds(loadTimes.compileMs)}`}
          </p>
        )}
      </section>

      <PromptForm
        values={values}
        onChange={setValues}
        onGenerate={generate}
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
            “{generation.prompt}”, seed {generation.seed}, {seconds(generation.ms)}
          </p>
          <div className="gallery-grid">
            {generation.images.map((image, i) => (
              <RgbaCanvas key={`${generation.seed}-${i}-${generation.ms}`} image={image} scale={IMAGE_SCALE} label={`${generation.prompt} #${i + 1}`} />
            ))}
          </div>
        </section>
      )}
      {busy && !error && <p className="hint">The first load compiles the model for this device; later generations are faster.</p>}
    </main>
  );
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatParams(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return `${(total / 1e6).toFixed(2)} M parameters`;
}
