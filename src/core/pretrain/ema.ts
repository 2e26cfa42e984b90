/** Exponential moving average of weights with the warm-up decay min(decay, (1+n)/(10+n)) used by diffusers' EMAModel. */
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../model/params';

export class Ema {
  readonly shadows: tf.Variable[];
  updates = 0;
  constructor(readonly vars: tf.Variable[], readonly decay: number) {
    this.shadows = vars.map((v) => variableFrom(v.clone(), false));
  }

  currentDecay(): number {
    return Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
  }

  update(): void {
    const d = this.currentDecay();
    this.updates++;
    tf.tidy(() => this.shadows.forEach((s, i) => s.assign(tf.add(tf.mul(s, d), tf.mul(this.vars[i], 1 - d)))));
  }

  /** Runs fn with the EMA weights swapped into the live variables, then swaps back. */
  async withEmaWeights<T>(fn: () => Promise<T> | T): Promise<T> {
    const saved = this.vars.map((v) => v.clone());
    this.vars.forEach((v, i) => v.assign(this.shadows[i]));
    try {
      return await fn();
    } finally {
      this.vars.forEach((v, i) => v.assign(saved[i]));
      tf.dispose(saved);
    }
  }

  dispose(): void {
    tf.dispose(this.shadows);
  }
}
