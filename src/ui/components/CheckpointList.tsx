// Saved LoRA checkpoints (newest first) with the step, size and a Rollback button each.
import { useStudioStore } from '../../store';
import { rollbackTo } from '../../store/trainingActions';

export function CheckpointList() {
  const checkpoints = useStudioStore((s) => s.training.checkpoints);
  const current = useStudioStore((s) => s.session.lora?.checkpointId ?? null);
  const training = useStudioStore((s) => s.training.status !== 'idle');
  if (checkpoints.length === 0) return <p className="hint">No checkpoints yet; training saves one every few steps and at the end of each run.</p>;
  return (
    <section className="checkpoints" aria-label="Checkpoints">
      <h3>Checkpoints</h3>
      <ul data-testid="checkpoint-list">
        {checkpoints.slice(0, 20).map((c) => (
          <li key={c.id} data-checkpoint-step={c.step} className={c.id === current ? 'current' : ''}>
            step {c.step} · {new Date(c.createdAt).toLocaleTimeString()} · {(c.bytes / 1024).toFixed(0)} KB{c.note ? ` · ${c.note}` : ''}
            {c.id === current ? ' (current)' : ''}{' '}
            <button type="button" disabled={training || c.id === current} onClick={() => void rollbackTo(c.id)}>
              Roll back
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
