import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TENANT } from '../tenancy/tenant-directory.ts';
import { makeTicket, positiveInteger } from './admit.ts';
import { NO_REQUESTED_LIMITS } from './request.ts';

const scheduling = { priority_levels: 3, default_priority_level: 2, max_queue_size: 100, default_timeout_ms: 1000 };
const gold = { name: 'gold', priority: 1, weight: 4 };
const bulk = { name: 'bulk', priority: 3, weight: 1 };

test('defaults: the model default level and timeout', () => {
  assert.deepEqual(makeTicket(scheduling, DEFAULT_TENANT, NO_REQUESTED_LIMITS, 500, true), {
    priority: 2,
    tenant: 'default',
    weight: 1,
    deadlineMs: 1500,
  });
});

test('a tenant class is its default level, and its weight travels', () => {
  assert.deepEqual(makeTicket(scheduling, gold, NO_REQUESTED_LIMITS, 0, true), {
    priority: 1,
    tenant: 'gold',
    weight: 4,
    deadlineMs: 1000,
  });
  assert.equal(makeTicket(scheduling, bulk, NO_REQUESTED_LIMITS, 0, true).priority, 3);
  assert.equal(
    makeTicket({ ...scheduling, priority_levels: 2, default_priority_level: 1 }, bulk, NO_REQUESTED_LIMITS, 0, true)
      .priority,
    2,
  );
});

test('a request may lower its priority, never raise it above its class', () => {
  assert.equal(makeTicket(scheduling, gold, { priority: 3, timeoutMs: undefined }, 0, true).priority, 3);
  assert.throws(
    () => makeTicket(scheduling, bulk, { priority: 1, timeoutMs: undefined }, 0, true),
    /tenant "bulk" may use priority levels 3 to 3, not 1/,
  );
  assert.throws(() => makeTicket(scheduling, DEFAULT_TENANT, { priority: 4, timeoutMs: undefined }, 0, true), {
    code: 'ERR_REQUEST_PRIORITY',
  });
});

test('a request may shorten its timeout, never lengthen it', () => {
  assert.equal(
    makeTicket(scheduling, DEFAULT_TENANT, { priority: undefined, timeoutMs: 200 }, 100, true).deadlineMs,
    300,
  );
  assert.equal(
    makeTicket(scheduling, DEFAULT_TENANT, { priority: undefined, timeoutMs: 60_000 }, 100, true).deadlineMs,
    1100,
  );
});

test('load control off: one level, no deadline, equal weights', () => {
  assert.deepEqual(makeTicket(scheduling, gold, { priority: 3, timeoutMs: 5 }, 0, false), {
    priority: 1,
    tenant: 'gold',
    weight: 1,
    deadlineMs: undefined,
  });
});

test('headers and parameters must be positive integers', () => {
  assert.equal(positiveInteger(undefined, 'x', 'ERR_REQUEST_TIMEOUT'), undefined);
  assert.equal(positiveInteger('250', 'x', 'ERR_REQUEST_TIMEOUT'), 250);
  assert.equal(positiveInteger(3, 'x', 'ERR_REQUEST_PRIORITY'), 3);
  for (const bad of ['0', '-5', '1.5', 'soon', '', 0, 2.5, true]) {
    assert.throws(
      () => positiveInteger(bad, 'x-request-timeout-ms', 'ERR_REQUEST_TIMEOUT'),
      /x-request-timeout-ms must be a positive integer/,
    );
  }
});
