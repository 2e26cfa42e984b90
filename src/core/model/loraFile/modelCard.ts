/**
 * The model card (README.md) that goes into the PEFT zip beside the weights, as Hugging Face model repositories and LoRA
 * trainers (kohya sd-scripts, ai-toolkit) ship one: YAML front matter (tags, the base model), the ModelSpec title and
 * thumbnail, the training facts from the file's own metadata, and the evidence that the taste was learned (the taste
 * meter and blind tests), each with its count and 95 % interval. Pure text from the metadata: no DOM.
 */

export interface CardEvidence {
  label: string; // e.g. "taste meter (check pairs)", "blind test: step 160 vs base"
  successes: number; // ties count half
  n: number;
  low: number; // 95 % Wilson interval
  high: number;
}

export interface ModelCardInfo {
  metadata: Record<string, string>; // the LoRA file's __metadata__ (modelspec.* and studio_*)
  weightsFile: string;
  configFile?: string; // adapter_config.json (PEFT layout)
  thumbnailFile?: string;
  evidence?: CardEvidence[];
}

const pct = (x: number) => `${Math.round(100 * x)} %`;

/** Escapes a table cell (pipes, newlines). */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** YAML double-quoted scalar. */
const yamlString = (s: string) => JSON.stringify(s);

export function modelCard(info: ModelCardInfo): string {
  const m = info.metadata;
  const title = m['modelspec.title'] ?? 'LoRA from d3po-studio';
  const arch = m['modelspec.architecture'] ?? '';
  const base = arch.endsWith('/lora') ? arch.slice(0, -'/lora'.length) : m.studio_base_model ?? 'unknown';
  const method = (m.studio_method ?? 'd3po').toUpperCase();
  const lines: string[] = [
    '---',
    'tags:',
    '  - lora',
    '  - text-to-image',
    `  - ${(m.studio_method ?? 'd3po').toLowerCase()}`,
    '  - d3po-studio',
    `base_model_name: ${yamlString(base)}`,
    '---',
    '',
    `# ${title}`,
    '',
  ];
  if (info.thumbnailFile) lines.push(`![samples of the fixed gallery prompts with this adapter](${info.thumbnailFile})`, '');
  if (m['modelspec.description']) lines.push(m['modelspec.description'], '');
  lines.push('## Training', '', '| | |', '|---|---|');
  const rows: [string, string | undefined][] = [
    ['method', `${method}${method === 'D3PO' ? ' (Yang et al. 2024, "Using Human Feedback to Fine-tune Diffusion Models without Any Reward Model")' : ''}`],
    ['base model', `${base}${m.studio_base_model_hash ? ` (content hash ${m.studio_base_model_hash})` : ''}`],
    ['clicks (A/B votes)', m.studio_clicks],
    ['optimizer steps', m.studio_step],
    ['β', m.studio_beta],
    ['resolution', m['modelspec.resolution']],
    ['date', m['modelspec.date']],
  ];
  for (const [k, v] of rows) if (v !== undefined) lines.push(`| ${k} | ${cell(v)} |`);
  if (m.studio_recipe) lines.push('', 'Recipe (the studio\'s training settings):', '', '```json', prettyJson(m.studio_recipe), '```');
  lines.push('', '## Did it learn the taste?', '');
  if (info.evidence?.length) {
    lines.push('| evidence | result | votes | 95 % interval |', '|---|---:|---:|---|');
    for (const e of info.evidence) lines.push(`| ${cell(e.label)} | ${e.n ? pct(e.successes / e.n) : '—'} | ${e.n} | ${pct(e.low)}–${pct(e.high)} |`);
    lines.push('', '50 % is chance. The taste meter counts check pairs (the adapter\'s image beside the base model\'s from the same noise, sides hidden, voted before the adapter trained on them); blind-test votes were never trained on.');
  } else lines.push('No taste-meter or blind-test votes were recorded for this adapter.');
  lines.push('', '## Files', '', `- \`${info.weightsFile}\`: the LoRA weights; the header's \`__metadata__\` holds the ModelSpec keys (\`modelspec.*\`) and these training facts (\`studio_*\`).`);
  if (info.configFile) lines.push(`- \`${info.configFile}\`: the PEFT \`LoraConfig\` (rank, alpha, target modules).`);
  if (info.thumbnailFile) lines.push(`- \`${info.thumbnailFile}\`: the thumbnail (also in \`modelspec.thumbnail\`).`);
  lines.push('', '## Use', '', `In d3po-studio: Data → Import LoRA (the base model must be ${base}).`, '');
  return lines.join('\n');
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
