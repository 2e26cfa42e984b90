// Writes a trained LoRA for other tools: diffusers/PEFT-layout safetensors (encodeLoraSafetensors) plus a PEFT adapter_config.json beside it, following huggingface/peft docs/source/developer_guides/checkpoint.md and diffusers src/diffusers/loaders/lora_base.py.
import fs from 'node:fs';
import path from 'node:path';
import type { LoraAdapter } from '../../src/core/model/lora';
import { adapterConfigJson, encodeLoraSafetensors } from '../../src/core/model/loraFile/loraFile';

/** Writes `file` (PEFT layout, F32) and adapter_config.json in the same folder; returns both paths. */
export async function writeLoraFiles(file: string, lora: LoraAdapter, baseModel: string, metadata: Record<string, string>): Promise<{ lora: string; config: string }> {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, await encodeLoraSafetensors(lora, { layout: 'peft', baseModel, metadata }));
  const config = path.join(path.dirname(file), 'adapter_config.json');
  fs.writeFileSync(config, adapterConfigJson(lora, baseModel));
  return { lora: file, config };
}
