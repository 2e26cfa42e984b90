// The Advanced drawer: every field of the typed training config with its unit and effect; rank/alpha take effect with "New adapter".
import { useStudioStore } from '../../store';
import { resetTrainConfig, setTrainField } from '../../store/settingsActions';
import { newAdapter } from '../../store/trainingActions';
import { trainConfigLimits, validateTrainConfig, type StudioTrainConfig } from '../../worker/trainConfig';

const FIELDS: { key: keyof StudioTrainConfig; label: string; help: string; step: number }[] = [
  { key: 'beta', label: 'β', help: 'KL strength of the D3PO objective', step: 0.01 },
  { key: 'eps', label: 'ε', help: 'ratio clip [1−ε, 1+ε]', step: 0.01 },
  { key: 'learningRate', label: 'learning rate', help: 'AdamW step size', step: 1e-5 },
  { key: 'weightDecay', label: 'weight decay', help: 'decoupled AdamW decay', step: 1e-5 },
  { key: 'maxGradNorm', label: 'max grad norm', help: 'global-norm clip', step: 0.1 },
  { key: 'timestepFraction', label: 'timestep fraction', help: 'share of denoising steps trained per pair', step: 0.05 },
  { key: 'pairsPerStep', label: 'pairs per step', help: 'labeled pairs in each optimizer step', step: 1 },
  { key: 'stepsPerChunk', label: 'timesteps per chunk', help: 'memory bound per forward/backward', step: 1 },
  { key: 'checkpointEvery', label: 'checkpoint every', help: 'optimizer steps between saves', step: 1 },
  { key: 'rank', label: 'LoRA rank', help: 'applies to a new adapter', step: 1 },
  { key: 'alpha', label: 'LoRA alpha', help: 'scale alpha / rank; applies to a new adapter', step: 1 },
];

export function AdvancedDrawer() {
  const cfg = useStudioStore((s) => s.settings.train);
  const lora = useStudioStore((s) => s.session.lora);
  const training = useStudioStore((s) => s.training.status !== 'idle');
  const problem = validateTrainConfig(cfg);
  const shapeDiffers = lora != null && (lora.rank !== cfg.rank || lora.alpha !== cfg.alpha);
  return (
    <details className="advanced" data-testid="advanced">
      <summary>Advanced</summary>
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
      {problem && <p className="error">{problem}</p>}
      <p>
        <button type="button" onClick={resetTrainConfig}>
          Reset to defaults
        </button>{' '}
        <button type="button" data-testid="new-adapter" disabled={training} onClick={() => void newAdapter()}>
          New adapter (rank {cfg.rank}, alpha {cfg.alpha})
        </button>{' '}
        {shapeDiffers && <span className="hint">The current adapter is rank {lora!.rank}, alpha {lora!.alpha}; rank/alpha apply to a new adapter.</span>}
      </p>
    </details>
  );
}
