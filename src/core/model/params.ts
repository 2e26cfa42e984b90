/** Named parameter store with lazy creation: a module's forward pass both declares and uses its weights (one definition). */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';

export type Init = 'zeros' | 'ones' | { normal: number } | { uniform: number };

/** Holds base weights as (non-trainable by default) tf.Variables keyed by diffusers-style dotted names. */
export class ParamStore {
  readonly tensors = new Map<string, tf.Variable>();
  /** When true, a missing parameter is created from its init; otherwise a missing parameter is an error. */
  creating = false;
  constructor(private rng?: Rng, private trainable = false) {}

  /** Returns the parameter `name`, creating it in creation mode; checks the shape either way. */
  get(name: string, shape: number[], init: Init): tf.Variable {
    const found = this.tensors.get(name);
    if (found) {
      if (!sameShape(found.shape, shape)) {
        throw new Error(`Parameter ${name} has shape [${found.shape}] but the model config expects [${shape}]; the weights do not match this config.`);
      }
      return found;
    }
    if (!this.creating) throw new Error(`Parameter ${name} [${shape}] is missing from the loaded weights; the weights file does not match this model config.`);
    const v = variableFrom(this.initTensor(shape, init), this.trainable, uniqueVarName(name));
    this.tensors.set(name, v);
    return v;
  }

  private initTensor(shape: number[], init: Init): tf.Tensor {
    if (init === 'zeros') return tf.zeros(shape);
    if (init === 'ones') return tf.ones(shape);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!this.rng) throw new Error('ParamStore needs an RNG to initialise weights');
    const data = new Float32Array(n);
    if ('normal' in init) for (let i = 0; i < n; i++) data[i] = this.rng.normal() * init.normal;
    else for (let i = 0; i < n; i++) data[i] = (this.rng.next() * 2 - 1) * init.uniform;
    return tf.tensor(data, shape);
  }

  /** Replaces all values from a name → tensor map (shapes must match existing parameters when present). */
  assign(values: Map<string, tf.Tensor>, allowNew = true): void {
    for (const [name, t] of values) {
      const v = this.tensors.get(name);
      if (v) {
        if (!sameShape(v.shape, t.shape)) throw new Error(`Cannot load ${name}: file has [${t.shape}], model has [${v.shape}]`);
        v.assign(t);
      } else if (allowNew) {
        this.tensors.set(name, tf.variable(t, this.trainable, uniqueVarName(name)));
      }
    }
  }

  names(prefix = ''): string[] {
    return [...this.tensors.keys()].filter((k) => k.startsWith(prefix));
  }

  count(prefix = ''): number {
    let n = 0;
    for (const [k, v] of this.tensors) if (k.startsWith(prefix)) n += v.size;
    return n;
  }

  variables(prefix = ''): tf.Variable[] {
    return [...this.tensors].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  dispose(): void {
    for (const v of this.tensors.values()) v.dispose();
    this.tensors.clear();
  }
}

/** A variable that owns `init`'s data: tf.variable keeps its own reference, so the temporary is disposed here (no leak). */
export function variableFrom(init: tf.Tensor, trainable: boolean, name?: string): tf.Variable {
  const v = tf.variable(init, trainable, name);
  init.dispose();
  return v;
}

let varCounter = 0;
/** tfjs variable names are global; suffix a counter so two models can coexist in one process. */
function uniqueVarName(name: string): string {
  return `${name}#${varCounter++}`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
