// The worker's reward-driven train job: runs the shared online loop (PRDP, Deng et al. Alg. 1; DDPO with batch-wise normalisation, large-scale RL paper) on the session's LoRA with a pixel reward, posting one dashboard row and the round's images per round, checkpointing like the D3PO job.
import { runOnline, type OnlineConfig, type RoundMetrics } from '../core/algorithms/onlineLoop';
import { defaultD3poTrainConfig } from '../core/algorithms/d3poTrainer';
import { defaultOracleConfig } from '../core/algorithms/oracle';
import { rewardByName } from '../core/rewards/registry';
import { appendMetrics } from '../storage/runs';
import type { GeneratedImage } from './protocol';
import type { JobContext } from './pairJobs';
import { methodConfigs, rewardRoundRow, validateRewardTrainSettings, type RewardTrainRequest } from './rewardTrain';
import { checkpointNow, loraStatus, type Session } from './session';

export async function handleRewardTrain(s: Session, req: RewardTrainRequest, ctx: JobContext): Promise<void> {
  const st = req.settings;
  const invalid = validateRewardTrainSettings(st);
  if (invalid) throw new Error(invalid);
  const prompts = req.prompts.map((p) => p.trim()).filter((p) => p !== '');
  if (prompts.length === 0) throw new Error('No active prompts: switch on at least one prompt in the Prompts list.');
  if (!Number.isInteger(req.checkpointEvery) || req.checkpointEvery < 1) throw new Error(`checkpointEvery must be a positive integer, got ${req.checkpointEvery}.`);
  const reward = rewardByName(st.reward);
  s.optimizer.config = { ...s.optimizer.config, learningRate: st.learningRate };
  const cfg: OnlineConfig = {
    method: st.method,
    tasks: [{ name: reward.name, prompts, reward }],
    promptsPerRound: st.promptsPerRound,
    imagesPerPrompt: st.imagesPerPrompt,
    updatesPerRound: st.updatesPerRound,
    normalization: 'batch',
    oracle: defaultOracleConfig,
    d3po: defaultD3poTrainConfig,
    ...methodConfigs(st),
    seed: req.seed,
  };
  const size = s.model.config.autoencoder.imageSize;

  let shown: { prompt: string; images: Uint8ClampedArray[]; rewards: number[] } | null = null; // first prompt of the round
  let finished: RoundMetrics | null = null;
  let rounds = 0;
  let imagesSampled = 0;
  let lastSaved = s.checkpointStep;
  let t0 = performance.now();
  await runOnline(s.model, s.lora, s.optimizer, cfg, st.rounds * st.promptsPerRound * st.imagesPerPrompt, {
    shouldStop: ctx.cancelled,
    onScored: (prompt, images, rewards) => {
      shown ??= { prompt, images, rewards };
    },
    onRound: (m) => {
      finished = m;
    },
    afterRound: async () => {
      const m = finished as RoundMetrics | null;
      const group = shown as { prompt: string; images: Uint8ClampedArray[]; rewards: number[] } | null;
      if (m == null || group == null) return;
      rounds++;
      imagesSampled = m.imagesSampled;
      const row = rewardRoundRow(m, s.optimizer.step, performance.now() - t0, Date.now());
      await appendMetrics(req.runId, [row]);
      const images: GeneratedImage[] = group.images.map((px) => ({ width: size, height: size, rgba: px.buffer as ArrayBuffer }));
      ctx.post({ type: 'reward-round', id: req.id, row, round: rounds, total: st.rounds, prompt: group.prompt, images, rewards: group.rewards }, images.map((i) => i.rgba));
      if (s.optimizer.step - (lastSaved ?? 0) >= req.checkpointEvery) {
        const saved = await checkpointNow(s);
        lastSaved = saved.step;
        ctx.post({ type: 'checkpoint-saved', id: req.id, checkpointId: saved.id, step: saved.step });
      }
      shown = null;
      finished = null;
      t0 = performance.now();
    },
  });
  if (rounds > 0 && lastSaved !== s.optimizer.step) {
    const saved = await checkpointNow(s);
    ctx.post({ type: 'checkpoint-saved', id: req.id, checkpointId: saved.id, step: saved.step });
  }
  ctx.post({ type: 'reward-trained', id: req.id, rounds, imagesSampled, stopped: rounds < st.rounds, lora: loraStatus(s) });
}
