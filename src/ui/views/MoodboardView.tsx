// The Moodboard: drop or pick PNG/JPEG images (any size: fitted to the model's 32×32 on white), mark each liked or disliked, caption it if you like, and train the adapter on them with Diffusion-DPO (images only, no pairs to label); the recipe's steps, pairs per step, learning rate and β are in Advanced. The adapter is the one D3PO trains: the dashboard, checkpoints and Compare show the result.
import { useEffect, useState, type ChangeEvent, type DragEvent } from 'react';
import { useStudioStore } from '../../store';
import { addMoodboardFiles, importPickapicToMoodboard, loadMoodboard, removeMoodboardItem, setMoodboardAddAs, setMoodboardCaption, setMoodboardMark, setMoodboardRecipe, trainMoodboard } from '../../store/moodboardActions';
import { moodboardCounts, type MoodboardEntry } from '../../store/moodboardSlice';
import { stopTraining } from '../../store/trainingActions';
import { defaultMoodboardRecipe, moodboardRecipeLimits, validateMoodboardRecipe, type MoodboardNumberField, type MoodboardRecipe } from '../../core/moodboard/recipe';
import { MAX_CAPTION_LENGTH } from '../../storage/moodboard';
import { readFileBytes } from '../download';
import { RgbaCanvas } from '../components/RgbaCanvas';
import { OutcomeLines } from '../components/OutcomeLines';

const FIELDS: { key: MoodboardNumberField; label: string; help: string; step: number }[] = [
  { key: 'steps', label: 'steps', help: 'optimizer steps per Train click', step: 1 },
  { key: 'pairsPerStep', label: 'pairs per step', help: '(liked, disliked) pairs in each step', step: 1 },
  { key: 'learningRate', label: 'learning rate', help: 'AdamW step size', step: 1e-4 },
  { key: 'beta', label: 'β', help: 'Diffusion-DPO β: how strongly the adapter is kept near the base model', step: 100 },
  { key: 'captionDropout', label: 'caption dropout', help: 'share of pairs trained without any caption (unconditionally)', step: 0.05 },
];

async function readFiles(list: FileList | null): Promise<{ name: string; bytes: Uint8Array }[]> {
  return Promise.all([...(list ?? [])].map(async (f) => ({ name: f.name, bytes: await readFileBytes(f) })));
}

/** One image: the picture, its mark (a two-button switch), its caption (saved on blur or Enter) and Remove. */
function Card({ item, disabled }: { item: MoodboardEntry; disabled: boolean }) {
  const [caption, setCaption] = useState(item.caption);
  useEffect(() => setCaption(item.caption), [item.caption]);
  const commit = () => {
    if (caption.trim() !== item.caption) void setMoodboardCaption(item.id, caption).then((ok) => ok || setCaption(item.caption));
  };
  return (
    <li className={`moodboard-card ${item.liked ? 'liked' : 'disliked'}`} data-testid="moodboard-item" data-liked={item.liked} data-id={item.id}>
      <RgbaCanvas image={item.image} scale={3} label={`${item.name}, ${item.liked ? 'liked' : 'disliked'}`} testId="moodboard-image" />
      <span className="moodboard-name" title={`${item.name}: ${item.source.width} × ${item.source.height} ${item.source.format.toUpperCase()}`}>
        {item.name}
      </span>
      <span className="moodboard-mark" role="group" aria-label={`Mark ${item.name}`}>
        <button type="button" data-testid="moodboard-like" aria-pressed={item.liked} disabled={disabled} onClick={() => void setMoodboardMark(item.id, true)}>
          Liked
        </button>
        <button type="button" data-testid="moodboard-dislike" aria-pressed={!item.liked} disabled={disabled} onClick={() => void setMoodboardMark(item.id, false)}>
          Disliked
        </button>
      </span>
      <input
        type="text"
        data-testid="moodboard-caption"
        aria-label={`Caption of ${item.name}`}
        placeholder="caption (optional)"
        maxLength={MAX_CAPTION_LENGTH}
        value={caption}
        disabled={disabled}
        onChange={(e) => setCaption(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && (e.currentTarget as HTMLInputElement).blur()}
      />
      <button type="button" className="moodboard-remove" data-testid="moodboard-remove" aria-label={`Remove ${item.name}`} disabled={disabled} onClick={() => void removeMoodboardItem(item.id)}>
        Remove
      </button>
    </li>
  );
}

export function MoodboardView() {
  const mb = useStudioStore((s) => s.moodboard);
  const recipe = useStudioStore((s) => s.settings.moodboard);
  const status = useStudioStore((s) => s.training.status);
  const done = useStudioStore((s) => s.training.done);
  const target = useStudioStore((s) => s.training.target);
  const loraStep = useStudioStore((s) => s.session.lora?.step ?? 0);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  const [dragging, setDragging] = useState(false);
  const training = status !== 'idle';
  const { liked, disliked } = moodboardCounts(mb.items);
  const problem = validateMoodboardRecipe(recipe);

  useEffect(() => {
    if (!mb.loaded) void loadMoodboard();
  }, [mb.loaded]);

  const add = async (list: FileList | null) => {
    const files = await readFiles(list);
    if (files.length > 0) await addMoodboardFiles(files);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    void add(e.dataTransfer.files);
  };
  const onPick = (e: ChangeEvent<HTMLInputElement>) => {
    const list = e.target.files;
    void add(list).finally(() => (e.target.value = ''));
  };
  const onImportPairs = (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.target;
    void readFiles(input.files)
      .then(async (files) => {
        for (const f of files) await importPickapicToMoodboard(f);
      })
      .finally(() => (input.value = ''));
  };

  const activity = training && mb.run
    ? `Learning from ${mb.run.liked} liked and ${mb.run.disliked} disliked images… step ${done} / ${target}`
    : training
      ? 'The trainer is busy with another run; wait for it or stop it.'
      : liked === 0 || disliked === 0
        ? 'Add at least one liked and one disliked image to train.'
        : `Ready to learn from ${liked} liked and ${disliked} disliked images.`;

  return (
    <div className="moodboard-view" data-testid="moodboard-view">
      <p className="hint">
        Show the model what you like: drop pictures you like and pictures you don’t (PNG or JPEG, any size — each becomes 32 × 32 on white), optionally with a caption
        saying what it shows. Training moves the adapter towards the liked images and away from the disliked ones (Diffusion-DPO: images only, no pairs to
        label). It trains the same adapter as your clicks; see the result in Compare or the blind test. Each pair of images is trained under one caption —
        one of theirs, or one of your prompts when neither has one — so the taste carries over to the prompts you generate with.
      </p>
      <div
        className={`moodboard-drop${dragging ? ' dragging' : ''}`}
        data-testid="moodboard-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <span>Drop images here, or</span>{' '}
        <label className="file-button">
          Choose images…
          <input data-testid="moodboard-input" type="file" multiple accept="image/png,image/jpeg" disabled={mb.busy} onChange={onPick} />
        </label>
        <span className="moodboard-add-as" role="radiogroup" aria-label="New images are">
          New images are{' '}
          <label>
            <input type="radio" name="moodboard-add-as" data-testid="moodboard-add-liked" checked={mb.addAs === 'liked'} onChange={() => setMoodboardAddAs('liked')} /> liked
          </label>{' '}
          <label>
            <input type="radio" name="moodboard-add-as" data-testid="moodboard-add-disliked" checked={mb.addAs === 'disliked'} onChange={() => setMoodboardAddAs('disliked')} /> disliked
          </label>
        </span>
        {mb.busy && <span> Reading images…</span>}
      </div>
      <p className="hint">
        <label className="file-button" title="Pick-a-Pic v2 rows (the Data tab's JSONL or zip export, or any file in those columns): each row's preferred image is added as liked, the other as disliked, with the row's caption; ties are skipped">
          Import Pick-a-Pic pairs (.jsonl / .zip)…
          <input data-testid="moodboard-import-pairs" type="file" accept=".jsonl,.zip,application/zip" disabled={mb.busy} onChange={onImportPairs} />
        </label>
      </p>

      <p className="moodboard-counts" data-testid="moodboard-counts" data-liked={liked} data-disliked={disliked}>
        {liked} liked · {disliked} disliked
      </p>
      {mb.items.length > 0 ? (
        <ul className="moodboard-grid" data-testid="moodboard-grid">
          {mb.items.map((item) => (
            <Card key={item.id} item={item} disabled={mb.busy || training} />
          ))}
        </ul>
      ) : (
        mb.loaded && <p className="muted">No images yet.</p>
      )}

      <section className="training-controls" aria-label="Moodboard training" data-testid="moodboard-training" data-status={status} data-step={loraStep}>
        <button type="button" data-testid="moodboard-train" disabled={!ready || training || liked === 0 || disliked === 0 || problem != null} onClick={() => void trainMoodboard()}>
          Train {recipe.steps} step{recipe.steps === 1 ? '' : 's'}
        </button>
        {training && mb.run && (
          <button type="button" data-testid="moodboard-stop" onClick={stopTraining} disabled={status === 'stopping'}>
            {status === 'stopping' ? 'Stopping…' : 'Stop'}
          </button>
        )}
        <span className="train-status" data-testid="moodboard-progress">
          {activity} · LoRA step <strong data-testid="moodboard-lora-step">{loraStep}</strong>
        </span>
      </section>
      <details className="advanced" data-testid="moodboard-advanced">
        <summary>Advanced</summary>
        <div className="advanced-grid">
          {FIELDS.map((f) => {
            const [lo, hi] = moodboardRecipeLimits[f.key];
            return (
              <label key={f.key} title={f.help}>
                <span>{f.label}</span>
                <input
                  type="number"
                  data-testid={`mb-${f.key}`}
                  min={lo}
                  max={hi}
                  step={f.step}
                  value={recipe[f.key]}
                  disabled={training}
                  onChange={(e) => {
                    const v = Number(e.target.value);
                    if (e.target.value !== '' && Number.isFinite(v)) setMoodboardRecipe({ [f.key]: v });
                  }}
                />
                <small>{f.help}</small>
              </label>
            );
          })}
          <label title="both images of a pair trained under one caption: one of theirs or, with none, one of your prompts">
            <span>shared captions</span>
            <input type="checkbox" data-testid="mb-sharedCaption" checked={recipe.sharedCaption === true} disabled={training} onChange={(e) => setMoodboardRecipe({ sharedCaption: e.target.checked })} />
            <small>both images of a pair under one caption (one of theirs, else one of your prompts), so the taste carries over to guided sampling; off: each image under its own caption</small>
          </label>
        </div>
        <p>
          <button type="button" disabled={training} onClick={() => setMoodboardRecipe({ ...defaultMoodboardRecipe })}>
            Reset to the recipe
          </button>{' '}
          {problem && (
            <span className="error" role="alert">
              {problem}
            </span>
          )}
        </p>
      </details>
      <OutcomeLines message={mb.message} error={mb.error} prefix="moodboard" />
    </div>
  );
}
