// The worker's moodboard job: reads the stored moodboard, checks it and encodes every image with the autoencoder (MiniSD.encode) before anything changes, then runs the recipe's Diffusion-DPO steps (Wallace et al. 2023; SalesforceAIResearch/DiffusionDPO train.py) into the session's LoRA — the adapter D3PO trains — posting a dashboard row per step, letting pair requests through between steps, checkpointing like the D3PO job and stopping cooperatively.
import { createRng } from '../core/rng';
import { encodeMoodboardImages, MoodboardTrainer } from '../core/moodboard/moodboardTrainer';
import { moodboardProblem } from '../core/moodboard/moodboardPairs';
import { listMoodboardItems } from '../storage/moodboard';
import type { JobContext } from './jobContext';
import { moodboardRequestProblem, moodboardRow, type MoodboardTrainRequest } from './moodboardTrain';
import { runSteps } from './stepLoop';
import { loraStatus, type Session } from './session';

export async function handleMoodboardTrain(s: Session, req: MoodboardTrainRequest, ctx: JobContext): Promise<void> {
  // Everything that can refuse the request runs before the adapter, optimizer, metrics or checkpoints change.
  const invalid = moodboardRequestProblem(req);
  if (invalid) throw new Error(invalid);
  const items = await listMoodboardItems();
  const problem = moodboardProblem(items);
  if (problem) throw new Error(problem);
  const size = s.model.config.autoencoder.imageSize;
  const wrong = items.find((i) => i.size !== size);
  if (wrong) throw new Error(`The moodboard image ${JSON.stringify(wrong.name)} is ${wrong.size} × ${wrong.size} but this model takes ${size} × ${size}; remove it and add the file again.`);
  const latents = await encodeMoodboardImages(s.model, items.map((i) => i.rgba));
  const liked = items.filter((i) => i.liked).length;
  const disliked = items.length - liked;
  const recipe = req.recipe;
  const trainer = new MoodboardTrainer(s.model, s.lora, s.optimizer, recipe, items.map((it, k) => ({ latent: latents[k], caption: it.caption.trim(), liked: it.liked })), createRng(req.seed), (req.prompts ?? []).map((p) => p.trim()).filter((p) => p !== ''));

  const { done, stopped } = await runSteps(
    s,
    {
      id: req.id,
      runId: req.runId,
      steps: recipe.steps,
      checkpointEvery: req.checkpointEvery,
      checkpointNote: () => `${s.modelId} step ${s.optimizer.step} (moodboard)`,
      step: async () => {
        const result = await trainer.step();
        return { loss: result.loss, gradNorm: result.gradNorm, row: (ms) => moodboardRow(result, s.optimizer.step, recipe.learningRate, items.length, recipe.pairsPerStep, ms, Date.now()) };
      },
      nonFinite: (step, restored) =>
        `Moodboard training stopped at step ${step}: the loss or the weights became NaN/Inf (learning rate ${recipe.learningRate} may be too high); ${restored}. Lower the learning rate in the Moodboard's Advanced settings and train again.`,
    },
    ctx,
  );
  ctx.post({ type: 'moodboard-trained', id: req.id, stepsDone: done, stopped, liked, disliked, lora: loraStatus(s) });
}
