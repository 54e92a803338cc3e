import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TICKET, normaliseScheduling, resolveTicket } from './ticket.ts';

describe('normaliseScheduling', () => {
  it('defaults to one unbounded level, the lowest level being the default', () => {
    assert.deepEqual(normaliseScheduling(), {
      priorityLevels: 1,
      defaultPriorityLevel: 1,
      maxQueueSize: 0,
      quantumRows: 1,
    });
    assert.equal(normaliseScheduling({ priorityLevels: 3 }).defaultPriorityLevel, 3);
  });

  it('rejects settings it cannot honour', () => {
    assert.throws(() => normaliseScheduling({ priorityLevels: 0 }), /priorityLevels/);
    assert.throws(() => normaliseScheduling({ priorityLevels: 2, defaultPriorityLevel: 3 }), /defaultPriorityLevel/);
    assert.throws(() => normaliseScheduling({ maxQueueSize: -1 }), /maxQueueSize/);
    assert.throws(() => normaliseScheduling({ quantumRows: 0.5 }), /quantumRows/);
  });
});

describe('resolveTicket', () => {
  const scheduling = normaliseScheduling({ priorityLevels: 3, defaultPriorityLevel: 2 });

  it('maps priority 0, and levels the model does not have, to the default level, as Triton does', () => {
    assert.equal(resolveTicket(DEFAULT_TICKET, scheduling).level, 2);
    assert.equal(resolveTicket({ ...DEFAULT_TICKET, priority: 1 }, scheduling).level, 1);
    assert.equal(resolveTicket({ ...DEFAULT_TICKET, priority: 3 }, scheduling).level, 3);
    assert.equal(resolveTicket({ ...DEFAULT_TICKET, priority: 4 }, scheduling).level, 2);
  });

  it('answers a bad ticket with a 400 naming the field', () => {
    assert.throws(() => resolveTicket({ ...DEFAULT_TICKET, priority: -1 }, scheduling), {
      code: 'ERR_REQUEST_PRIORITY',
      status: 400,
      field: 'priority',
    });
    assert.throws(() => resolveTicket({ ...DEFAULT_TICKET, priority: 1.5 }, scheduling), { field: 'priority' });
    assert.throws(() => resolveTicket({ ...DEFAULT_TICKET, weight: 0 }, scheduling), {
      code: 'ERR_REQUEST_INVALID',
      field: 'weight',
    });
    assert.throws(() => resolveTicket({ ...DEFAULT_TICKET, weight: Number.POSITIVE_INFINITY }, scheduling), {
      field: 'weight',
    });
    assert.throws(() => resolveTicket({ ...DEFAULT_TICKET, deadlineMs: Number.NaN }, scheduling), {
      field: 'deadline',
    });
  });
});
