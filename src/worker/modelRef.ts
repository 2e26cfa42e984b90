// Which model a blind test or gallery samples with: the base model, the adapter being trained, or a stored checkpoint (decoded into a spare adapter, a few kept for reuse) — without touching the session's adapter.
import type { LoraAdapter } from '../core/model/lora';
import { decodeLoraSafetensors } from '../core/model/loraFile/loraFile';
import { loadCheckpoint } from '../storage/checkpoints';
import { UNET_PREFIX, type Session } from './session';
import type { ModelRef } from './protocolTypes';

export const describeRef = (r: ModelRef) => (r === 'base' || r === 'current' ? r : `checkpoint ${r.checkpoint}`);

const MAX_SPARE = 4;
const spare = new Map<string, LoraAdapter>(); // checkpoint id -> decoded adapter (LRU order)

/** The adapter and scale to sample `ref` with (undefined adapter = the base model). */
export async function adapterFor(s: Session, ref: ModelRef): Promise<{ lora?: LoraAdapter; loraScale?: number }> {
  if (ref === 'base') return {};
  if (ref === 'current') return { lora: s.lora, loraScale: s.lora.scale };
  if (typeof ref !== 'object' || typeof ref.checkpoint !== 'string') throw new Error(`Unknown model ${JSON.stringify(ref)}; pick base, current or a checkpoint.`);
  let lora = spare.get(ref.checkpoint);
  if (lora == null) {
    const ckpt = await loadCheckpoint(ref.checkpoint);
    if (ckpt == null) throw new Error(`Checkpoint ${ref.checkpoint} no longer exists; refresh the checkpoint list and pick another.`);
    const { adapter, info } = decodeLoraSafetensors(ckpt.lora, s.model.params, UNET_PREFIX);
    if (info.baseModel != null && info.baseModel !== s.modelId) {
      adapter.dispose();
      throw new Error(`Checkpoint ${ref.checkpoint} belongs to another base model (${info.baseModel}).`);
    }
    lora = adapter;
    spare.set(ref.checkpoint, lora);
    while (spare.size > MAX_SPARE) {
      const [oldest, a] = spare.entries().next().value as [string, LoraAdapter];
      a.dispose();
      spare.delete(oldest);
    }
  } else {
    spare.delete(ref.checkpoint); // refresh its LRU position
    spare.set(ref.checkpoint, lora);
  }
  return { lora, loraScale: lora.scale };
}

/** Frees every spare adapter (a new model was loaded). */
export function clearSpareAdapters(): void {
  for (const a of spare.values()) a.dispose();
  spare.clear();
}
