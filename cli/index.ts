// d3po-studio command line: picks the Node tfjs backend (entry point) and dispatches to one command per file in cli/commands.
import { parseArgs } from './args';
import { initNodeBackend } from '../src/platform/node';
import { pretrainCommand, pretrainHelp } from './commands/pretrain';
import { dataCommand, dataHelp } from './commands/data';
import { infoCommand, infoHelp } from './commands/info';
import { sampleCommand, sampleHelp } from './commands/sample';
import { benchCommand, benchHelp } from './commands/bench';
import { evalCommand, evalHelp } from './commands/eval';
import { experimentCommand, experimentHelp } from './commands/experiment';
import { experimentTableCommand, experimentTableHelp } from './commands/experimentTable';
import { pairsCommand, pairsHelp } from './commands/pairs';
import { labelCommand, labelHelp } from './commands/label';
import { trainCommand, trainHelp } from './commands/train';
import { latentSubsetCommand, latentSubsetHelp } from './commands/latentSubset';
import { tasteSweepCommand, tasteSweepHelp } from './commands/tasteSweep';
import { moodboardCommand, moodboardHelp } from './commands/moodboard';

type Command = { run: (args: ReturnType<typeof parseArgs>) => Promise<void>; help: string; backend: boolean };

export const commands: Record<string, Command> = {
  data: { run: dataCommand, help: dataHelp, backend: false },
  pretrain: { run: pretrainCommand, help: pretrainHelp, backend: true },
  info: { run: infoCommand, help: infoHelp, backend: true },
  sample: { run: sampleCommand, help: sampleHelp, backend: true },
  bench: { run: benchCommand, help: benchHelp, backend: false }, // picks each backend itself (--backends)
  eval: { run: evalCommand, help: evalHelp, backend: true },
  experiment: { run: experimentCommand, help: experimentHelp, backend: true },
  'experiment-table': { run: experimentTableCommand, help: experimentTableHelp, backend: true },
  pairs: { run: pairsCommand, help: pairsHelp, backend: true },
  label: { run: labelCommand, help: labelHelp, backend: false },
  train: { run: trainCommand, help: trainHelp, backend: true },
  'latent-subset': { run: latentSubsetCommand, help: latentSubsetHelp, backend: true },
  'taste-sweep': { run: tasteSweepCommand, help: tasteSweepHelp, backend: true },
  moodboard: { run: moodboardCommand, help: moodboardHelp, backend: true },
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const name = args._[0];
  const cmd = name ? commands[name] : undefined;
  if (!cmd) {
    console.log(`usage: npm run cli -- <command> [options]\n\n${Object.values(commands).map((c) => c.help).join('\n\n')}`);
    process.exit(name ? 2 : 0);
  }
  if (cmd.backend) {
    const info = await initNodeBackend({ backend: args.backend === 'cpu' ? 'cpu' : 'wasm', threads: args.threads ? Number(args.threads) : undefined });
    console.log(`backend ${info.name} (threads ${info.threads}, simd ${info.simd})${info.reason ? ` — ${info.reason}` : ''}`);
  }
  await cmd.run(args);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
