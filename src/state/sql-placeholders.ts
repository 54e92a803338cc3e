/** How a statement spells its parameters, the one thing the two databases' SQL differs in for most statements. */

/** The placeholder for the `index`th parameter, from 1. */
export type Placeholder = (index: number) => string;

/** SQLite: `?`, the parameters taken in order. */
export const unnumbered: Placeholder = () => '?';

/** PostgreSQL: `$1`, `$2`, … */
export const numbered: Placeholder = (index) => `$${index}`;
