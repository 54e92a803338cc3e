/** The `sluice` command line. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS } from '../config/schema.ts';
import { SLUICE_VERSION } from '../core/version.ts';
import { DEFAULT_SEED } from '../offline/training/default-seed.ts';
import { buildModelsCommand } from './build-models.ts';
import { serveCommand } from './serve.ts';
import { simCommand } from './sim.ts';
import { registerAuditCommands } from './audit-command.ts';
import { registerKeyCommands } from './keys-command.ts';
import { profileCommand } from './profile-command.ts';
import { evalCommand } from './eval-command.ts';

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return parsed;
}

const program = new Command()
  .name('sluice')
  .description('Serve models fast, cheap and predictably: dynamic batching behind OpenAI and KServe APIs.')
  .version(SLUICE_VERSION);

program
  .command('serve', { isDefault: true })
  .description('serve the models of a repository (building the embedded defaults into ./models when missing)')
  .option('-c, --config <file>', 'YAML configuration file')
  .option('--host <address>', 'listen address (overrides server.host)')
  .option('-p, --port <port>', 'listen port (overrides server.port)', integer)
  .option('--grpc-port <port>', 'gRPC (Open Inference Protocol) port, 0 for none (overrides server.grpc_port)', integer)
  .option('-m, --models <dir>', 'model repository (overrides models.repository; never written to)')
  .addOption(new Option('--log-level <level>', 'log level (overrides logging.level)').choices(LOG_LEVELS))
  .action(serveCommand);

program
  .command('build-models')
  .description('train the embedded default models from their seeded data set and write them as ONNX')
  .option('-o, --out <dir>', 'model repository to write into', 'models')
  .option('-s, --seed <seed>', 'data and training seed', integer, DEFAULT_SEED)
  .action(buildModelsCommand);

program.addCommand(simCommand());
program.addCommand(profileCommand());
program.addCommand(evalCommand());
registerKeyCommands(program);
registerAuditCommands(program);

await program.parseAsync();
