// `pretrain`: two-stage pretraining of the shipped model on the emoji dataset, resumable, logging CSV and exporting the EMA weights (fp16) for the studio.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defaultModelConfig, defaultSampleConfig, type ModelConfig } from '../../src/core/config';
import { buildVocab } from '../../src/core/data/captions';
import { STYLE_IDS } from '../../src/core/data/styles';
import { createRng } from '../../src/core/rng';
import { withVocab } from '../../src/core/model/vocabTransfer';
import { MiniSD, COMPONENTS } from '../../src/core/model/pipeline';
import { modelFromSafetensors, modelToSafetensors } from '../../src/core/model/weights';
import { defaultPretrainConfig, Pretrainer, type PretrainConfig, type PretrainStage } from '../../src/core/pretrain/pretrainer';
import { autoencoderData, encodeLatents, loadEmojiDataset, scalingFactorOf, unetData } from '../pretrain/emojiData';
import { Progress, formatDuration } from '../pretrain/progress';
import { flag, num, str, type Args } from '../args';
import { writeAtomic } from '../fsAtomic';

export const DEFAULT_MODEL_DIR = 'public/models/emoji-sd';

export const pretrainHelp = `pretrain --stage autoencoder|unet|decoder [--steps N] [--minutes M] [--resume] [--batch B] [--lr LR]
         [--decay-steps N [--decay-from STEP] [--min-lr-ratio R]]
         [--checkpoint-dir checkpoints/pretrain] [--checkpoint-minutes 5] [--export ${DEFAULT_MODEL_DIR}] [--data data]
  Stage autoencoder trains vae.* from scratch; stage unet trains text_encoder.* + unet.* on latents of the exported
  autoencoder. --resume continues the stage's last checkpoint; without a checkpoint but with --resume-from-export it
  continues from the exported EMA weights (fresh optimizer), e.g. on a new machine.
  Stage decoder fine-tunes only vae.decoder.* of the model in --from (default ${DEFAULT_MODEL_DIR}) on the images of
  --data, the encoder frozen: the latent space stays, so the model's UNet keeps working with the new decoder (e.g.
  --data data/v2 for the outline styles the v1 decoder blurs). It needs --export set to another folder than --from.
  Stage unet with --from DIR continues the text encoder + UNet of the trained model in DIR on --data (e.g. v2 from a
  v1 model whose decoder was fine-tuned): every weight carried over, the word vocabulary grown to the data's (new
  words such as the v2 style names start from the encoder's initialisation), the autoencoder kept frozen.
  --decay-steps adds a cosine LR decay to R × peak (default 0.1) over N steps, starting at --decay-from (default: the
  step this run starts at); the schedule is saved in the checkpoint, so a later --resume keeps it.`;

const ckptPath = (dir: string, stage: PretrainStage) => path.join(dir, `${stage}-latest.safetensors`);

/** Drops loss-CSV rows logged after `step` (a run stopped without its final checkpoint); returns how many. */
export function truncateLossCsv(file: string, step: number): number {
  if (!fs.existsSync(file)) return 0;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const keep = lines.filter((l, i) => i === 0 || !(Number(l.slice(0, l.indexOf(','))) > step));
  if (keep.length < lines.length) writeAtomic(file, keep.join('\n') + '\n');
  return lines.length - keep.length;
}

/** Writes the EMA weights (fp16) and config.json to the model folder the studio and CLI load. */
async function exportEma(tr: Pretrainer, dir: string, extra: Record<string, string>): Promise<void> {
  const meta = { stage: tr.config.stage, step: String(tr.step), images_seen: String(tr.imagesSeen), train_seconds: tr.elapsedSeconds.toFixed(0), ...extra };
  await tr.ema.withEmaWeights(async () => writeAtomic(path.join(dir, 'model.safetensors'), await modelToSafetensors(tr.model, 'F16', meta)));
  writeAtomic(path.join(dir, 'config.json'), JSON.stringify(tr.model.config, null, 1));
  writeAtomic(path.join(dir, 'training-state.json'), JSON.stringify({ ...meta, exported_at: new Date().toISOString() }, null, 1));
}

/** Set `requested` to end the run after the current step with a checkpoint; SIGINT and SIGTERM set it. */
export interface StopRequest {
  requested: boolean;
}

export async function pretrainCommand(args: Args, log: (s: string) => void = console.log, stop: StopRequest = { requested: false }): Promise<void> {
  const stage = str(args, 'stage', '') as PretrainStage;
  if (stage !== 'autoencoder' && stage !== 'unet' && stage !== 'decoder') throw new Error(`pretrain needs --stage autoencoder, unet or decoder\n${pretrainHelp}`);
  const ckptDir = str(args, 'checkpoint-dir', 'checkpoints/pretrain');
  const exportDir = str(args, 'export', DEFAULT_MODEL_DIR);
  const fromDir = str(args, 'from', DEFAULT_MODEL_DIR);
  if ((stage === 'decoder' || (stage === 'unet' && args.from)) && path.resolve(fromDir) === path.resolve(exportDir)) throw new Error(`Stage ${stage} fine-tunes the model in ${fromDir}; give --export another folder (e.g. --export checkpoints/${stage}) so the model it starts from stays as it is.`);
  const ds = loadEmojiDataset(str(args, 'data', 'data'));
  const overrides: Partial<PretrainConfig> = {};
  if (args.batch) overrides.batchSize = num(args, 'batch', 0);
  if (args.lr) overrides.learningRate = num(args, 'lr', 0);
  if (args.seed) overrides.seed = num(args, 'seed', 0);
  if (args['min-lr-ratio']) overrides.minLrRatio = num(args, 'min-lr-ratio', 0);
  if (args['decay-steps']) overrides.decaySteps = num(args, 'decay-steps', 0);

  let tr: Pretrainer;
  const ckpt = ckptPath(ckptDir, stage);
  if (flag(args, 'resume') && fs.existsSync(ckpt)) {
    tr = Pretrainer.fromCheckpoint(fs.readFileSync(ckpt), overrides);
    log(`resumed ${ckpt}: step ${tr.step}, ${tr.imagesSeen} images seen, ${formatDuration(tr.elapsedSeconds)} trained`);
  } else if (stage === 'decoder') {
    // The whole model as exported (its own vocabulary and scaling factor); only the decoder will train.
    const from = path.join(fromDir, 'model.safetensors');
    if (!fs.existsSync(from)) throw new Error(`Stage decoder needs a trained model in ${from}.`);
    const src = modelFromSafetensors(fs.readFileSync(from));
    tr = new Pretrainer(MiniSD.fromTensors(src.config, src.params.tensors, true), { ...defaultPretrainConfig(stage), ...overrides });
    src.dispose();
    log(`initialised every component from ${from}; training vae.decoder.* only`);
  } else if (stage === 'unet' && args.from) {
    // Continue stage 2 of a trained model on (new) data: every weight carried over, the token table grown to the data's
    // vocabulary with every style's words (v2). The autoencoder, and with it the latent space and scaling factor, stay.
    const from = path.join(fromDir, 'model.safetensors');
    if (!fs.existsSync(from)) throw new Error(`--from ${fromDir}: no trained model at ${from}.`);
    const src = modelFromSafetensors(fs.readFileSync(from), undefined, true);
    const grown = await withVocab(src, buildVocab(ds.index.records, STYLE_IDS), createRng(num(args, 'seed', 0)), true);
    src.dispose();
    tr = new Pretrainer(grown.model, { ...defaultPretrainConfig(stage), ...overrides });
    const t = grown.transfer;
    log(`initialised every component from ${from}; vocabulary ${t.kept} words kept, ${t.added.length} added${t.added.length ? ` (${t.added.slice(0, 8).join(', ')}${t.added.length > 8 ? ', …' : ''})` : ''}, ${t.dropped.length} dropped`);
  } else {
    if (flag(args, 'resume') && !flag(args, 'resume-from-export')) throw new Error(`No checkpoint at ${ckpt} to resume. Use --resume-from-export to continue from ${exportDir}/model.safetensors, or drop --resume.`);
    const vocab = buildVocab(ds.index.records);
    const exported = path.join(exportDir, 'model.safetensors');
    let config: ModelConfig = defaultModelConfig(vocab);
    const model = MiniSD.create(config, 0, true);
    const fromExport = flag(args, 'resume-from-export') || stage === 'unet';
    if (fromExport) {
      if (!fs.existsSync(exported)) throw new Error(`Stage ${stage} needs ${exported} (run stage autoencoder first).`);
      const src = modelFromSafetensors(fs.readFileSync(exported));
      const keep = stage === 'unet' && !flag(args, 'resume-from-export') ? [COMPONENTS.vae] : Object.values(COMPONENTS);
      const values = new Map([...src.params.tensors].filter(([n]) => keep.some((p) => n.startsWith(p))));
      model.params.assign(values, false);
      config = { ...config, autoencoder: { ...config.autoencoder, scalingFactor: src.config.autoencoder.scalingFactor } };
      src.dispose();
      log(`initialised ${keep.join(', ')} from ${exported}`);
    }
    tr = new Pretrainer(MiniSD.fromTensors(config, model.params.tensors, true), { ...defaultPretrainConfig(stage), ...overrides });
    model.dispose();
  }

  if (args['decay-steps']) tr.config.decayStart = args['decay-from'] ? num(args, 'decay-from', 0) : tr.step;
  // Sampling defaults are not training state: exports carry the code's current ones (guidance chosen with eval --sweep-guidance).
  tr.model.config.sample = { ...defaultSampleConfig };

  const data = await (async () => {
    if (stage !== 'unet') return autoencoderData(ds);
    const table = await encodeLatents(tr.model, ds, ds.train, true, (s) => log(s));
    if (tr.model.config.autoencoder.scalingFactor === 1) {
      tr.model.config.autoencoder.scalingFactor = scalingFactorOf(table);
      log(`latent scaling factor ${tr.model.config.autoencoder.scalingFactor.toFixed(5)} (1/std of ${table.records.length} latent means)`);
    }
    return unetData(table, tr.model.config.autoencoder.scalingFactor);
  })();

  const steps = num(args, 'steps', 1e9);
  const deadline = args.minutes ? Date.now() + num(args, 'minutes', 0) * 60_000 : Infinity;
  const ckptEvery = num(args, 'checkpoint-minutes', 5) * 60_000;
  const csvFile = path.join(ckptDir, `${stage}-loss.csv`);
  fs.mkdirSync(ckptDir, { recursive: true });
  const dropped = truncateLossCsv(csvFile, tr.step);
  if (dropped > 0) log(`${csvFile}: dropped ${dropped} rows after step ${tr.step} (steps lost since the last checkpoint; they are trained again)`);
  const c = tr.config;
  log(`stage ${stage}: trains ${tr.vars.length} tensors (${tr.vars.reduce((n, v) => n + v.size, 0)} parameters), batch ${c.batchSize}, lr ${c.learningRate}, warm-up ${c.warmupSteps}, ${c.decaySteps > 0 ? `cosine decay to ${c.minLrRatio} × over ${c.decaySteps} steps from step ${c.decayStart}` : 'no decay'}, EMA ${c.emaDecay}, backend ${tf.getBackend()}`);
  const bySteps = steps < 1e9;
  const runStart = Date.now();
  const progress = new Progress(bySteps ? steps : Math.round((deadline - runStart) / 1000), 20);
  let lastCkpt = Date.now();
  let window = { t: Date.now(), images: 0 };
  let ips = 0;
  const save = async () => {
    writeAtomic(ckpt, await tr.checkpoint());
    await exportEma(tr, exportDir, stage === 'unet' ? {} : stage === 'decoder' ? { note: `decoder fine-tuned from ${fromDir} on ${str(args, 'data', 'data')}` } : { note: 'autoencoder only; UNet untrained' });
    log(`\ncheckpoint ${ckpt} + EMA export to ${exportDir} at step ${tr.step}`);
  };
  const onSignal = () => (stop.requested = true);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  for (let i = 0; i < steps && Date.now() < deadline && !stop.requested; i++) {
    // A wasm step resolves through microtasks only; without this the event loop (signals, timers) never runs mid-run.
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = Date.now();
    const m = await tr.trainStep(data);
    tr.elapsedSeconds += (Date.now() - t0) / 1000;
    window.images += c.batchSize;
    if (Date.now() - window.t > 10_000) {
      ips = (window.images * 1000) / (Date.now() - window.t);
      window = { t: Date.now(), images: 0 };
    }
    const header = !fs.existsSync(csvFile) ? `step,images_seen,train_seconds,lr,${Object.keys(m.parts).join(',')},grad_norm\n` : '';
    fs.appendFileSync(csvFile, header + [m.step, tr.imagesSeen, tr.elapsedSeconds.toFixed(1), m.learningRate.toExponential(3), ...Object.values(m.parts).map((v) => v.toFixed(5)), m.gradNorm.toFixed(4)].join(',') + '\n');
    const done = bySteps ? i + 1 : Math.round((Date.now() - runStart) / 1000);
    progress.update(done, ips, `step ${m.step} loss ${m.loss.toFixed(4)} ${Object.entries(m.parts).filter(([k]) => k !== 'loss').map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')} lr ${m.learningRate.toExponential(2)}`);
    if (Date.now() - lastCkpt > ckptEvery) {
      await save();
      lastCkpt = Date.now();
    }
  }
  progress.end();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await save();
  log(`stopped at step ${tr.step} (${tr.imagesSeen} images seen, ${formatDuration(tr.elapsedSeconds)} of training)`);
  tr.dispose();
  tr.model.dispose();
}
