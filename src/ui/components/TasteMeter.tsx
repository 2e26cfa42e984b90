// The taste meter on the Label view: on check pairs (the model's image beside the base model's from the same noise, sides hidden) how often the person picks the model's image — its prediction, made before a vote it never trained on (newest check votes, with a 95 % interval) — and the person's own consistency on re-shown pairs.
import { useMemo } from 'react';
import { useStudioStore } from '../../store';
import { METER_WINDOW, meterNow } from '../../store/tasteMeter';
import { CHECK_EVERY } from '../../core/taste/checkPairs';
import { RECHECK_EVERY } from '../../core/preferences/recheck';
import { consistency } from '../../storage/rechecks';

const pct = (x: number) => `${Math.round(100 * x)} %`;

export function TasteMeter() {
  const labels = useStudioStore((s) => s.labeling.undo);
  const p = useMemo(() => meterNow(labels), [labels]);
  if (p.n === 0) {
    return (
      <>
        <p className="taste-meter empty" data-testid="taste-meter" data-n={0}>
          Taste meter: once the model has learned from your first votes, every {ordinal(CHECK_EVERY)} pair shows its own image beside the base model&apos;s from
          the same noise, sides hidden. The model bets you will pick its image; this shows how often you do.
        </p>
        <SelfConsistency />
      </>
    );
  }
  return (
    <div className="taste-meter" data-testid="taste-meter" data-n={p.n} data-rate={p.rate.toFixed(4)} title={`Every ${ordinal(CHECK_EVERY)} pair is a check: the tuned model's image against the base model's from the same prompt and noise, sides random. The model has not trained on a vote before you cast it. 50 % is chance.`}>
      <p>
        The model now agrees with you <strong data-testid="meter-rate">{pct(p.rate)}</strong> of the time
        <span className="muted">
          {' '}
          (you picked its image in {p.successes} of the last {p.n} check pairs{p.n < METER_WINDOW ? '' : ` of ${METER_WINDOW}`}; 95 % interval {pct(p.low)}–{pct(p.high)}; chance is 50 %)
        </span>
      </p>
      {p.low <= 0.5 && p.high >= 0.5 && (
        <p className="muted" data-testid="meter-unclear">
          Not yet different from chance: too few check pairs, or the model has not moved towards your taste yet. The Blind test tab compares any two checkpoints.
        </p>
      )}
      <div className="meter-bar" aria-hidden="true">
        <div className="meter-interval" style={{ left: pct(p.low), width: `${Math.round(100 * (p.high - p.low))}%` }} />
        <div className="meter-value" style={{ left: pct(p.rate) }} />
        <div className="meter-chance" />
      </div>
      <SelfConsistency />
    </div>
  );
}

/** How often the person repeated their own earlier vote on re-shown pairs (sides swapped): the ceiling of any meter. */
function SelfConsistency() {
  const rechecks = useStudioStore((s) => s.labeling.rechecks);
  const c = consistency(rechecks);
  if (c.n === 0) return null;
  return (
    <p className="muted" data-testid="consistency" data-agreed={c.agreed} data-n={c.n}>
      You repeated your own earlier vote on {c.agreed} of {c.n} re-shown pair{c.n === 1 ? '' : 's'} ({pct(c.agreed / c.n)}; one pair in {RECHECK_EVERY} is one you
      voted on before, sides swapped) — no model can agree with you more often than that.
    </p>
  );
}

const ordinal = (n: number) => (n === 2 ? 'second' : n === 3 ? 'third' : n === 4 ? 'fourth' : `${n}th`);
