// The Advanced drawer: the taste recipe field by field with its unit and effect (defaults chosen by the taste sweep), the LoRA targets, the reference protocol, and the manual controls ("Train N steps", refresh the reference now, new adapter).
import { useStudioStore } from '../../store';
import { resetTrainConfig, setTrainField } from '../../store/settingsActions';
import { newAdapter, refreshReferenceNow, setReferenceEnabled, trainSteps } from '../../store/trainingActions';
import { LORA_TARGET_CHOICES } from '../../core/taste/recipe';
import { trainConfigLimits, validateTrainConfig, type StudioTrainConfig } from '../../worker/trainConfig';

type NumberField = keyof typeof trainConfigLimits & keyof StudioTrainConfig;

const FIELDS: { key: NumberField; label: string; help: string; step: number }[] = [
  { key: 'sampleSteps', label: 'sampling steps', help: 'DDIM steps of each pair (and of Compare, the gallery and blind tests); D3PO trains on these trajectories', step: 1 },
  { key: 'votesPerRound', label: 'votes per round', help: 'learn after this many new A/B votes', step: 1 },
  { key: 'stepsPerRound', label: 'steps per round', help: 'optimizer steps each round takes', step: 1 },
  { key: 'pairsPerStep', label: 'pairs per step', help: 'labeled pairs in each optimizer step', step: 1 },
  { key: 'learningRate', label: 'learning rate', help: 'AdamW step size', step: 1e-4 },
  { key: 'timestepFraction', label: 'timestep fraction', help: 'share of denoising steps trained per pair', step: 0.05 },
  { key: 'skipFinalSteps', label: 'skip final steps', help: 'final denoising steps never trained (tiny noise, huge log-ratios)', step: 1 },
  { key: 'beta', label: 'β', help: 'KL strength of the D3PO objective', step: 0.01 },
  { key: 'eps', label: 'ε', help: 'ratio clip [1−ε, 1+ε]', step: 0.01 },
  { key: 'weightDecay', label: 'weight decay', help: 'decoupled AdamW decay', step: 1e-5 },
  { key: 'maxGradNorm', label: 'max grad norm', help: 'global-norm clip', step: 0.1 },
  { key: 'stepsPerChunk', label: 'timesteps per chunk', help: 'memory bound per forward/backward', step: 1 },
  { key: 'checkpointEvery', label: 'checkpoint every', help: 'optimizer steps between saves', step: 1 },
  { key: 'rank', label: 'LoRA rank', help: 'applies to a new adapter', step: 1 },
  { key: 'alpha', label: 'LoRA alpha', help: 'scale alpha / rank; applies to a new adapter', step: 1 },
  { key: 'steps', label: 'manual steps', help: 'steps of one "Train N steps" click', step: 1 },
];

export function AdvancedDrawer() {
  const cfg = useStudioStore((s) => s.settings.train);
  const lora = useStudioStore((s) => s.session.lora);
  const status = useStudioStore((s) => s.training.status);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  const training = status !== 'idle';
  const problem = validateTrainConfig(cfg);
  const shapeDiffers = lora != null && (lora.rank !== cfg.rank || lora.alpha !== cfg.alpha || lora.targets.join() !== cfg.targets.join());
  const toggleTarget = (t: string, on: boolean) => setTrainField('targets', on ? [...cfg.targets, t] : cfg.targets.filter((x) => x !== t));
  return (
    <details className="advanced" data-testid="advanced">
      <summary>Advanced</summary>
      <p className="manual-train">
        <button type="button" data-testid="train-button" disabled={!ready || training || problem != null} onClick={() => void trainSteps()}>
          Train {cfg.steps} step{cfg.steps === 1 ? '' : 's'} now
        </button>{' '}
        <label title="D3PO's human-feedback protocol: the reference is a copy of the adapter, refreshed at the start of each round">
          <input type="checkbox" data-testid="refresh-reference" checked={cfg.refreshReference} disabled={training} onChange={(e) => void setReferenceEnabled(e.target.checked)} /> refresh the
          reference each round
        </label>{' '}
        {cfg.refreshReference && (
          <button type="button" disabled={training} onClick={() => void refreshReferenceNow()}>
            Refresh now
          </button>
        )}
      </p>
      <div className="advanced-grid">
        {FIELDS.map((f) => (
          <label key={f.key} title={f.help}>
            <span>{f.label}</span>
            <input
              type="number"
              data-testid={`cfg-${f.key}`}
              step={f.step}
              min={trainConfigLimits[f.key][0]}
              max={trainConfigLimits[f.key][1]}
              value={cfg[f.key]}
              onChange={(e) => setTrainField(f.key, Number(e.target.value))}
            />
            <small>{f.help}</small>
          </label>
        ))}
      </div>
      <fieldset className="lora-targets">
        <legend>LoRA targets (a new adapter)</legend>
        {LORA_TARGET_CHOICES.map((t) => (
          <label key={t}>
            <input type="checkbox" checked={cfg.targets.includes(t)} onChange={(e) => toggleTarget(t, e.target.checked)} /> {t}
          </label>
        ))}
      </fieldset>
      {problem && <p className="error">{problem}</p>}
      <p>
        <button type="button" onClick={resetTrainConfig}>
          Reset to the recipe
        </button>{' '}
        <button type="button" data-testid="new-adapter" disabled={training} onClick={() => void newAdapter()}>
          New adapter (rank {cfg.rank}, alpha {cfg.alpha})
        </button>{' '}
        {shapeDiffers && <span className="hint">The current adapter is rank {lora!.rank}, alpha {lora!.alpha} on {lora!.targets.join(', ')}; the shape applies to a new adapter.</span>}
      </p>
    </details>
  );
}
