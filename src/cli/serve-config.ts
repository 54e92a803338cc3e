/** `sluice serve`'s configuration: the file and environment (`loadConfig`), then its flags on top. */
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

export interface ServeOptions {
  readonly config?: string;
  readonly port?: number;
  readonly grpcPort?: number;
  readonly host?: string;
  readonly models?: string;
  readonly logLevel?: string;
}

/** Throws ConfigError naming the key when the result is invalid (a flag's value included). */
export function serveConfig(options: ServeOptions, env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const server: Record<string, unknown> = {};
  if (options.port !== undefined) server['port'] = options.port;
  if (options.grpcPort !== undefined) server['grpc_port'] = options.grpcPort;
  if (options.host !== undefined) server['host'] = options.host;
  const overrides: Record<string, Record<string, unknown>> = { server };
  if (options.models !== undefined) overrides['models'] = { repository: options.models };
  if (options.logLevel !== undefined) overrides['logging'] = { level: options.logLevel };
  return loadConfig({ ...(options.config === undefined ? {} : { file: options.config }), env, overrides });
}
