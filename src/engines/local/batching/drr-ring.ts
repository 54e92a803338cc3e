/**
 * Deficit round robin (Shreedhar & Varghese) over the tenants of one priority level,
 * with rows as the unit of work: each tenant whose turn comes is credited a quantum
 * of rows in proportion to its weight, and may take rows while its credit lasts.
 *
 *   members: [ B  C  A ]      turn → A (credit 2.0): A takes a row, credit 1.0
 *                     ^cursor                      A takes a row, credit 0.0 → C's turn
 *
 * Choices:
 * - Quanta are relative: the lightest active member gets `quantumRows`, the others
 *   `quantumRows × weight / lightest`, so every turn is worth at least one row and
 *   2:1 weights give 2:1 rows whatever their scale.
 * - A newcomer joins at the end of the current round, with no credit.
 * - Credit carried over is capped at one quantum and a row, so a member skipped for a
 *   while (a batch of another shape was forming) cannot save up a burst.
 * - A member that leaves (no rows left) forfeits its credit, as in classic DRR.
 */
export interface DrrMember {
  readonly weight: number;
  deficit: number;
}

export class DrrRing<M extends DrrMember> {
  private readonly members: M[] = [];
  private cursor = 0;

  constructor(private readonly quantumRows: number) {}

  get size(): number {
    return this.members.length;
  }

  join(member: M): void {
    member.deficit = 0;
    if (this.members.length === 0) {
      this.members.push(member);
      this.cursor = 0;
      this.credit(member);
      return;
    }
    this.members.splice(this.cursor, 0, member);
    this.cursor += 1;
  }

  leave(member: M): void {
    const index = this.members.indexOf(member);
    if (index < 0) return;
    this.members.splice(index, 1);
    member.deficit = 0;
    if (index < this.cursor) this.cursor -= 1;
    else if (index === this.cursor) this.startTurn(this.cursor);
  }

  /** The member that takes the next row if it may: the current one while its credit lasts, else the next. */
  peek(): M | undefined {
    const current = this.members[this.cursor];
    if (current === undefined || current.deficit >= 1) return current;
    return this.members[(this.cursor + 1) % this.members.length];
  }

  /**
   * Moves the turn on until it reaches a member with a row's credit that `eligible`
   * accepts, and returns it; undefined when no member is eligible. Members passed over
   * keep their credit.
   */
  next(eligible: (member: M) => boolean): M | undefined {
    // Each turn is worth ≥ 1 row, so one lap (plus the current member) reaches any eligible member.
    for (let step = 0; step <= this.members.length; step += 1) {
      const current = this.members[this.cursor];
      if (current === undefined) return undefined;
      if (current.deficit >= 1 && eligible(current)) return current;
      this.startTurn((this.cursor + 1) % this.members.length);
    }
    return undefined;
  }

  /** Charges one row to a member `next` returned. */
  charge(member: M): void {
    member.deficit -= 1;
  }

  private startTurn(index: number): void {
    this.cursor = this.members.length === 0 ? 0 : index % this.members.length;
    const member = this.members[this.cursor];
    if (member !== undefined) this.credit(member);
  }

  private credit(member: M): void {
    let lightest = Number.POSITIVE_INFINITY;
    for (const other of this.members) lightest = Math.min(lightest, other.weight);
    const quantum = (this.quantumRows * member.weight) / lightest;
    member.deficit = Math.min(member.deficit + quantum, quantum + 1);
  }
}
