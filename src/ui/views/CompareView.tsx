// Compare screen: base vs tuned side by side on the same prompts and seeds, with a LoRA scale slider (0 = base model, 1 = as trained).
import { useRef, useState } from 'react';
import { useStudioStore } from '../../store';
import { errorMessage, isAbort } from '../../store/client';
import { runCompare, type CompareCell } from '../../store/compareActions';
import { setSetting } from '../../store/settingsActions';
import { activePrompts } from '../../store/settingsSlice';
import { RgbaCanvas } from '../components/RgbaCanvas';

const SCALE = 4;

export function CompareView() {
  const settings = useStudioStore((s) => s.settings);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  const loraStep = useStudioStore((s) => s.session.lora?.step ?? 0);
  const [promptText, setPromptText] = useState(() => activePrompts(settings).slice(0, 3).join('\n'));
  const [scale, setScale] = useState(settings.compareScale);
  const [cells, setCells] = useState<CompareCell[]>([]);
  const [running, setRunning] = useState(false);
  const [runs, setRuns] = useState(0); // completed compare runs (tests wait on data-runs)
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const prompts = promptText.split('\n').map((p) => p.trim()).filter(Boolean);
  const seeds = settings.compareSeeds;
  const run = async () => {
    const a = new AbortController();
    abort.current = a;
    setRunning(true);
    setError(null);
    setCells([]);
    try {
      await runCompare(prompts, seeds, scale, (cell) => setCells((c) => [...c, cell]), a.signal);
    } catch (e) {
      if (!isAbort(e)) setError(errorMessage(e));
    } finally {
      setRuns((n) => n + 1);
      setRunning(false);
      abort.current = null;
    }
  };

  return (
    <div className="compare-view" data-testid="compare-view">
      <div className="compare-controls">
        <label>
          Prompts (one per line)
          <textarea data-testid="compare-prompts" rows={3} value={promptText} onChange={(e) => setPromptText(e.target.value)} />
        </label>
        <label>
          Seeds
          <input
            type="text"
            data-testid="compare-seeds"
            value={seeds.join(', ')}
            onChange={(e) => setSetting('compareSeeds', [...new Set(e.target.value.split(/[,\s]+/).map(Number).filter((n) => Number.isInteger(n) && n >= 0))].slice(0, 8))}
          />
        </label>
        <label>
          LoRA scale {scale.toFixed(2)}
          <input type="range" data-testid="compare-scale" min={0} max={2} step={0.05} value={scale} onChange={(e) => setScale(Number(e.target.value))} />
        </label>
        {running ? (
          <button type="button" onClick={() => abort.current?.abort()}>
            Stop
          </button>
        ) : (
          <button type="button" data-testid="compare-run" disabled={!ready || prompts.length === 0 || seeds.length === 0} onClick={() => void run()}>
            Compare ({prompts.length * seeds.length})
          </button>
        )}
        <span className="muted">tuned = LoRA step {loraStep} × {scale.toFixed(2)}</span>
      </div>
      {error && (
        <p className="error" role="alert" data-testid="compare-error">
          {error}
        </p>
      )}
      <table className="compare-table" data-testid="compare-table" data-cells={cells.length} data-runs={runs}>
        <thead>
          <tr>
            <th>prompt</th>
            <th>seed</th>
            <th>base</th>
            <th>tuned</th>
          </tr>
        </thead>
        <tbody>
          {cells.map((c) => (
            <tr key={`${c.prompt}-${c.seed}`}>
              <td>{c.prompt}</td>
              <td>{c.seed}</td>
              <td>
                <RgbaCanvas image={c.base} scale={SCALE} label={`${c.prompt} base`} testId="compare-base" />
              </td>
              <td>
                <RgbaCanvas image={c.tuned} scale={SCALE} label={`${c.prompt} tuned ×${c.scale}`} testId="compare-tuned" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
