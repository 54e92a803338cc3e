/** Options merged over defaults; an option given as `undefined` keeps the default instead of erasing it. */
export function withDefaults<T extends object>(defaults: Required<T>, options: T): Required<T> {
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(options) as [keyof T, T[keyof T]][]) {
    if (value !== undefined) merged[key] = value as Required<T>[keyof T];
  }
  return merged;
}
