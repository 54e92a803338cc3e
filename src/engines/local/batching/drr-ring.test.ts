import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DrrRing, type DrrMember } from './drr-ring.ts';

interface Member extends DrrMember {
  readonly name: string;
}

const member = (name: string, weight = 1): Member => ({ name, weight, deficit: 0 });

/** Who takes each of the next `rows` rows, every member always having rows. */
function serve(ring: DrrRing<Member>, rows: number, eligible: (m: Member) => boolean = () => true): string[] {
  const order: string[] = [];
  for (let i = 0; i < rows; i += 1) {
    const next = ring.next(eligible);
    if (next === undefined) break;
    ring.charge(next);
    order.push(next.name);
  }
  return order;
}

describe('DrrRing', () => {
  it('alternates row by row between equal members', () => {
    const ring = new DrrRing<Member>(1);
    ring.join(member('a'));
    ring.join(member('b'));
    assert.equal(serve(ring, 6).join(''), 'abab' + 'ab');
  });

  it('gives a 2:1 weight two rows per turn to the other’s one, whatever the weights’ scale', () => {
    for (const [heavy, light] of [
      [2, 1],
      [0.5, 0.25],
      [200, 100],
    ] as const) {
      const ring = new DrrRing<Member>(1);
      ring.join(member('h', heavy));
      ring.join(member('l', light));
      const order = serve(ring, 30);
      assert.equal(order.filter((name) => name === 'h').length, 20, `weights ${heavy}:${light}`);
      assert.equal(order.slice(0, 2).join(''), 'hl', 'the first turn was credited while h was alone');
      assert.equal(order.slice(2, 29).join(''), 'hhl'.repeat(9), 'then two heavy rows to one light');
    }
  });

  it('scales the turn with quantumRows', () => {
    const ring = new DrrRing<Member>(3);
    ring.join(member('a'));
    ring.join(member('b'));
    assert.equal(serve(ring, 12).join(''), 'aaabbbaaabbb');
  });

  it('seats a newcomer at the end of the current round, with no credit', () => {
    const ring = new DrrRing<Member>(2);
    const a = member('a');
    ring.join(a);
    ring.join(member('b'));
    assert.deepEqual(serve(ring, 1), ['a']);
    ring.join(member('c'));
    assert.equal(serve(ring, 7).join(''), 'abbccaa');
  });

  it('passes over members that are not eligible without spending their credit', () => {
    const ring = new DrrRing<Member>(1);
    const a = member('a');
    ring.join(a);
    ring.join(member('b'));
    assert.equal(serve(ring, 3, (m) => m.name === 'b').join(''), 'bbb');
    assert.equal(a.deficit, 2, 'a kept its credit, capped at one quantum and a row');
    assert.equal(serve(ring, 3).join(''), 'aab', 'the saved credit buys no more than that');
    assert.equal(
      ring.next(() => false),
      undefined,
    );
  });

  it('hands the turn on when the member holding it leaves, and forgets its credit', () => {
    const ring = new DrrRing<Member>(2);
    const a = member('a');
    ring.join(a);
    ring.join(member('b'));
    ring.join(member('c'));
    assert.deepEqual(serve(ring, 1), ['a']);
    ring.leave(a);
    assert.equal(a.deficit, 0);
    assert.equal(ring.size, 2);
    assert.equal(ring.peek()?.name, 'b');
    assert.equal(serve(ring, 4).join(''), 'bbcc');
    ring.leave(member('stranger'));
    assert.equal(ring.size, 2);
  });

  it('peeks at the member that would take the next row', () => {
    const ring = new DrrRing<Member>(1);
    assert.equal(ring.peek(), undefined);
    ring.join(member('a'));
    ring.join(member('b'));
    assert.equal(ring.peek()?.name, 'a');
    serve(ring, 1);
    assert.equal(ring.peek()?.name, 'b', 'a spent its turn');
  });
});
