// The studio page shell: backend and model status, the taste profile (switch, blend), the adapter badge, a fatal-error banner with Reload, and the tabs (Label · Train · Moodboard · Blind test · Compare · Generate · Data). State comes from the store; the worker is booted in main.tsx.
import { useStudioStore } from '../store';
import { setView } from '../store/actions';
import type { View } from '../store/sessionSlice';
import { BackendStatus } from './components/BackendStatus';
import { ProfileBar } from './components/ProfileBar';
import { ProgressBar } from './components/ProgressBar';
import { CompareView } from './views/CompareView';
import { DataView } from './views/DataView';
import { GenerateView } from './views/GenerateView';
import { LabelView } from './views/LabelView';
import { TrainView } from './views/TrainView';
import { BlindTestView } from './views/BlindTestView';
import { MoodboardView } from './views/MoodboardView';

const TABS: { view: View; label: string }[] = [
  { view: 'label', label: 'Label' },
  { view: 'train', label: 'Train' },
  { view: 'moodboard', label: 'Moodboard' },
  { view: 'blind', label: 'Blind test' },
  { view: 'compare', label: 'Compare' },
  { view: 'generate', label: 'Generate' },
  { view: 'data', label: 'Data' },
];

export function App() {
  const session = useStudioStore((s) => s.session);
  const { phase, backend, model, download, loadTimes, lora, fatal, loadError, urlWarning, view, modelFolder } = session;
  const busy = phase === 'starting' || phase === 'downloading' || phase === 'compiling';
  return (
    <main className="studio" data-phase={phase}>
      <header>
        <h1>d3po studio</h1>
        <BackendStatus backend={backend} />
        <ProfileBar />
        {urlWarning && <p className="warning">{urlWarning}</p>}
      </header>

      {fatal && (
        <div className="error" role="alert" data-testid="fatal">
          <p>{fatal}</p>
          <p>Your labels, pairs and the last checkpoint are saved in this browser; reloading resumes from them.</p>
          <button type="button" onClick={() => globalThis.location.reload()}>
            Reload
          </button>
        </div>
      )}

      <section className="model" aria-label="Model" data-testid="model-status">
        {phase === 'downloading' && (
          <ProgressBar
            testId="download-progress"
            label={`Downloading ${modelFolder}: ${mb(download.loaded)}${download.total != null ? ` / ${mb(download.total)}` : ''} MB`}
            value={download.loaded}
            max={download.total}
          />
        )}
        {phase === 'compiling' && <ProgressBar testId="compiling" label="Compiling kernels…" value={0} max={null} />}
        {model && (
          <p>
            Model <strong data-testid="model-name">{model.name}</strong> ({formatParams(model.parameterCounts)}, {mb(model.bytes)} MB)
            {loadTimes && ` — downloaded in ${seconds(loadTimes.downloadMs)}, ready in ${seconds(loadTimes.compileMs)}`}
            {lora && (
              <span className="lora-badge" data-testid="lora-badge" data-step={lora.step} data-source={lora.source}>
                {' '}
                · LoRA r{lora.rank} step {lora.step} ({lora.source === 'checkpoint' ? 'restored' : lora.source})
              </span>
            )}
          </p>
        )}
        {lora?.note && <p className="warning">{lora.note}</p>}
        {loadError && (
          <p className="error" role="alert" data-testid="error">
            {loadError}
          </p>
        )}
      </section>

      <nav className="tabs" aria-label="Screens">
        {TABS.map((t) => (
          <button key={t.view} type="button" data-testid={`tab-${t.view}`} aria-pressed={view === t.view} className={view === t.view ? 'active' : ''} onClick={() => setView(t.view)}>
            {t.label}
          </button>
        ))}
      </nav>

      {view === 'label' && <LabelView />}
      {view === 'train' && <TrainView />}
      {view === 'moodboard' && <MoodboardView />}
      {view === 'blind' && <BlindTestView />}
      {view === 'compare' && <CompareView />}
      {view === 'generate' && <GenerateView />}
      {view === 'data' && <DataView />}
      {busy && !loadError && <p className="hint">The first load compiles the model for this device; later generations are faster.</p>}
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
