// The checkpoint gallery: the same prompts × seeds drawn by the base model and each recent checkpoint, one row per model (as LoRA trainers sample every N steps), with Roll back and Download on each row.
import { useStudioStore } from '../../store';
import { checkpointLoraFile, rollbackToRow, sampleGallery, stopGallery } from '../../store/galleryActions';
import type { GalleryRow } from '../../store/gallerySlice';
import { download } from '../download';
import { RgbaCanvas } from './RgbaCanvas';

const SCALE = 3;

async function downloadRow(row: GalleryRow): Promise<void> {
  const file = await checkpointLoraFile(row);
  if (file) download({ fileName: file.fileName, data: file.bytes });
}

export function CheckpointGallery() {
  const g = useStudioStore((s) => s.gallery);
  const current = useStudioStore((s) => s.session.lora?.checkpointId ?? null);
  const training = useStudioStore((s) => s.training.status !== 'idle');
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  return (
    <section className="gallery" aria-label="Checkpoint gallery" data-testid="gallery" data-rows={g.rows.length}>
      <h3>Checkpoint gallery</h3>
      <p>
        <button type="button" data-testid="gallery-sample" disabled={!ready || g.loading} onClick={() => void sampleGallery()}>
          {g.rows.length > 0 ? 'Update gallery' : 'Sample gallery'}
        </button>{' '}
        {g.loading && (
          <button type="button" onClick={stopGallery}>
            Stop
          </button>
        )}{' '}
        <span className="muted">the first {g.prompts.length || 4} active prompts × {g.seeds.length || 2} fixed seeds, base model and the newest checkpoints</span>
      </p>
      {g.rows.length > 0 && (
        <table className="gallery-grid">
          <thead>
            <tr>
              <th />
              {g.seeds.flatMap((seed) => g.prompts.map((p) => <th key={`${seed}-${p}`}>{p}</th>))}
              <th />
            </tr>
          </thead>
          <tbody>
            {g.rows.map((row) => (
              <tr key={row.key} data-testid="gallery-row" data-step={row.step ?? ''} className={row.checkpointId === current ? 'current' : ''}>
                <th scope="row">{row.label}{row.checkpointId === current ? ' (current)' : ''}</th>
                {row.images.map((im, i) => (
                  <td key={i}>
                    <RgbaCanvas image={im} scale={SCALE} label={`${row.label}, image ${i + 1}`} testId="gallery-image" />
                  </td>
                ))}
                <td>
                  {row.checkpointId && (
                    <>
                      <button type="button" disabled={training || row.checkpointId === current} onClick={() => void rollbackToRow(row)}>
                        Roll back
                      </button>{' '}
                      <button type="button" data-testid="gallery-download" onClick={() => void downloadRow(row)}>
                        Download LoRA
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {g.error && (
        <p className="error" role="alert">
          {g.error}
        </p>
      )}
    </section>
  );
}
