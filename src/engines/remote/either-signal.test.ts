import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { eitherSignal } from './either-signal.ts';

describe('eitherSignal', () => {
  it('aborts with the reason of whichever source aborts first', () => {
    const client = new AbortController();
    const cancel = new AbortController();
    const { signal } = eitherSignal(client.signal, cancel.signal);
    assert.equal(signal.aborted, false);
    cancel.abort('a hedge won');
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, 'a hedge won');
    client.abort('client gone');
    assert.equal(signal.reason, 'a hedge won', 'the first abort counts');
  });

  it('is aborted at once when a source already is', () => {
    const client = new AbortController();
    client.abort('gone before the attempt');
    const { signal } = eitherSignal(client.signal, new AbortController().signal);
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, 'gone before the attempt');
  });

  it('leaves no listener on the sources once released or aborted', () => {
    const client = new AbortController();
    const cancel = new AbortController();
    const released = eitherSignal(client.signal, cancel.signal);
    assert.equal(getEventListeners(client.signal, 'abort').length, 1);
    released.release();
    assert.equal(getEventListeners(client.signal, 'abort').length, 0);
    assert.equal(getEventListeners(cancel.signal, 'abort').length, 0);
    client.abort();
    assert.equal(released.signal.aborted, false, 'a released signal no longer follows its sources');
    const other = new AbortController();
    eitherSignal(other.signal, cancel.signal);
    other.abort();
    assert.equal(getEventListeners(cancel.signal, 'abort').length, 0, 'the other source is let go when one aborts');
  });
});
