// Chinese labels for the codes the core stores (技术模式, 厕所位置, …), loaded once at start.

const maps = new Map();

export function setVocabularies(list) {
  for (const v of list) {
    maps.set(v.name, new Map(v.entries.map((e) => [e.code, e.label])));
  }
}

/** The label of `code` in vocabulary `name` (e.g. 'TechMode'), or '—' when not recorded. */
export function label(name, code) {
  if (code === null || code === undefined) return '—';
  return maps.get(name)?.get(code) ?? code;
}

export const yesNo = (v) => (v === null || v === undefined ? '—' : v ? '是' : '否');

/** The [code, label] pairs of vocabulary `name`, in the core's order (for selects). */
export function entries(name) {
  return [...(maps.get(name) ?? new Map()).entries()];
}

/** The town's name until 本镇设置 gives one (the core's placeholder). */
export const UNSET_TOWN = '（未设置镇名）';
