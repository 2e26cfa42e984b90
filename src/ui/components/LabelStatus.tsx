/** The labeling counter ("N labeled, M ties, both bad, queue Q") and the generation-error box, shared by the pair and best-of-4 panels. */
import { useStudioStore } from '../../store';
import { retryGeneration } from '../../store/pairQueue';

export function LabelCounter({ queued }: { queued: number }) {
  const counts = useStudioStore((s) => s.labeling.counts);
  const inFlight = useStudioStore((s) => s.labeling.inFlight);
  return (
    <span
      className="label-counter"
      data-testid="label-counter"
      data-labeled={counts.labeled}
      data-ties={counts.ties}
      data-both-bad={counts.bothBad}
      data-queue={queued}
      data-in-flight={inFlight}
    >
      {counts.labeled} labeled, {counts.ties} ties, {counts.bothBad} both bad, queue {queued}
      {inFlight > 0 && ` (+${inFlight} generating)`}
    </span>
  );
}

export function GenerationError() {
  const error = useStudioStore((s) => s.labeling.error);
  if (!error) return null;
  return (
    <div className="error" role="alert" data-testid="labeling-error">
      <p>{error}</p>
      <button type="button" onClick={retryGeneration}>
        Try again
      </button>
    </div>
  );
}
