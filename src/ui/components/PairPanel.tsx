// The pair on screen: prompt above, images A (left) and B (right) drawn through 2D canvases and scaled up, the four vote buttons (disabled until both images are drawn), skip/undo and the progress counter (Chatbot Arena's vote row, lm-sys/FastChat fastchat/serve/gradio_block_arena_anony.py).
import { useCallback, useRef } from 'react';
import { useStudioStore } from '../../store';
import { skip, undo, vote } from '../../store/labelingActions';
import { markShown } from '../../store/oracleActions';
import { RgbaCanvas } from './RgbaCanvas';
import { GenerationError, LabelCounter } from './LabelStatus';

const SCALE = 9; // 32×32 shown at 288×288 CSS pixels (narrow screens: 42 vw, styles.css)

export function PairPanel() {
  const current = useStudioStore((s) => s.labeling.current);
  const shown = useStudioStore((s) => s.labeling.shown);
  const saving = useStudioStore((s) => s.labeling.saving);
  const queued = useStudioStore((s) => s.labeling.queue.length);
  const inFlight = useStudioStore((s) => s.labeling.inFlight);
  const canUndo = useStudioStore((s) => s.labeling.undo.length > 0);
  const oracle = useStudioStore((s) => s.settings.labelMode === 'oracle');
  const oracleLast = useStudioStore((s) => s.labeling.oracleLast);

  // Both canvases report once drawn; votes open when both have.
  const drawn = useRef(new Set<string>());
  const onDrawn = useCallback((key: string, pairId: string) => {
    drawn.current.add(key);
    if (drawn.current.has(`${pairId}:L`) && drawn.current.has(`${pairId}:R`)) markShown(pairId);
  }, []);
  const drawnLeft = useCallback(() => current && onDrawn(`${current.pairId}:L`, current.pairId), [current, onDrawn]);
  const drawnRight = useCallback(() => current && onDrawn(`${current.pairId}:R`, current.pairId), [current, onDrawn]);

  const disabled = !shown || saving || current == null || oracle;
  const [left, right] = current ? (current.leftIsFirst ? [current.images[0], current.images[1]] : [current.images[1], current.images[0]]) : [null, null];
  return (
    <section className="pair-panel" aria-label="Pair to label" data-testid="pair-panel" data-pair-id={current?.pairId ?? ''} data-shown={String(shown)}>
      <p className="pair-prompt" data-testid="pair-prompt">
        {current ? <>“{current.prompt}” <span className="muted">seed {current.seed}</span></> : inFlight > 0 ? 'Generating the next pair…' : 'No pair yet.'}
      </p>
      <div className="pair-images">
        <figure>
          {left ? <RgbaCanvas key={`${current!.pairId}-L`} image={left} scale={SCALE} label="Image A" testId="pair-image" onDrawn={drawnLeft} /> : <div className="pair-placeholder" />}
          <figcaption>A</figcaption>
        </figure>
        <figure>
          {right ? <RgbaCanvas key={`${current!.pairId}-R`} image={right} scale={SCALE} label="Image B" testId="pair-image" onDrawn={drawnRight} /> : <div className="pair-placeholder" />}
          <figcaption>B</figcaption>
        </figure>
      </div>
      <div className="vote-buttons">
        <button type="button" data-testid="vote-a" disabled={disabled} onClick={() => void vote('A')} title="← or 1">
          ← A is better
        </button>
        <button type="button" data-testid="vote-tie" disabled={disabled} onClick={() => void vote('tie')} title="↓ or T">
          ↓ Tie
        </button>
        <button type="button" data-testid="vote-both-bad" disabled={disabled} onClick={() => void vote('both-bad')} title="↑, X or B">
          ↑ Both bad
        </button>
        <button type="button" data-testid="vote-b" disabled={disabled} onClick={() => void vote('B')} title="→ or 2">
          B is better →
        </button>
      </div>
      {oracle && (
        <p className="oracle-result" data-testid="oracle-result" data-choice={oracleLast?.choice ?? ''}>
          {oracleLast
            ? `Last oracle vote (${oracleLast.reward}): A ${oracleLast.left.toFixed(4)} · B ${oracleLast.right.toFixed(4)} → ${oracleLast.choice === 'tie' ? 'tie' : `${oracleLast.choice} is better`}`
            : 'The oracle votes once both images are drawn.'}
        </p>
      )}
      <div className="pair-actions">
        <button type="button" data-testid="skip" disabled={current == null || oracle} onClick={() => void skip()} title="S">
          Skip
        </button>
        <button type="button" data-testid="undo" disabled={!canUndo || saving || oracle} onClick={() => void undo()} title="Backspace or Z">
          Undo last vote
        </button>
        <LabelCounter queued={queued} />
      </div>
      <p className="hint">{oracle ? 'Switch to Human clicks to vote, skip or undo yourself. ' : ''}Keys: ← / 1 A better · → / 2 B better · ↓ / T tie · ↑ / X both bad · Backspace undo · S skip</p>
      <GenerationError />
    </section>
  );
}
