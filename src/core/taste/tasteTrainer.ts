/**
 * D3PO training rounds on a growing set of labeled pairs, as the recipe says: each round takes `stepsPerRound` optimizer
 * steps of `pairsPerStep` pairs (a new shuffle per pass over the set), optionally against a reference refreshed to the
 * adapter at the round's start (D3PO's human-feedback protocol, yk7333/d3po scripts/train.py: "the model fine-tuned after
 * each epoch serves as the reference model for the subsequent epoch"), with reference log-probs cached while the
 * reference stays the same and an optional LoRA EMA. Shared by the studio's worker and the CLI (`train`, `taste-sweep`).
 */
import type { MiniSD } from '../model/pipeline';
import { copyLoraValues, createLoraAdapter, type LoraAdapter } from '../model/lora';
import type { AdamW } from '../train/adamw';
import { shuffled, type Rng } from '../rng';
import { d3poTrainStep, type D3poStepResult, type PreferencePair } from '../algorithms/d3poTrainer';
import { preferenceSigns } from '../algorithms/d3po';
import { ReferenceCache } from '../algorithms/referenceCache';
import { LoraEma } from './loraEma';
import { d3poConfigOf, type TasteRecipe } from './recipe';

export const UNET_PREFIX = 'unet.';

export interface RoundHooks {
  onStep?: (result: D3poStepResult, index: number, total: number) => void | Promise<void>;
  shouldStop?: () => boolean; // checked before every step
}

/** Pairs that carry a preference (ties and both-bad teach D3PO nothing). */
export const preferencePairs = (pairs: PreferencePair[]): PreferencePair[] => pairs.filter((p) => preferenceSigns(p.vote)[0] !== 0);

/** Cycles through shuffled pairs, `batch` per call, reshuffling after each full pass. */
export function pairBatcher(pairs: PreferencePair[], batch: number, rng: Rng): () => PreferencePair[] {
  let order: PreferencePair[] = [];
  return () => {
    const out: PreferencePair[] = [];
    const n = Math.min(batch, pairs.length);
    while (out.length < n) {
      if (order.length === 0) order = shuffled(pairs, rng).filter((p) => !out.includes(p));
      if (order.length === 0) break;
      out.push(order.shift()!);
    }
    return out;
  };
}

export class TasteTrainer {
  reference: LoraAdapter | null = null; // null = the base model (LoRA off)
  ema: LoraEma | null = null;
  cache: ReferenceCache;
  rounds = 0;

  constructor(
    readonly model: MiniSD,
    public lora: LoraAdapter,
    public optimizer: AdamW,
    public recipe: TasteRecipe,
  ) {
    this.cache = new ReferenceCache('base');
    if (recipe.emaDecay > 0) this.ema = LoraEma.of(model.params, UNET_PREFIX, lora, recipe.emaDecay);
  }

  /** The adapter to sample and export with: the EMA when the recipe has one, else the trained adapter. */
  get samplingAdapter(): LoraAdapter {
    return this.ema?.adapter ?? this.lora;
  }

  /** Starts a round: with refreshReference, the reference becomes a copy of the adapter now (and the cache starts over). */
  startRound(): void {
    this.rounds++;
    if (!this.recipe.refreshReference) return;
    if (this.reference == null) this.reference = createLoraAdapter(this.model.params, UNET_PREFIX, { ...this.lora.config });
    copyLoraValues(this.reference, this.lora);
    this.cache = new ReferenceCache(`round-${this.rounds}@step-${this.optimizer.step}`);
  }

  /** One D3PO step on `batch`, then the EMA update. */
  async step(batch: PreferencePair[], rng: Rng): Promise<D3poStepResult | null> {
    const cfg = d3poConfigOf(this.recipe);
    this.optimizer.config = { ...this.optimizer.config, learningRate: cfg.learningRate, weightDecay: this.recipe.weightDecay };
    const r = await d3poTrainStep(this.model, this.lora, this.optimizer, batch, cfg, rng, this.reference ?? undefined, this.cache);
    if (r) this.ema?.update(this.lora);
    return r;
  }

  /** One round on `pairs` (the labeled set so far): stepsPerRound steps, or fewer when stopped. Returns the steps' results. */
  async round(pairs: PreferencePair[], rng: Rng, hooks: RoundHooks = {}, steps = this.recipe.stepsPerRound): Promise<D3poStepResult[]> {
    const usable = preferencePairs(pairs);
    if (usable.length === 0) return [];
    this.startRound();
    const next = pairBatcher(usable, this.recipe.pairsPerStep, rng);
    const out: D3poStepResult[] = [];
    for (let i = 0; i < steps; i++) {
      if (hooks.shouldStop?.()) break;
      const r = await this.step(next(), rng);
      if (!r) continue;
      out.push(r);
      await hooks.onStep?.(r, i + 1, steps);
    }
    return out;
  }

  dispose(): void {
    this.reference?.dispose();
    this.ema?.dispose();
    this.reference = null;
    this.ema = null;
  }
}
