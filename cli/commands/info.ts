// `info`: the model's name, training metadata, parameters and FLOPs per component against the budget, the backend, and a matmul GFLOP/s probe.
import { formatDuration } from '../pretrain/progress';
import { DEFAULT_MODEL_PATH, loadModel } from '../modelLoader';
import { currentBackendInfo, matmulProbe } from './benchTiming';
import { num, str, type Args } from '../args';

export const infoHelp = `info [--model ${DEFAULT_MODEL_PATH}] [--probe-size 512]
  Prints the model's name, training metadata (step, images seen, training time), parameters and FLOPs per component
  next to the budget (UNet ≤ 5 M params and ≤ 200 MFLOP per latent forward; decoder ≤ 200 MFLOP per image), the tfjs
  backend with its thread count, and the GFLOP/s of a matmul probe.`;

/** The budget for the model. */
export const BUDGET = { unetParams: 5e6, unetFlops: 200e6, decoderFlops: 200e6 } as const;

const millions = (n: number) => `${(n / 1e6).toFixed(2)} M`;
const mflop = (n: number) => `${(n / 1e6).toFixed(1)} MFLOP`;
const verdict = (value: number, limit: number) => (value <= limit ? 'ok' : 'OVER BUDGET');

/** "step 1200, 76800 images seen, 1h05m trained (stage unet)" from the file's __metadata__, or a note that there is none. */
export function trainingSummary(meta: Record<string, string>): string {
  const parts: string[] = [];
  if (meta.step !== undefined) parts.push(`step ${meta.step}`);
  if (meta.images_seen !== undefined) parts.push(`${meta.images_seen} images seen`);
  if (meta.train_seconds !== undefined) parts.push(`${formatDuration(Number(meta.train_seconds))} trained (${meta.train_seconds} s)`);
  const stage = meta.stage ? ` (stage ${meta.stage})` : '';
  const note = meta.note ? ` — ${meta.note}` : '';
  return parts.length > 0 ? `${parts.join(', ')}${stage}${note}` : `no training metadata in the file${stage}${note}`;
}

function row(label: string, value: string, budget = '', status = ''): string {
  return `  ${label.padEnd(22)}${value.padStart(26)}   ${budget.padEnd(22)}${status}`.trimEnd();
}

export async function infoCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const { model, file, id } = loadModel(str(args, 'model', DEFAULT_MODEL_PATH));
  try {
    const counts = model.parameterCounts();
    const flops = model.flopCounts();
    const backend = await currentBackendInfo();
    const n = num(args, 'probe-size', 512);
    const probe = await matmulProbe(n, 5, 2);
    const total = counts.vae + counts.textEncoder + counts.unet;
    log(`model       ${model.config.name}  (id ${id}; ${file.path}, ${(file.bytes.length / 1e6).toFixed(1)} MB)`);
    log(`training    ${trainingSummary(file.metadata)}`);
    log(`backend     ${backend.name} (threads ${backend.threads}${backend.simd ? ', SIMD' : ''})`);
    log('parameters');
    log(row('vae (autoencoder)', `${counts.vae} (${millions(counts.vae)})`));
    log(row('text encoder', `${counts.textEncoder} (${millions(counts.textEncoder)})`));
    log(row('UNet', `${counts.unet} (${millions(counts.unet)})`, `budget ≤ ${millions(BUDGET.unetParams)}`, verdict(counts.unet, BUDGET.unetParams)));
    log(row('total', `${total} (${millions(total)})`));
    log('FLOPs (multiply-add = 2)');
    log(row('UNet forward', `${mflop(flops.unet)} / latent`, `budget ≤ ${mflop(BUDGET.unetFlops)}`, verdict(flops.unet, BUDGET.unetFlops)));
    log(row('decoder', `${mflop(flops.decoder)} / image`, `budget ≤ ${mflop(BUDGET.decoderFlops)}`, verdict(flops.decoder, BUDGET.decoderFlops)));
    log(row('text encoder', `${mflop(flops.textEncoder)} / prompt`));
    log(`matmul probe ${n}×${n}×${n}: ${probe.gflops.toFixed(2)} GFLOP/s (${probe.ms.toFixed(1)} ms, median of ${probe.reps} after 2 warm-up runs)`);
    const unetMs = (flops.unet / (probe.gflops * 1e9)) * 1000;
    log(`  at that rate one UNet forward would take ≥ ${unetMs.toFixed(1)} ms per latent (real layers reach a fraction of the probe; see \`bench\`)`);
  } finally {
    model.dispose();
  }
}
