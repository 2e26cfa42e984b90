/** AdamW (Loshchilov & Hutter; PyTorch's update order) over explicit tf.Variables, with state export/import for checkpoints. */
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../model/params';

export interface AdamWConfig {
  learningRate: number; // step size (D3PO: 3e-5 for SD LoRA; scaled up for this small model)
  beta1: number; // first-moment decay
  beta2: number; // second-moment decay
  epsilon: number; // denominator floor
  weightDecay: number; // decoupled weight decay (D3PO/DDPO: 1e-4)
}

export const defaultAdamWConfig: AdamWConfig = { learningRate: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 };

/** Optimizer state as plain arrays (m and v per variable, in variable order). */
export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  constructor(readonly vars: tf.Variable[], public config: AdamWConfig = defaultAdamWConfig) {
    this.m = vars.map((x) => variableFrom(tf.zerosLike(x), false));
    this.v = vars.map((x) => variableFrom(tf.zerosLike(x), false));
  }

  /** Applies one update from gradients keyed by variable name (tf.variableGrads' output). lr overrides the config. */
  apply(grads: tf.NamedTensorMap, lr = this.config.learningRate): void {
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    this.step++;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = grads[p.name];
        if (!g) return;
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), epsilon));
        p.assign(tf.sub(tf.mul(p, 1 - lr * weightDecay), tf.mul(update, lr)));
      });
    });
  }

  async getState(): Promise<AdamWState> {
    return {
      step: this.step,
      m: await Promise.all(this.m.map(async (t) => (await t.data()) as Float32Array)),
      v: await Promise.all(this.v.map(async (t) => (await t.data()) as Float32Array)),
    };
  }

  setState(state: AdamWState): void {
    if (state.m.length !== this.vars.length || state.v.length !== this.vars.length) {
      throw new Error(`Optimizer state has ${state.m.length} slots but the optimizer has ${this.vars.length} variables; it belongs to another model or adapter.`);
    }
    this.step = state.step;
    this.vars.forEach((p, i) => {
      if (state.m[i].length !== p.size || state.v[i].length !== p.size) throw new Error(`Optimizer state slot ${i} has the wrong size for ${p.name}`);
      this.m[i].assign(tf.tensor(state.m[i], p.shape));
      this.v[i].assign(tf.tensor(state.v[i], p.shape));
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
