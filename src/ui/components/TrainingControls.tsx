// Training controls: automatic rounds while the person labels (on by default: "learning from 24 votes…", or how many votes until the next round), Stop (between steps), and the run's status line. The manual "Train N steps" lives in the Advanced drawer.
import { useStudioStore } from '../../store';
import { setAutoTrain, stopTraining } from '../../store/trainingActions';

export function TrainingControls() {
  const status = useStudioStore((s) => s.training.status);
  const done = useStudioStore((s) => s.training.done);
  const target = useStudioStore((s) => s.training.target);
  const runKind = useStudioStore((s) => s.training.runKind);
  const roundVotes = useStudioStore((s) => s.training.roundVotes);
  const waiting = useStudioStore((s) => s.training.votesSinceRound);
  const message = useStudioStore((s) => s.training.message);
  const error = useStudioStore((s) => s.training.error);
  const autoTrain = useStudioStore((s) => s.settings.autoTrain);
  const perRound = useStudioStore((s) => s.settings.train.votesPerRound);
  const loraStep = useStudioStore((s) => s.session.lora?.step ?? 0);

  const training = status !== 'idle';
  const what = training
    ? runKind === 'round'
      ? `Learning from ${roundVotes} vote${roundVotes === 1 ? '' : 's'}… step ${done} / ${target}`
      : runKind === 'manual'
        ? `Training ${done} / ${target} steps on ${roundVotes} votes…`
        : `Training ${done} / ${target}…`
    : autoTrain
      ? `Next round of learning after ${Math.max(0, perRound - waiting)} more A/B vote${perRound - waiting === 1 ? '' : 's'}`
      : 'Automatic learning is off (train by hand in Train → Advanced)';
  return (
    <section className="training-controls" aria-label="Training" data-testid="training-controls" data-status={status} data-step={loraStep} data-run-kind={runKind ?? ''}>
      <label title={`Train one round of the recipe after every ${perRound} A/B votes, while you keep labeling`}>
        <input type="checkbox" data-testid="auto-train" checked={autoTrain} onChange={(e) => setAutoTrain(e.target.checked)} /> learn while I label
      </label>
      {training && (
        <button type="button" data-testid="train-stop" onClick={stopTraining} disabled={status === 'stopping'}>
          {status === 'stopping' ? 'Stopping…' : 'Stop'}
        </button>
      )}
      <span className="train-status" data-testid="train-status">
        <span data-testid="trainer-activity">{what}</span> · LoRA step <strong data-testid="lora-step">{loraStep}</strong>
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
