// The worker's reward-driven train job: runs the shared online loop (PRDP, Deng et al. Alg. 1; DDPO with batch-wise normalisation, optional multi-task joint training and pretraining-loss term, large-scale RL paper) on the session's LoRA with pixel rewards or the person's ratings, posting one dashboard row and the round's images per round, checkpointing like the D3PO job.
import { runOnline, type OnlineConfig, type RoundMetrics } from '../core/algorithms/onlineLoop';
import { defaultD3poTrainConfig } from '../core/algorithms/d3poTrainer';
import { defaultOracleConfig } from '../core/algorithms/oracle';
import { pretrainLossStep } from '../core/algorithms/pretrainLoss';
import { decodeLatentSubset, latentSubsetPool, type LatentPool } from '../core/pretrain/latentSubset';
import { createRng } from '../core/rng';
import { rewardByName } from '../core/rewards/registry';
import { HUMAN_RATING_REWARD, humanRatingReward } from '../core/rewards/humanRating';
import type { RewardFunction } from '../core/rewards/types';
import { askRatings, forgetRatings, RatingStopped } from './ratingInbox';
import { appendMetrics } from '../storage/runs';
import type { GeneratedImage } from './protocol';
import type { JobContext } from './jobContext';
import { methodConfigs, PRETRAIN_LOSS_BATCH, rewardRoundRow, validateRewardTrainSettings, type RewardTrainRequest } from './rewardTrain';
import { checkpointNow, loraStatus, type Session } from './session';

/** The session's shipped training latents, decoded once; the error says how to get them or turn the term off. */
async function pretrainPool(s: Session): Promise<LatentPool> {
  if (s.pretrainPool) return s.pretrainPool;
  const off = 'or set the pretraining-loss weight to 0';
  if (!s.latentSubset) throw new Error(`This model has no training latents for the pretraining-loss term; ${off}.`);
  let subset;
  try {
    subset = decodeLatentSubset(await s.latentSubset(), { sampleSize: s.model.config.unet.sampleSize, channels: s.model.config.unet.inChannels });
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)} (${off})`);
  }
  s.pretrainPool = latentSubsetPool(subset);
  return s.pretrainPool;
}

export async function handleRewardTrain(s: Session, req: RewardTrainRequest, ctx: JobContext): Promise<void> {
  const st = req.settings;
  const invalid = validateRewardTrainSettings(st);
  if (invalid) throw new Error(invalid);
  const prompts = req.prompts.map((p) => p.trim()).filter((p) => p !== '');
  if (prompts.length === 0) throw new Error('No active prompts: switch on at least one prompt in the Prompts list.');
  if (!Number.isInteger(req.checkpointEvery) || req.checkpointEvery < 1) throw new Error(`checkpointEvery must be a positive integer, got ${req.checkpointEvery}.`);
  const size = s.model.config.autoencoder.imageSize;
  let rounds = 0;
  // Human ratings: each prompt's K images go to the page, the person's thumbs become the rewards (core/rewards/humanRating.ts).
  const human = humanRatingReward((images, prompt) =>
    askRatings(req.id, ctx, { round: rounds + 1, total: st.rounds }, prompt, images.map((px) => ({ width: size, height: size, rgba: px.buffer.slice(px.byteOffset, px.byteOffset + px.byteLength) as ArrayBuffer }))),
  );
  const byName = (name: string): RewardFunction => (name === HUMAN_RATING_REWARD ? human : rewardByName(name));
  const rewards = [st.reward, ...(st.jointReward ? [st.jointReward] : [])].map(byName); // [main, joint?]
  s.optimizer.config = { ...s.optimizer.config, learningRate: st.learningRate };
  const cfg: OnlineConfig = {
    method: st.method,
    tasks: rewards.map((reward) => ({ name: reward.name, prompts, reward })),
    promptsPerRound: st.promptsPerRound,
    imagesPerPrompt: st.imagesPerPrompt,
    updatesPerRound: st.updatesPerRound,
    normalization: 'batch',
    oracle: defaultOracleConfig,
    d3po: defaultD3poTrainConfig,
    ...methodConfigs(st),
    seed: req.seed,
  };
  const W = st.pretrainLoss ?? 0;
  const pool = W > 0 ? await pretrainPool(s) : null;
  const preRng = createRng(req.seed + 0x5eed);

  type Group = { prompt: string; images: Uint8ClampedArray[]; rewards: number[] };
  const perRound = st.promptsPerRound; // groups each task scores per round
  let scored: Group[] = []; // this round's groups, task-major
  let finished: RoundMetrics[] = []; // this round's metrics, one per task
  let imagesSampled = 0;
  let lastSaved = s.checkpointStep;
  let t0 = performance.now();
  const asImages = (g: Group): GeneratedImage[] => g.images.map((px) => ({ width: size, height: size, rgba: px.buffer as ArrayBuffer }));
  const loop = runOnline(s.model, s.lora, s.optimizer, cfg, st.rounds * rewards.length * st.promptsPerRound * st.imagesPerPrompt, {
    shouldStop: ctx.cancelled,
    onScored: (prompt, images, r) => {
      scored.push({ prompt, images, rewards: r });
    },
    onRound: (m) => {
      finished.push(m);
    },
    afterRound: async () => {
      const [main, joint] = finished;
      const [group, jointGroup] = [scored[0], scored[perRound]];
      if (main == null || group == null) return;
      rounds++;
      imagesSampled = finished[finished.length - 1].imagesSampled;
      // Large-scale RL Alg. 1, last line: one step on W·L_pre after the round's policy updates, through the same AdamW.
      const lPre = pool ? await pretrainLossStep(s.model, s.lora, s.optimizer, pool, preRng, { weight: W, batchSize: PRETRAIN_LOSS_BATCH, learningRate: st.learningRate, maxGradNorm: 1 }) : undefined;
      const row = rewardRoundRow(main, s.optimizer.step, performance.now() - t0, Date.now(), joint, lPre);
      await appendMetrics(req.runId, [row]);
      const images = asImages(group);
      const jointImages = jointGroup ? asImages(jointGroup) : [];
      ctx.post(
        { type: 'reward-round', id: req.id, row, round: rounds, total: st.rounds, prompt: group.prompt, images, rewards: group.rewards, ...(jointGroup ? { joint: { prompt: jointGroup.prompt, images: jointImages, rewards: jointGroup.rewards } } : {}) },
        [...images, ...jointImages].map((i) => i.rgba),
      );
      if (s.optimizer.step - (lastSaved ?? 0) >= req.checkpointEvery) {
        const saved = await checkpointNow(s);
        lastSaved = saved.step;
        ctx.post({ type: 'checkpoint-saved', id: req.id, checkpointId: saved.id, step: saved.step });
      }
      scored = [];
      finished = [];
      t0 = performance.now();
    },
  });
  try {
    await loop;
  } catch (e) {
    if (!(e instanceof RatingStopped)) throw e; // stopped while the person was rating: the round is dropped, the run ends
  } finally {
    forgetRatings(req.id);
  }
  if (rounds > 0 && lastSaved !== s.optimizer.step) {
    const saved = await checkpointNow(s);
    ctx.post({ type: 'checkpoint-saved', id: req.id, checkpointId: saved.id, step: saved.step });
  }
  ctx.post({ type: 'reward-trained', id: req.id, rounds, imagesSampled, stopped: rounds < st.rounds, lora: loraStatus(s) });
}
