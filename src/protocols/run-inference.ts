/** The one way a protocol adapter hands a request to the pipeline. */
import type { FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Protocol } from '../observe/metrics.ts';
import { createContext, type CompletedContext, type InferenceRequest } from '../pipeline/context.ts';
import type { InferencePipeline } from '../pipeline/pipeline.ts';
import type { TenantDirectory } from '../tenancy/tenant-directory.ts';

export interface InferenceRuntime {
  readonly pipeline: InferencePipeline;
  readonly tenants: TenantDirectory;
}

export function runInference(
  runtime: InferenceRuntime,
  request: FastifyRequest,
  protocol: Protocol,
  inference: InferenceRequest,
): Promise<CompletedContext> {
  const tenant = runtime.tenants.identify(request.headers);
  const context = createContext(request.id, protocol, inference, tenant, performance.now());
  // Kept on the request so the response hook can label its metrics with the resolved model.
  request.inference = context;
  return runtime.pipeline.run(context);
}
