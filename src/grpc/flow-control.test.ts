import { Server, ServerCredentials } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { once } from 'node:events';
import { test } from 'node:test';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES, widenServerWindows } from './flow-control.ts';

function bound(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
      error === null ? resolve(port) : reject(error),
    ),
  );
}

/** What `read` gives once `done` holds of it, or after half a second (the server's SETTINGS and WINDOW_UPDATE take a turn). */
async function settled<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  for (let tries = 0; tries < 50 && !done(read()); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
  return read();
}

test("a client of grpc-js's server may send a stream 1 MiB and a connection 8 MiB before waiting", async () => {
  const server = new Server();
  const port = await bound(server);
  assert.equal(widenServerWindows(server), 1, "grpc-js's HTTP/2 server was found and hooked");
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    await once(session, 'remoteSettings');
    const stream = await settled(
      () => session.remoteSettings.initialWindowSize,
      (size) => size === STREAM_WINDOW_BYTES,
    );
    const connection = await settled(
      () => session.state.remoteWindowSize,
      (size) => size === CONNECTION_WINDOW_BYTES,
    );
    assert.deepEqual({ stream, connection }, { stream: STREAM_WINDOW_BYTES, connection: CONNECTION_WINDOW_BYTES });
  } finally {
    session.destroy();
    server.forceShutdown();
  }
});

test("without the hook grpc-js's server keeps Node's 64 KB windows (what the hook is for)", async () => {
  const server = new Server();
  const port = await bound(server);
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    await once(session, 'remoteSettings');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(session.remoteSettings.initialWindowSize, 65_535);
    assert.equal(session.state.remoteWindowSize, 65_535);
  } finally {
    session.destroy();
    server.forceShutdown();
  }
});
