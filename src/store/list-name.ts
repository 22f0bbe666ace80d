/** The stored form of a list name: trimmed and lower-case, so "Shopping " and "shopping" are one list. */
export function normaliseListName(list: string): string {
  return list.trim().toLowerCase();
}
