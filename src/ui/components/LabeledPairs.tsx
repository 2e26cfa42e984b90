// The labeled-pairs review (Teachable Machine's per-sample view/delete): this model's votes newest first, both images as they were shown with the chosen side marked, and per vote: change it, delete it, or delete it with its pair.
import { useCallback, useEffect, useState } from 'react';
import { useStudioStore } from '../../store';
import { changeVote, choiceOf, deleteLabeledPair, listLabeledPairs, type LabeledPairView } from '../../store/labelBrowserActions';
import { VOTE_LETTERS, type VoteLetter } from '../../core/preferences/votes';
import { RgbaCanvas } from './RgbaCanvas';

const PAGE = 12;
const CHOICE_TEXT: Record<VoteLetter, string> = { A: 'A better', B: 'B better', tie: 'tie', 'both-bad': 'both bad' };

function Thumb({ image, label, chosen }: { image: LabeledPairView['left']; label: string; chosen: boolean }) {
  return (
    <figure className={chosen ? 'labeled-thumb chosen' : 'labeled-thumb'}>
      {image ? <RgbaCanvas image={image} scale={2} label={label} testId="labeled-image" /> : <div className="pair-placeholder small" title="images not stored (imported or pruned)" />}
      <figcaption>{label}</figcaption>
    </figure>
  );
}

export function LabeledPairs() {
  const labeled = useStudioStore((s) => s.labeling.counts.labeled);
  const model = useStudioStore((s) => s.session.model?.name ?? null);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; items: LabeledPairView[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    if (model == null) return;
    try {
      setPage(await listLabeledPairs(offset, PAGE));
    } catch (e) {
      setError(`The votes could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, [offset, model]);
  useEffect(() => {
    void reload();
  }, [reload, labeled]);

  const act = async (run: () => Promise<string | null>) => {
    setError(await run());
    await reload();
  };

  if (page == null) return null;
  return (
    <section aria-label="Labeled pairs" data-testid="labeled-pairs" data-total={page.total}>
      <h3>Labeled pairs ({page.total})</h3>
      {page.total === 0 && <p className="hint">No votes for this model yet.</p>}
      {error && (
        <p className="error" role="alert" data-testid="labeled-error">
          {error}
        </p>
      )}
      <ul className="labeled-list">
        {page.items.map(({ label, left, right, hasTrajectories }) => {
          const choice = choiceOf(label);
          return (
            <li key={label.pairId} data-testid="labeled-pair" data-pair-id={label.pairId} data-choice={choice}>
              <Thumb image={left} label="A" chosen={choice === 'A'} />
              <Thumb image={right} label="B" chosen={choice === 'B'} />
              <div className="labeled-meta">
                <div>
                  “{label.prompt}” · <strong>{CHOICE_TEXT[choice]}</strong>
                  {label.annotator ? ` · ${label.annotator}` : ''}
                  {!hasTrajectories && ' · trajectories pruned (not trained on)'}
                </div>
                <div className="muted">{new Date(label.time).toLocaleString()}</div>
                <div>
                  Change to{' '}
                  {VOTE_LETTERS.filter((c) => c !== choice).map((c) => (
                    <button key={c} type="button" data-testid={`relabel-${c}`} onClick={() => void act(() => changeVote(label, c))}>
                      {CHOICE_TEXT[c]}
                    </button>
                  ))}{' '}
                  <button type="button" data-testid="delete-label" onClick={() => void act(() => deleteLabeledPair(label.pairId, false))} title="Delete the vote; the pair stays stored">
                    Delete vote
                  </button>{' '}
                  <button type="button" data-testid="delete-label-pair" onClick={() => void act(() => deleteLabeledPair(label.pairId, true))} title="Delete the vote and the pair's images and trajectories">
                    Delete vote + pair
                  </button>
                </div>
              </div>
            </li>
          );
        })}
      </ul>
      {page.total > PAGE && (
        <p>
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </button>{' '}
          {offset + 1}–{Math.min(offset + PAGE, page.total)} of {page.total}{' '}
          <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
            Older
          </button>
        </p>
      )}
    </section>
  );
}
