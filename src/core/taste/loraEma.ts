/** Exponential moving average of a LoRA's weights (as diffusers' EMAModel / the base model's pretraining EMA): a second adapter updated after every optimizer step, used for sampling and export when the recipe turns it on. */
import * as tf from '@tensorflow/tfjs';
import { copyLoraValues, createLoraAdapter, type LoraAdapter } from '../model/lora';
import type { ParamStore } from '../model/params';

export class LoraEma {
  readonly adapter: LoraAdapter;
  private constructor(adapter: LoraAdapter, readonly decay: number) {
    this.adapter = adapter;
  }

  /** An EMA that starts at the adapter's current values. */
  static of(base: ParamStore, prefix: string, lora: LoraAdapter, decay: number): LoraEma {
    if (!(decay > 0 && decay < 1)) throw new Error(`LoRA EMA decay must be in (0, 1), got ${decay}`);
    const shadow = createLoraAdapter(base, prefix, { ...lora.config });
    copyLoraValues(shadow, lora);
    return new LoraEma(shadow, decay);
  }

  /** shadow ← decay·shadow + (1 − decay)·current, for every A and B. */
  update(lora: LoraAdapter): void {
    tf.tidy(() => {
      for (const [name, m] of lora.modules) {
        const s = this.adapter.modules.get(name);
        if (!s) throw new Error(`EMA adapter has no module ${name}`);
        s.A.assign(tf.add(tf.mul(s.A, this.decay), tf.mul(m.A, 1 - this.decay)));
        s.B.assign(tf.add(tf.mul(s.B, this.decay), tf.mul(m.B, 1 - this.decay)));
      }
    });
  }

  /** Restarts the average at the adapter's values (after a rollback or an import). */
  reset(lora: LoraAdapter): void {
    copyLoraValues(this.adapter, lora);
  }

  dispose(): void {
    this.adapter.dispose();
  }
}
