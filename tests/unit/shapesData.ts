// Test helper: a two-class toy dataset for classifier tests — coloured discs (0) and squares (1) on white.
import type { Rng } from '../../src/core/rng';
import type { ClassifierData } from '../../src/core/eval/classifierTraining';

/** A coloured disc (label 0) or square (label 1, same half-width 10) of random colour, jittered ±2 px, on white, in [0,1]. */
export function shapeImage(rng: Rng, label: number, out: Float32Array, offset: number): void {
  const color = [rng.next() * 0.8, rng.next() * 0.8, rng.next() * 0.8];
  const r = 10;
  const cx = 15.5 + (rng.next() - 0.5) * 4;
  const cy = 15.5 + (rng.next() - 0.5) * 4;
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++) {
      const inside = label === 0 ? (x - cx) ** 2 + (y - cy) ** 2 < r * r : Math.abs(x - cx) < r && Math.abs(y - cy) < r;
      for (let c = 0; c < 3; c++) out[offset + (y * 32 + x) * 3 + c] = inside ? color[c] : 1;
    }
}

export const shapesData: ClassifierData = {
  batch(rng, b) {
    const images = new Float32Array(b * 3072);
    const labels = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      labels[i] = rng.int(2);
      shapeImage(rng, labels[i], images, i * 3072);
    }
    return { images, labels };
  },
};
