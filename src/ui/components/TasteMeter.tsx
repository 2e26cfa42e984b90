// The taste meter on the Label view: how often the model's own preference, predicted before each vote on a pair it never trained on, matches the person's vote (newest votes, with a 95 % interval).
import { useMemo } from 'react';
import { useStudioStore } from '../../store';
import { METER_WINDOW, meterNow } from '../../store/tasteMeter';

const pct = (x: number) => `${Math.round(100 * x)} %`;

export function TasteMeter() {
  const labels = useStudioStore((s) => s.labeling.undo);
  const p = useMemo(() => meterNow(labels), [labels]);
  if (p.n === 0) {
    return (
      <p className="taste-meter empty" data-testid="taste-meter" data-n={0}>
        Taste meter: after the first round of learning the model guesses your vote on each new pair before you click; this shows how often it is right.
      </p>
    );
  }
  return (
    <div className="taste-meter" data-testid="taste-meter" data-n={p.n} data-rate={p.rate.toFixed(4)} title="Predictions are made before your vote, on pairs the model has not trained on. 50 % is chance.">
      <p>
        The model now agrees with you <strong data-testid="meter-rate">{pct(p.rate)}</strong> of the time
        <span className="muted">
          {' '}
          (last {p.n} of your votes{p.n < METER_WINDOW ? '' : ` of ${METER_WINDOW}`}; 95 % interval {pct(p.low)}–{pct(p.high)}; chance is 50 %)
        </span>
      </p>
      {p.low <= 0.5 && p.high >= 0.5 && (
        <p className="muted" data-testid="meter-unclear">
          Not yet different from chance. The guess comes from one sample&apos;s log-probabilities and stays weak for a small adapter even when it has learned
          your taste; the Blind test tab shows whether the tuned model wins.
        </p>
      )}
      <div className="meter-bar" aria-hidden="true">
        <div className="meter-interval" style={{ left: pct(p.low), width: `${Math.round(100 * (p.high - p.low))}%` }} />
        <div className="meter-value" style={{ left: pct(p.rate) }} />
        <div className="meter-chance" />
      </div>
    </div>
  );
}
