// Best-of-4 labeling: four images from one x_T in a grid; clicking the best labels its three pairs at once (optionally a second click on the worst labels two more). Keys 1–4 pick, Backspace undoes, S skips.
import { useCallback, useRef } from 'react';
import { useStudioStore } from '../../store';
import { markGridShown, pickGridImage } from '../../store/gridActions';
import { skip, undo } from '../../store/labelingActions';
import { setSetting } from '../../store/settingsActions';
import { RgbaCanvas } from './RgbaCanvas';
import { GenerationError, LabelCounter } from './LabelStatus';

const SCALE = 4;

export function GridPanel() {
  const grid = useStudioStore((s) => s.labeling.grid);
  const shown = useStudioStore((s) => s.labeling.gridShown);
  const best = useStudioStore((s) => s.labeling.gridBest);
  const saving = useStudioStore((s) => s.labeling.saving);
  const queued = useStudioStore((s) => s.labeling.gridQueue.length);
  const inFlight = useStudioStore((s) => s.labeling.inFlight);
  const canUndo = useStudioStore((s) => s.labeling.undo.length > 0);
  const pickWorst = useStudioStore((s) => s.settings.pickWorst);

  const drawn = useRef(new Set<string>());
  const onDrawn = useCallback(
    (i: number) => {
      if (grid == null) return;
      drawn.current.add(`${grid.gridId}:${i}`);
      if (grid.images.every((_, k) => drawn.current.has(`${grid.gridId}:${k}`))) markGridShown(grid.gridId);
    },
    [grid],
  );
  const drawnCallbacks = useRef(new Map<string, () => void>());
  const callbackFor = (i: number) => {
    const key = `${grid?.gridId}:${i}`;
    let cb = drawnCallbacks.current.get(key);
    if (cb == null) {
      cb = () => onDrawn(i);
      drawnCallbacks.current.set(key, cb);
    }
    return cb;
  };

  const disabled = !shown || saving;
  return (
    <section className="grid-panel" aria-label="Best of 4" data-testid="grid-panel" data-grid-id={grid?.gridId ?? ''} data-shown={String(shown)}>
      <p className="pair-prompt">
        {grid ? <>“{grid.prompt}” <span className="muted">seed {grid.seed}</span></> : inFlight > 0 ? 'Generating the next grid…' : 'No grid yet.'}
      </p>
      <p className="hint">{pickWorst && best != null ? 'Now click the worst image (or the best again to change it).' : pickWorst ? 'Click the best image, then the worst.' : 'Click the best image.'}</p>
      <div className="grid-images">
        {grid?.images.map((image, i) => (
          <button
            key={`${grid.gridId}-${i}`}
            type="button"
            className={`grid-cell${best === i ? ' picked' : ''}`}
            data-testid={`grid-pick-${i + 1}`}
            disabled={disabled}
            onClick={() => void pickGridImage(i)}
            title={`${i + 1}`}
          >
            <RgbaCanvas image={image} scale={SCALE} label={`Image ${i + 1}`} testId="grid-image" onDrawn={callbackFor(i)} />
            <span>{i + 1}</span>
          </button>
        ))}
      </div>
      <div className="pair-actions">
        <label>
          <input type="checkbox" checked={pickWorst} onChange={(e) => setSetting('pickWorst', e.target.checked)} /> also pick the worst
        </label>
        <button type="button" disabled={grid == null} onClick={() => void skip()}>
          Skip
        </button>
        <button type="button" disabled={!canUndo || saving} onClick={() => void undo()}>
          Undo last pick
        </button>
        <LabelCounter queued={queued} />
      </div>
      <GenerationError />
    </section>
  );
}
