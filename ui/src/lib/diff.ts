import type { ListDiff } from "./bindings";

/**
 * Applies a batch of diffs from the core to `list`, in place (Svelte's `$state` arrays
 * re-render only what changed). Returns `false` if a diff did not fit the list, meaning the
 * two sides disagree: the caller should resubscribe to get a fresh `reset`.
 */
export function applyDiffs<T>(list: T[], diffs: readonly ListDiff<T>[]): boolean {
  for (const diff of diffs) {
    if (!applyDiff(list, diff)) return false;
  }
  return true;
}

function applyDiff<T>(list: T[], diff: ListDiff<T>): boolean {
  switch (diff.op) {
    case "append":
      pushAll(list, diff.values);
      return true;
    case "clear":
      list.length = 0;
      return true;
    case "push_front":
      list.unshift(diff.value);
      return true;
    case "push_back":
      list.push(diff.value);
      return true;
    case "pop_front":
      if (list.length === 0) return false;
      list.shift();
      return true;
    case "pop_back":
      if (list.length === 0) return false;
      list.pop();
      return true;
    case "insert":
      if (diff.index > list.length) return false;
      list.splice(diff.index, 0, diff.value);
      return true;
    case "set":
      if (diff.index >= list.length) return false;
      list[diff.index] = diff.value;
      return true;
    case "remove":
      if (diff.index >= list.length) return false;
      list.splice(diff.index, 1);
      return true;
    case "truncate":
      if (diff.length < list.length) list.length = diff.length;
      return true;
    case "reset":
      list.length = 0;
      pushAll(list, diff.values);
      return true;
  }
}

/** Spreading a list into one call has an argument limit (about 65 000 in WebKit): a room of
 * many thousands of people would overflow it. */
function pushAll<T>(list: T[], values: readonly T[]): void {
  for (const value of values) list.push(value);
}
