// Small helpers on plain objects, shared by every layer.

/** Keys whose value is undefined removed: options not given are absent, so a spread over defaults keeps the defaults. */
export function definedOnly<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
