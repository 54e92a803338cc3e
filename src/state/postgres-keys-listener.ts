/**
 * Hears key changes other replicas (and the CLI) make in a shared PostgreSQL, so a
 * revocation applies on every replica within a round trip instead of a poll interval.
 * Every key write ends with `pg_notify(KEYS_CHANNEL, <schema>)` inside its transaction, so
 * the notice goes out only once the change is committed; a listener acts on its own
 * schema's notices only. Notices sent while the connection is down are lost: the listener
 * reconnects and then reports a change anyway, and KeySync's polling stays the safety net.
 */
import pg from 'pg';

/** One channel for every schema; the payload names the schema that changed. */
export const KEYS_CHANNEL = 'sluice_keys';

/** The listening connection's application_name, as pg_stat_activity shows it. */
export const KEYS_LISTENER_NAME = 'sluice keys listener';

/** How long to wait before reconnecting a dropped listening connection. */
const RECONNECT_MS = 1_000;

export interface KeysListenerOptions {
  readonly connection: pg.ClientConfig;
  /** The schema the store's tables live in (`current_schema()` of its connections). */
  readonly schema: string;
  readonly onChange: () => void;
}

/** Listens until the function it resolves to is called; rejects when the first connection fails. */
export async function listenForKeyChanges(options: KeysListenerOptions): Promise<() => Promise<void>> {
  const listener = new KeysListener(options);
  await listener.connect();
  return () => listener.stop();
}

class KeysListener {
  private client: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: KeysListenerOptions) {}

  async connect(): Promise<void> {
    const client = new pg.Client({ ...this.options.connection, application_name: KEYS_LISTENER_NAME });
    client.on('notification', (notice) => {
      if (notice.channel === KEYS_CHANNEL && notice.payload === this.options.schema) this.options.onChange();
    });
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    await client.connect();
    await client.query(`LISTEN ${KEYS_CHANNEL}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnect !== undefined) clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** The connection broke: try again shortly, and report a change once back (one may have been missed). */
  private dropped(client: pg.Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      this.connect().then(
        () => this.stopped || this.options.onChange(),
        () => this.stopped || this.scheduleReconnect(),
      );
    }, RECONNECT_MS);
    this.reconnect.unref();
  }
}
