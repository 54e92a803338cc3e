/** The one configuration document: YAML file, then environment overrides, validated once and frozen. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_SEED } from '../offline/training/default-seed.ts';
import { KEY_HASH_PATTERN, KEY_ID_PATTERN } from '../tenancy/api-keys.ts';
import { SCOPES } from '../state/store.ts';
import { SegmentsSchema } from '../quality/segments/segment-spec.ts';
import { DEFAULT_VOCABULARY_SIZE } from '../quality/text-reference.ts';
import { CacheSchema } from '../cost/cache/cache-config.ts';
import { RoutesSchema } from '../cost/routing/route-config.ts';
import { LedgerSchema, PriceSchema, refinePrices } from '../cost/ledger/ledger-config.ts';
import { LimitSettingsSchema, LimitsSchema } from '../cost/limits/limits-config.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The default model repository, relative to the working directory: the only one the demo models are built into. */
export const DEFAULT_MODEL_REPOSITORY = 'models';

export const ConfigSchema = z
  .strictObject({
    server: z
      .strictObject({
        /** Loopback by default: any other address needs auth on, or `allow_unauthenticated`. */
        host: z.string().min(1).default('127.0.0.1'),
        /** Serve without authentication on an address other than loopback (warned at every start). */
        allow_unauthenticated: z.boolean().default(false),
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * The Open Inference Protocol's gRPC service (`inference.GRPCInferenceService`), on
         * `host` beside HTTP, with the same models, pipeline, load control and auth. 0: no gRPC.
         */
        grpc_port: z.number().int().min(0).max(65535).default(8081),
        /** Largest accepted request body; larger ones get 413. */
        body_limit_bytes: z
          .number()
          .int()
          .min(1024)
          .default(10 * 1024 * 1024),
        /**
         * Pending TCP connections the kernel may hold (capped by net.core.somaxconn). Node's
         * 511 overflowed under thousands of connections and clients retried after 1–3 s.
         */
        listen_backlog: z.number().int().min(1).default(4096),
        /**
         * How long an idle keep-alive connection stays open. Longer than the idle timeouts of
         * the load balancers and client pools in front (60 s is common), so the server never
         * closes a connection a client is about to reuse, and clients do not reconnect under load.
         */
        keep_alive_timeout_ms: z.number().int().min(1000).default(72_000),
        /** After SIGTERM: how long queued and in-flight requests may take to finish. */
        shutdown_grace_ms: z.number().int().min(0).default(30_000),
        /**
         * After SIGTERM the server stays open, answering 503 with `Connection: close`, until no
         * request has arrived for this long (within the grace period); only then are idle
         * keep-alive connections closed, so none is closed under a request on its way.
         */
        shutdown_quiet_ms: z.number().int().min(0).default(250),
      })
      .prefault({}),
    models: z
      .strictObject({
        /** Directory laid out as `<name>/<version>/model.yaml`. */
        repository: z.string().min(1).default(DEFAULT_MODEL_REPOSITORY),
        /**
         * Build the embedded default models when they are missing, into the default repository
         * only: a directory the user names is never written to, and an existing version directory
         * is left alone.
         */
        build_defaults: z.boolean().default(true),
        /** Seed of the default models' data generator and training. */
        build_seed: z.number().int().default(DEFAULT_SEED),
        /**
         * Where ONNX Runtime runs batches: `worker`, a worker thread per model instance, so
         * a batch never blocks the event loop and instances run in parallel; or `main`, on
         * the event loop's thread (tests, single-core deployments).
         */
        execution: z.enum(['worker', 'main']).default('worker'),
        /**
         * Batches executing at once across all models, so the event loop that parses HTTP
         * always keeps a core. 0: with `worker`, (CPUs − 1) ÷ intra_op_threads, at least 1;
         * with `main`, 1 (batches on the event loop never overlap anyway).
         */
        execution_slots: z.number().int().min(0).default(0),
        /** ONNX Runtime threads per session (0 lets ONNX Runtime choose). */
        intra_op_threads: z.number().int().min(0).default(1),
      })
      .prefault({}),
    load_control: z
      .strictObject({
        /**
         * Off: unbounded queues, no deadlines, no shedding, one priority level, fixed
         * concurrency — the naive server the overload benchmark compares against.
         */
        enabled: z.boolean().default(true),
      })
      .prefault({}),
    admission: z
      .strictObject({
        /**
         * Sheds inference requests at the HTTP layer, before their body is read, when the
         * server as a whole is overloaded (429 ERR_ADMISSION_OVERLOADED). Off whenever
         * load_control.enabled is false.
         */
        enabled: z.boolean().default(true),
        /** The adaptive limit on concurrent inference requests never falls below this... */
        min_limit: z.number().int().min(1).default(16),
        /** ...nor rises above this... */
        max_limit: z.number().int().min(1).default(4096),
        /** ...and starts here. */
        initial_limit: z.number().int().min(1).default(256),
        /**
         * While the server keeps up, the gate holds at least as many requests as it finished
         * in this many ms lately, whatever the adaptive limit says: the arrivals of a pause
         * are not refused below capacity. 0: the adaptive limit alone.
         */
        burst_ms: z.number().min(0).default(250),
        /** The event-loop lag guard (src/control/gate/loop-lag-guard.ts): sheds while the loop has been behind on the requests it received. */
        loop_lag: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** A request parsed this long into a late turn of the loop is taken to have waited too long. */
            target_ms: z.number().positive().default(20),
            /** How long the loop must have been behind before it sheds, and keep up before it stops. */
            interval_ms: z.number().positive().default(100),
          })
          .prefault({}),
      })
      .superRefine((admission, ctx) => {
        if (admission.max_limit < admission.min_limit)
          ctx.addIssue({
            code: 'custom',
            path: ['max_limit'],
            message: `must be ≥ min_limit (${admission.min_limit})`,
          });
        if (admission.initial_limit < admission.min_limit || admission.initial_limit > admission.max_limit) {
          ctx.addIssue({
            code: 'custom',
            path: ['initial_limit'],
            message: `must lie in [min_limit, max_limit] = [${admission.min_limit}, ${admission.max_limit}]`,
          });
        }
      })
      .prefault({}),
    auth: z
      .strictObject({
        /** On: every request but health needs an API key whose scopes cover its route. Off: one tenant, "default". */
        enabled: z.boolean().default(false),
        /**
         * How often keys are re-read from the store, so that a key revoked by another replica
         * or by `sluice keys revoke` is refused; the admin API's own changes apply at once.
         */
        key_refresh_ms: z.number().int().min(100).default(1000),
      })
      .prefault({}),
    /** Tenants declared in the file (GitOps); more are created with `sluice tenants create` or the admin API. */
    tenants: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." or "-"'),
          /** Keys by their stored form only (`sluice keys hash` prints an entry); never the key itself. */
          keys: z
            .array(
              z.strictObject({
                id: z.string().regex(KEY_ID_PATTERN, 'the 10-character id of a key made by sluice'),
                hash: z.string().regex(KEY_HASH_PATTERN, 'sha256:<salt>:<digest>, as `sluice keys hash` prints it'),
                scopes: z.array(z.enum(SCOPES)).min(1).default(['infer']),
                /** Models the key may call; absent: every model. */
                models: z.array(z.string().min(1)).min(1).optional(),
                expires_at: z.iso.datetime({ offset: true }).optional(),
                /** This key's own rate limits and budgets, on top of its tenant's (docs/cost.md#budgets-and-rate-limits). */
                limits: LimitsSchema.optional(),
              }),
            )
            .default([]),
          /** The highest priority level (1 = highest) the tenant's requests may use; also their default. */
          priority: z.number().int().min(1).optional(),
          /** Share of capacity under contention, relative to other tenants (weighted fair queueing). */
          weight: z.number().positive().default(1),
          /** Rate limits and budgets of all the tenant's keys together (docs/cost.md#budgets-and-rate-limits). */
          limits: LimitsSchema.optional(),
        }),
      )
      .default([])
      .superRefine((tenants, ctx) => {
        const seenNames = new Set<string>();
        const seenKeys = new Set<string>();
        tenants.forEach((tenant, index) => {
          if (seenNames.has(tenant.name))
            ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `tenant "${tenant.name}" is listed twice` });
          seenNames.add(tenant.name);
          tenant.keys.forEach((key, keyIndex) => {
            if (seenKeys.has(key.id))
              ctx.addIssue({
                code: 'custom',
                path: [index, 'keys', keyIndex, 'id'],
                message: `key "${key.id}" is listed twice`,
              });
            seenKeys.add(key.id);
          });
        });
      }),
    /** Where state that lasts is kept when `database.url` is not set: SQLite at `<directory>/sluice.db`. */
    state: z
      .strictObject({
        directory: z.string().min(1).default('data'),
        /** Redis for state replicas share (the response cache and its flights, docs/cost.md); absent: in each process's memory. */
        redis_url: z.url({ protocol: /^rediss?$/ }).optional(),
      })
      .prefault({}),
    database: z
      .strictObject({
        /** PostgreSQL for tenants, keys and the audit log (shared by replicas); absent: SQLite under `state.directory`. */
        url: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
      })
      .prefault({}),
    audit: z
      .strictObject({
        /** Inferences written to the audit log: "none", "all", or the names of the models to audit. */
        inferences: z.union([z.enum(['none', 'all']), z.array(z.string().min(1)).min(1)]).default('none'),
        /** Records older than this many days are pruned at start and daily, behind a signed checkpoint; 0 keeps all. */
        retention_days: z.number().int().min(0).default(0),
        /** Ed25519 key that signs pruning checkpoints; default `<state.directory>/audit-signing.key`. */
        signing_key_file: z.string().min(1).optional(),
        /** Audit records are written in batches, off the request path, this often. */
        flush_interval_ms: z.number().int().min(1).max(10_000).default(100),
      })
      .prefault({}),
    /** Remote model servers sluice fronts (issue 4): OpenAI-compatible or KServe v2. */
    backends: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." or "-"'),
          dialect: z.enum(['openai', 'kserve-v2']),
          replicas: z
            .array(z.strictObject({ url: z.url({ protocol: /^https?$/ }), weight: z.number().positive().default(1) }))
            .min(1),
          /** Environment variable holding the upstream API key (sent as a bearer token). */
          api_key_env: z
            .string()
            .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
            .optional(),
          timeouts: z
            .strictObject({
              connect_ms: z.number().int().min(1).default(2_000),
              /** Until the response headers arrive. */
              headers_ms: z.number().int().min(1).default(60_000),
              /** Between two chunks of a response body (streams stall no longer than this). */
              body_ms: z.number().int().min(1).default(60_000),
            })
            .prefault({}),
          /**
           * Connections per replica, opened as needed and kept alive. A stream holds one for its
           * whole length, so this caps a replica's open streams; past it requests wait in the pool.
           */
          connections: z.number().int().min(1).default(1_024),
          /** P2C over Peak-EWMA with ejection and circuit breakers, or plain weighted round robin (the naive baseline). */
          load_balancing: z.enum(['p2c_peak_ewma', 'round_robin']).default('p2c_peak_ewma'),
          /** Non-streaming calls: a second copy to another replica once the first is slower than the observed p95. */
          hedging: z
            .strictObject({
              enabled: z.boolean().default(true),
              /** Extra requests hedging may add, as a share of requests. */
              budget_ratio: z.number().min(0).max(1).default(0.1),
            })
            .prefault({}),
          /** Probes of every replica on a timer; a replica failing them is out of rotation until it passes again. */
          health_check: z
            .strictObject({
              enabled: z.boolean().default(true),
              /** GET path, after the replica's own prefix; default /v1/models (openai) or /v2/health/ready (kserve-v2). */
              path: z
                .string()
                .regex(/^\/[^\s]*$/, 'a path starting with "/"')
                .optional(),
              /** Between the end of one round of probes and the start of the next (plus up to 10% jitter). */
              interval_ms: z.number().int().min(100).default(10_000),
              /** A probe without a 2xx answer by then has failed. */
              timeout_ms: z.number().int().min(1).default(2_000),
              /** Failed probes in a row that take a replica out of rotation... */
              unhealthy_threshold: z.number().int().min(1).default(3),
              /** ...and passed probes in a row that bring it back. */
              healthy_threshold: z.number().int().min(1).default(2),
            })
            .prefault({}),
          /** A replica that answers 429 with Retry-After gets no request until that time has passed. */
          retry_after: z
            .strictObject({
              enabled: z.boolean().default(true),
              /** Longer Retry-After values are cut to this. */
              max_ms: z.number().int().min(1).default(60_000),
            })
            .prefault({}),
          /**
           * How requests that wait for a replica slot are ordered, with a local model's names:
           * priority levels (1 highest; `x-priority`, a tenant's class), tenants sharing a level
           * fairly, and a deadline (`x-request-timeout-ms` may shorten it) past which a waiting
           * request gets 504.
           */
          scheduling: z
            .strictObject({
              priority_levels: z.number().int().min(1).max(16).default(3),
              default_priority_level: z.number().int().min(1).default(2),
              /** The longest a request may wait for a slot, and more than wait_ms only if asked for less. */
              default_timeout_ms: z.number().int().min(1).default(60_000),
            })
            .refine((scheduling) => scheduling.default_priority_level <= scheduling.priority_levels, {
              path: ['default_priority_level'],
              message: 'exceeds priority_levels',
            })
            .prefault({}),
          /** A Gradient2 limit per replica on requests in flight, learnt from its latency. */
          adaptive_concurrency: z
            .strictObject({
              enabled: z.boolean().default(true),
              /** Where the limit starts; default 32, moved into [min_limit, max_limit]. */
              initial_limit: z.number().int().min(1).optional(),
              min_limit: z.number().int().min(1).default(4),
              max_limit: z.number().int().min(1).default(256),
              /** With every live replica at its limit, a request waits up to this long for a slot before 429 (0: refuse at once). */
              wait_ms: z.number().int().min(0).default(1_000),
              /** Requests that may wait for a slot at once; the next is refused at once. */
              max_waiting: z.number().int().min(1).default(1_024),
            })
            .superRefine((limits, ctx) => {
              if (limits.max_limit < limits.min_limit)
                ctx.addIssue({
                  code: 'custom',
                  path: ['max_limit'],
                  message: `must be ≥ min_limit (${limits.min_limit})`,
                });
              const initial = limits.initial_limit;
              if (initial !== undefined && (initial < limits.min_limit || initial > limits.max_limit)) {
                ctx.addIssue({
                  code: 'custom',
                  path: ['initial_limit'],
                  message: `must lie in [min_limit, max_limit] = [${limits.min_limit}, ${limits.max_limit}]`,
                });
              }
            })
            .prefault({}),
          models: z
            .array(
              z.strictObject({
                /** The name clients use with sluice. */
                name: z.string().min(1),
                /** The name the upstream knows it by (default: the same). */
                upstream: z.string().min(1).optional(),
                /**
                 * The version sluice reports for it (`x-sluice-model-version`), and the one a
                 * request may pin; a KServe v2 upstream's own versions are forwarded as asked.
                 */
                version: z
                  .string()
                  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." or "-"')
                  .default('1'),
                /**
                 * Models (sluice names, remote ones) tried in order when this one fails or
                 * sheds before any byte reached the client.
                 */
                fallbacks: z.array(z.string().min(1)).default([]),
                /** What its tokens cost (docs/cost.md#cost-ledger); absent: its usage is recorded at no cost ("unpriced"). */
                price: PriceSchema.optional(),
              }),
            )
            .min(1),
        }),
      )
      .default([]),
    /** Data quality of local models: drift of inputs and confidence against each version's reference (docs/quality.md). */
    quality: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Requests refused for their data, kept redacted per model to diagnose the release that sent them. */
        quarantine: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** Entries kept per model (every version together); the oldest go first. */
            max_per_model: z.number().int().min(1).max(100_000).default(1000),
            /** Entries older than this (at most a year; fractions of an hour allowed) are never listed, and are deleted. */
            ttl_hours: z.number().positive().max(8760).default(72),
          })
          .prefault({}),
        /** A window closes after this many items… */
        window_items: z.number().int().min(10).default(1000),
        /** …or this many seconds, whichever comes first. */
        window_seconds: z.number().int().min(1).default(300),
        /**
         * Items a second of a model version above which its items are sampled into its windows
         * (every n-th), so monitoring costs the same at any traffic; 0: every item.
         */
        sample_per_second: z.number().int().min(0).default(500),
        /** Tokens a text field's vocabulary keeps in a reference captured from live traffic, and a remote model's of its prompts (its most frequent). */
        vocabulary_size: z.number().int().min(1).max(1_000_000).default(DEFAULT_VOCABULARY_SIZE),
        /** Per model: the input segments its errors and latencies are broken down by (docs/quality.md#segments). */
        segments: SegmentsSchema,
      })
      .prefault({}),
    /** Reused answers: the response and per-item caches and request coalescing (docs/cost.md). */
    cache: CacheSchema,
    /** Names clients call that choose models: cascades and rules (docs/cost.md#cascades-and-rules). */
    routes: RoutesSchema,
    /** Every request's cost, summed per tenant, key, model, version and day, and written in batches (docs/cost.md#cost-ledger). */
    ledger: LedgerSchema,
    /** How rate limits and budgets estimate requests and where their counters live (docs/cost.md#budgets-and-rate-limits). */
    limits: LimitSettingsSchema,
    logging: z
      .strictObject({
        level: z.enum(LOG_LEVELS).default('info'),
        /** Personal data (names, dates, phones, e-mail, addresses, record numbers, SSNs, cards) replaced in every log line. */
        redact: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const { host, allow_unauthenticated } = config.server;
    if (!config.auth.enabled && !allow_unauthenticated && host !== '' && !isLoopback(host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'host'],
        message:
          `"${host}" is reachable from other machines and auth is off: turn auth.enabled on (with keys), ` +
          'or bind 127.0.0.1, or set server.allow_unauthenticated: true to serve anyone who can connect',
      });
    }
    // Fallbacks forward the same OpenAI request body, so they link OpenAI-dialect models only.
    const dialectOf = new Map(
      config.backends.flatMap((backend) => backend.models.map((model) => [model.name, backend.dialect] as const)),
    );
    config.backends.forEach((backend, b) =>
      backend.models.forEach((model, m) =>
        model.fallbacks.forEach((fallback, f) => {
          const path = ['backends', b, 'models', m, 'fallbacks', f];
          const fallbackDialect = dialectOf.get(fallback);
          if (fallback === model.name)
            ctx.addIssue({ code: 'custom', path, message: `model "${model.name}" cannot fall back to itself` });
          else if (fallbackDialect === undefined)
            ctx.addIssue({ code: 'custom', path, message: `"${fallback}" is not a model of any backend` });
          else if (backend.dialect !== 'openai' || fallbackDialect !== 'openai')
            ctx.addIssue({ code: 'custom', path, message: 'fallbacks link models of OpenAI-dialect backends only' });
        }),
      ),
    );
    refinePrices(config.backends, ctx);
  });

/** Only this machine can connect: 127.0.0.0/8, ::1 or "localhost". */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export type Config = z.infer<typeof ConfigSchema>;
export type TenantConfig = Config['tenants'][number];
