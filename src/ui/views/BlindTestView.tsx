// The blind test: two models (base, the current adapter, or any checkpoint) draw the same prompt from the same x_T and step noise; sides are random and the names stay hidden until the vote; votes are stored apart and never trained on. Keys ← / → / ↓, Enter for the next pair.
import { useEffect, useMemo } from 'react';
import { useStudioStore } from '../../store';
import { blindVote, loadBlindVotes, nextBlind, setBlindModels } from '../../store/blindActions';
import { BASE_MODEL, CURRENT_MODEL } from '../../store/blindSlice';
import { blindTally, modelKey } from '../../store/blindTally';
import type { BlindModel } from '../../storage/blindVotes';
import type { CheckpointInfo } from '../../storage/checkpoints';
import { RgbaCanvas } from '../components/RgbaCanvas';

const SCALE = 6;
const pct = (x: number) => `${Math.round(100 * x)} %`;

function options(checkpoints: CheckpointInfo[]): BlindModel[] {
  return [BASE_MODEL, CURRENT_MODEL, ...checkpoints.map((c): BlindModel => ({ ref: 'checkpoint', checkpointId: c.id, step: c.step, label: `checkpoint step ${c.step}` }))];
}

function ModelSelect({ label, value, models, onChange, testId }: { label: string; value: BlindModel; models: BlindModel[]; onChange: (m: BlindModel) => void; testId: string }) {
  return (
    <label>
      {label}{' '}
      <select data-testid={testId} value={modelKey(value)} onChange={(e) => onChange(models.find((m) => modelKey(m) === e.target.value) ?? value)}>
        {models.map((m) => (
          <option key={modelKey(m)} value={modelKey(m)}>
            {m.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function BlindTestView() {
  const blind = useStudioStore((s) => s.blind);
  const checkpoints = useStudioStore((s) => s.training.checkpoints);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  const models = useMemo(() => options(checkpoints), [checkpoints]);
  const { a, b, round, revealed, loading, error } = blind;
  const step = useStudioStore((s) => s.session.lora?.step ?? 0);
  // The current adapter changes as it trains: its votes count per step, so the tally covers its present step only.
  const tally = useMemo(() => {
    const now = (m: BlindModel): BlindModel => (m.ref === 'current' ? { ...m, step } : m);
    return blindTally(blind.votes, now(a), now(b));
  }, [blind.votes, a, b, step]);

  useEffect(() => {
    void loadBlindVotes();
  }, []);
  useEffect(() => {
    if (ready && round == null && !loading && error == null) void nextBlind();
  }, [ready, round, loading, error]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || (e.target as HTMLElement | null)?.tagName === 'SELECT') return;
      const s = useStudioStore.getState().blind;
      if (e.key === 'Enter' && s.revealed) void nextBlind();
      const choice = e.key === 'ArrowLeft' ? 'left' : e.key === 'ArrowRight' ? 'right' : e.key === 'ArrowDown' ? 'tie' : null;
      if (choice && s.round && !s.revealed) {
        e.preventDefault();
        void blindVote(choice);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const [left, right] = round ? (round.leftIsA ? [round.images[0], round.images[1]] : [round.images[1], round.images[0]]) : [null, null];
  const sideName = (isLeft: boolean) => (revealed ? ((isLeft === revealed.leftIsA ? revealed.a : revealed.b).label) : '?');
  return (
    <div className="blind-view" data-testid="blind-view">
      <p className="hint">Which image do you prefer? The two come from two different models with the same prompt and starting noise; you see which was which only after your vote. These votes are a test: nothing trains on them.</p>
      <div className="blind-models">
        <ModelSelect label="Model A" value={a} models={models} testId="blind-a" onChange={(m) => setBlindModels(m, b)} />
        <ModelSelect label="Model B" value={b} models={models} testId="blind-b" onChange={(m) => setBlindModels(a, m)} />
      </div>
      <p className="pair-prompt" data-testid="blind-prompt">
        {round ? `“${round.prompt}”` : loading ? 'Drawing both models…' : ''}
      </p>
      <div className="pair-images">
        {[left, right].map((img, i) => (
          <figure key={i} className={revealed && revealed.winner !== 'tie' && (i === 0) === ((revealed.winner === 'a') === revealed.leftIsA) ? 'winner' : ''}>
            {img ? <RgbaCanvas key={`${round!.seed}-${i}`} image={img} scale={SCALE} label={i === 0 ? 'Left image' : 'Right image'} testId="blind-image" /> : <div className="pair-placeholder" />}
            <figcaption data-testid={`blind-side-${i === 0 ? 'left' : 'right'}`}>{sideName(i === 0)}</figcaption>
          </figure>
        ))}
      </div>
      <div className="vote-buttons">
        <button type="button" data-testid="blind-left" disabled={!round || revealed != null} onClick={() => void blindVote('left')}>
          ← Left is better
        </button>
        <button type="button" data-testid="blind-tie" disabled={!round || revealed != null} onClick={() => void blindVote('tie')}>
          ↓ Same
        </button>
        <button type="button" data-testid="blind-right" disabled={!round || revealed != null} onClick={() => void blindVote('right')}>
          Right is better →
        </button>
        <button type="button" data-testid="blind-next" disabled={revealed == null} onClick={() => void nextBlind()}>
          Next (Enter)
        </button>
      </div>
      {revealed && (
        <p data-testid="blind-reveal" data-winner={revealed.winner}>
          {revealed.winner === 'tie' ? 'You saw no difference.' : `You preferred ${(revealed.winner === 'a' ? revealed.a : revealed.b).label}.`} Left was {sideName(true)}, right was {sideName(false)}.
        </p>
      )}
      <p className="blind-tally" data-testid="blind-tally" data-n={tally.n} data-rate={Number.isFinite(tally.rate) ? tally.rate.toFixed(4) : ''}>
        {tally.n === 0
          ? `No blind votes for ${b.label} against ${a.label} yet.`
          : `${b.label} wins ${pct(tally.rate)} against ${a.label} (${tally.bWins} wins, ${tally.aWins} losses, ${tally.ties} ties; 95 % interval ${pct(tally.low)}–${pct(tally.high)}; 50 % = no difference).`}
      </p>
      {error && (
        <p className="error" role="alert" data-testid="blind-error">
          {error}
        </p>
      )}
    </div>
  );
}
