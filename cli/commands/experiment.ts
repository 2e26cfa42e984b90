// `experiment`: one unattended fine-tuning run (D3PO with oracle clicks, DDPO, or PRDP; optional large-scale RL pretraining-loss step and multi-task rewards) into a run folder; see cli/experiment/runExperiment.ts.
import { DEFAULT_MODEL_PATH } from '../modelLoader';
import { str, type Args } from '../args';
import { rewardNames } from '../../src/core/rewards/registry';
import { experimentHelpOptions, experimentSettings } from '../experiment/settings';
import { ExperimentResources, runExperiment, RUN_FILES } from '../experiment/runExperiment';
import { openModel } from '../experiment/modelSource';

export const experimentHelp = `experiment --method d3po|ddpo|prdp --reward NAME[,NAME2…] [--prompts FILE] [--budget 64] [--seed 0] [--out runs/<name>]
       ${experimentHelpOptions} [--model ${DEFAULT_MODEL_PATH}]
  Fine-tunes a LoRA without a person: D3PO gets clicks from a scripted oracle that prefers the higher reward, DDPO and PRDP
  use the reward values. --budget counts sampled training images. Several rewards = multi-task (each round cycles through
  them, large-scale RL Alg. 1). --pretrain-loss W adds one AdamW step on W·denoising loss of emoji training latents after
  each round (needs \`npm run data\`). Rewards: ${rewardNames().join(', ')}.
  Writes ${RUN_FILES.join(', ')}.`;

export async function experimentCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const settings = experimentSettings(args);
  const handle = openModel(str(args, 'model', DEFAULT_MODEL_PATH));
  const res = new ExperimentResources(handle, settings.dataDir);
  try {
    await runExperiment(res, settings, log);
  } finally {
    res.dispose();
    handle.model.dispose();
  }
}
