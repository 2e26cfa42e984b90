// Training controls: "Train N steps", Stop (between steps), the online toggle (one step per new label), the D3PO reference toggle, and the run's status line.
import { useStudioStore } from '../../store';
import { setTrainField, setSetting } from '../../store/settingsActions';
import { refreshReferenceNow, setReferenceEnabled, stopTraining, trainSteps } from '../../store/trainingActions';

export function TrainingControls() {
  const status = useStudioStore((s) => s.training.status);
  const done = useStudioStore((s) => s.training.done);
  const target = useStudioStore((s) => s.training.target);
  const message = useStudioStore((s) => s.training.message);
  const error = useStudioStore((s) => s.training.error);
  const steps = useStudioStore((s) => s.settings.train.steps);
  const online = useStudioStore((s) => s.settings.online);
  const refreshReference = useStudioStore((s) => s.settings.refreshReference);
  const loraStep = useStudioStore((s) => s.session.lora?.step ?? 0);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);

  const training = status !== 'idle';
  return (
    <section className="training-controls" aria-label="Training" data-testid="training-controls" data-status={status} data-step={loraStep}>
      <label>
        Steps
        <input
          data-testid="train-steps"
          type="number"
          min={1}
          max={10000}
          value={steps}
          onChange={(e) => setTrainField('steps', Math.max(1, Math.min(10000, Math.round(Number(e.target.value)) || 1)))}
        />
      </label>
      {training ? (
        <button type="button" data-testid="train-stop" onClick={stopTraining} disabled={status === 'stopping'}>
          {status === 'stopping' ? 'Stopping…' : 'Stop'}
        </button>
      ) : (
        <button type="button" data-testid="train-button" disabled={!ready} onClick={() => void trainSteps()}>
          Train {steps} step{steps === 1 ? '' : 's'}
        </button>
      )}
      <label title="Train one step after each A/B vote">
        <input type="checkbox" data-testid="online-toggle" checked={online} onChange={(e) => setSetting('online', e.target.checked)} /> online
      </label>
      <label title="D3PO's human-feedback protocol: the reference is a copy of the adapter, refreshed at each Train click">
        <input type="checkbox" checked={refreshReference} disabled={training} onChange={(e) => void setReferenceEnabled(e.target.checked)} /> refresh reference each round
      </label>
      {refreshReference && (
        <button type="button" disabled={training} onClick={() => void refreshReferenceNow()}>
          Refresh now
        </button>
      )}
      <span className="train-status" data-testid="train-status">
        LoRA step <strong data-testid="lora-step">{loraStep}</strong>
        {training && ` · training ${done} / ${target}`}
        {!training && message && ` · ${message}`}
      </span>
      {error && (
        <p className="error" role="alert" data-testid="train-error">
          {error}
        </p>
      )}
    </section>
  );
}
