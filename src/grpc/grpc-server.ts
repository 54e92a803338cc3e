/**
 * The gRPC edge: a grpc-js server for the Open Inference Protocol's service
 * (src/protocols/grpc), the counterpart of the HTTP edge. Inference calls (ModelInfer)
 * take a permit from the same server-wide admission gate as HTTP inference requests, are
 * counted in sluice_requests_total with their HTTP-equivalent status under the protocol
 * `kserve-v2-grpc`, and are waited for by a graceful shutdown; every call is logged.
 *
 *   ModelInfer ─► gate.admit(tenant) ─refused─► RESOURCE_EXHAUSTED (retry info), counted as a refusal
 *                        │ admitted
 *                        ▼
 *              GrpcCall: handler ─► pipeline ─► settle ─► ticket.finish(status), metrics, log line
 */
import {
  Server,
  ServerCredentials,
  type handleUnaryCall,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { SluiceError } from '../core/errors.ts';
import type { AdmissionVerdict } from '../control/gate/admission-gate.ts';
import { refusalError } from '../control/gate/admission-gate.ts';
import { gateTenant, refusedModel } from '../control/gate/refusal-labels.ts';
import { Inflight } from '../core/inflight.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { InferencePipeline } from '../pipeline/pipeline.ts';
import type { TenantRef } from '../control/gate/tenant-shares.ts';
import type { InferenceService, Rpc } from '../protocols/grpc/service.ts';
import { loadInferenceService, type ModelInferRequest } from '../protocols/grpc/proto.ts';
import { errorStatus } from '../protocols/grpc/status.ts';
import type { TenantDirectory } from '../tenancy/tenant-directory.ts';
import type { AccessControl } from '../tenancy/access-control.ts';
import { GRPC_SCOPES } from '../http/route-scopes.ts';
import type { FinishedInference } from '../observe/inference-audit.ts';
import { GRPC_PROTOCOL, GrpcCall, type CallEnd } from './grpc-call.ts';
import { FLOW_CONTROL_OPTION, widenServerWindows } from './flow-control.ts';

/** The server-wide admission gate, as HTTP's admission plugin holds it. */
export interface CallAdmission {
  admit(tenant: TenantRef): AdmissionVerdict;
}

export interface GrpcEdgeDeps {
  readonly service: InferenceService;
  readonly pipeline: InferencePipeline;
  readonly tenants: TenantDirectory;
  /** Authentication and scopes, as on HTTP (GRPC_SCOPES). */
  readonly access: AccessControl;
  /** Records a finished inference in the audit log, when audited. */
  readonly auditInference: ((finished: FinishedInference) => void) | undefined;
  readonly metrics: Metrics;
  /** Names a call's model in the metrics: a version a client named that is not listed shares one label. */
  readonly targets: TargetDirectory;
  readonly logger: Logger;
  /** The largest message accepted (as HTTP's body limit). */
  readonly maxMessageBytes: number;
  /** The gate, when load control has one (read per call: the HTTP edge may build it after this). */
  readonly admission: () => CallAdmission | undefined;
}

export class GrpcEdge {
  private readonly server: Server;
  /** Inference calls accepted and not yet answered, each with how to answer it now. */
  /** The inference calls not yet answered, by the function that answers one with an error. */
  private readonly open = new Inflight<(error: SluiceError) => void>();
  private listening = false;

  constructor(private readonly deps: GrpcEdgeDeps) {
    this.server = new Server({
      'grpc.max_receive_message_length': deps.maxMessageBytes,
      'grpc.max_send_message_length': -1,
      ...FLOW_CONTROL_OPTION,
    });
    const { service } = deps;
    const implementation: UntypedServiceImplementation = {};
    for (const name of Object.keys(service) as Array<keyof InferenceService>) {
      implementation[name] = this.unary(name, service[name] as Rpc<unknown, unknown>);
    }
    this.server.addService(loadInferenceService(), implementation);
  }

  /** Binds `host:port` (0: a free port) and starts serving; resolves the bound port. */
  listen(host: string, port: number): Promise<number> {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) =>
      this.server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => {
        if (error !== null) return reject(error);
        if (widenServerWindows(this.server) === 0)
          this.deps.logger.warn("gRPC: grpc-js's HTTP/2 servers not found; receive windows stay at 64 KB");
        this.listening = true;
        resolve(bound);
      }),
    );
  }

  /** Resolves true once no inference call is open, or false when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    return this.open.idle(timeoutMs);
  }

  /** Answers every inference call still open with `error` and returns how many there were. */
  answerAll(error: SluiceError): number {
    return this.open.answerAll((answer) => (answer(error), true));
  }

  /** Stops taking calls and closes once the open ones finish, or at once after `graceMs`. */
  close(graceMs = 0): Promise<void> {
    if (!this.listening) {
      this.server.forceShutdown();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.forceShutdown(), graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private unary(name: string, rpc: Rpc<unknown, unknown>): handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      if (rpc.inference) this.inference(name, rpc, call as ServerUnaryCall<ModelInferRequest, unknown>, callback);
      else this.run(name, rpc, new GrpcCall(call, callback, this.deps, (end) => this.logLine(name, end)));
    };
  }

  private inference(
    name: string,
    rpc: Rpc<unknown, unknown>,
    call: ServerUnaryCall<ModelInferRequest, unknown>,
    callback: sendUnaryData<unknown>,
  ): void {
    const { metrics, tenants } = this.deps;
    let ticket: { finish(status: number): void; abandon(): void } | undefined;
    const answer = (error: SluiceError) => grpcCall.settle({ error });
    const grpcCall = new GrpcCall(call, callback, this.deps, (end) => {
      this.open.delete(answer);
      if (end.status === 499) ticket?.abandon();
      else ticket?.finish(end.status);
      metrics.recordRequest(GRPC_PROTOCOL, end.status, end.seconds, this.deps.targets.servedLabels(end.context));
      this.deps.auditInference?.({ protocol: GRPC_PROTOCOL, ...end });
      this.logLine(name, end);
    });
    const gate = this.deps.admission();
    if (gate !== undefined) {
      const tenant = gateTenant(tenants, grpcCall.headers);
      const verdict = gate.admit(tenant);
      if (!verdict.admitted) {
        const { model_name: model, model_version: version } = call.request;
        const labels = refusedModel(this.deps.targets, model, version === '' ? undefined : version);
        metrics.countAdmissionRefusal({ protocol: GRPC_PROTOCOL, ...labels, tenant: tenant.name });
        callback(errorStatus(refusalError(verdict.error)));
        return;
      }
      ticket = verdict.ticket;
    }
    this.open.add(answer);
    this.run(name, rpc, grpcCall);
  }

  /** Authenticates the call against its method's scope, then runs it. */
  private run(name: string, rpc: Rpc<unknown, unknown>, call: GrpcCall<unknown, unknown>): void {
    try {
      call.caller = this.deps.access.admit(GRPC_SCOPES[name], call.headers, `grpc ${name}`);
    } catch (error) {
      return call.settle({ error });
    }
    rpc.handle(call.request, call.scope()).then(
      (response) => call.settle({ response }),
      (error: unknown) => call.settle({ error }),
    );
  }

  private logLine(rpc: string, end: CallEnd): void {
    const line = { rpc, status: end.status, ms: Number((end.seconds * 1000).toFixed(2)) };
    end.log.info(end.code === undefined ? line : { ...line, code: end.code }, 'request');
  }
}
