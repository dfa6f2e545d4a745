// The staff list (工作人员) as the screens need it, and the 当前操作人 (who is at the keyboard),
// who the records name as having keyed in or moved a case. An account linked to a staff member
// fixes the operator to that person; an unlinked account picks in the header (remembered on
// this computer). The audit log always names the logged-in account.

import { $, el } from './dom.js';
import * as ipc from './ipc.js';

let dbPath = '';
let staff = [];

/** Keys for this computer's local storage, per database file: staff and toilet ids of one
 *  database mean nothing in another, so drafts and the operator never leak between them. */
export const scopedKey = (name) => `huce:${dbPath}:${name}`;
export const setDatabase = (path) => { dbPath = path; };
const KEY = () => scopedKey('operator');
const listeners = [];
/** The staff member the logged-in account is linked to, if any. */
let linked = null;

export function linkOperator(staffId) {
  linked = staffId ?? null;
  if (linked) localStorage.setItem(KEY(), String(linked));
  if (staff.length) renderOperator(operatorOpened());
}

export const activeStaff = () => staff;
export const staffName = (id) => staff.find((s) => s.id === id)?.name ?? '';
export const onStaffChange = (fn) => listeners.push(fn);

export function operatorId() {
  const id = Number(localStorage.getItem(KEY()));
  return staff.some((s) => s.id === id) ? id : null;
}

export async function reloadStaff() {
  staff = await ipc.staffList(false);
  renderOperator(operatorOpened());
  for (const fn of listeners) fn(staff);
}

/** Whether the header's list has been opened (and holds everyone) since the last pick. */
const operatorOpened = () => $('operator').dataset.everyone === 'yes';

/** A staff member as the pickers show them: name (unit). */
const staffLabel = (s) => s.name + (s.unit ? `（${s.unit}）` : '');

/**
 * The header's choice of operator. Until it is opened (clicked, or reached with the keyboard) it
 * holds only the chosen person: a district's staff runs to a thousand names, which the window
 * need not keep while nobody looks at them (#21).
 */
function renderOperator(everyone = false) {
  const select = $('operator');
  const current = operatorId();
  const shown = everyone ? staff : staff.filter((s) => s.id === current);
  select.replaceChildren(
    el('option', { value: '' }, staff.length ? '（请选择）' : '（先添加工作人员）'),
    ...shown.map((s) => el('option', { value: s.id, selected: s.id === current }, staffLabel(s))),
  );
  select.dataset.everyone = everyone ? 'yes' : 'no';
  select.classList.toggle('unset', !current);
  select.disabled = !!linked && current === linked;
  select.title = select.disabled ? '登录账户关联了这位工作人员，记录都署他的名字' : '可直接输入姓名的拼音首字母查找，如 zjg';
}

/** The letters typed on the header's list, and when the last came. */
const typed = { text: '', at: 0 };

/**
 * Typing letters on the header's list (not opened) picks the first person whose name's pinyin
 * initials begin with them (zjg → 张建国), as a Windows list jumps by its first letters: a
 * district's thousand names are not scrolled through. A pause of a second starts afresh.
 */
function pickByInitials(e) {
  if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing || !/^[a-z]$/i.test(e.key)) return;
  e.preventDefault();
  const now = Date.now();
  typed.text = (now - typed.at < 1000 ? typed.text : '') + e.key.toLowerCase();
  typed.at = now;
  const hit = staff.find((s) => (s.initials ?? []).some((i) => i.startsWith(typed.text)));
  const select = $('operator');
  if (hit && select.value !== String(hit.id)) {
    select.value = String(hit.id);
    select.dispatchEvent(new Event('change'));
  }
}

export function initOperator() {
  const open = () => { if (!operatorOpened()) renderOperator(true); };
  for (const kind of ['mousedown', 'focus', 'keydown']) $('operator').addEventListener(kind, open);
  $('operator').addEventListener('keydown', pickByInitials);
  $('operator').addEventListener('change', (e) => {
    if (e.target.value) localStorage.setItem(KEY(), e.target.value);
    else localStorage.removeItem(KEY());
    renderOperator();
  });
}

/** A <select> of active staff; `blank` is the text of the empty choice. */
export function staffSelect(attrs, selected, blank = '（请选择）', order = null) {
  const people = order ? [...staff].sort(order) : staff;
  return el('select', attrs,
    el('option', { value: '' }, blank),
    ...people.map((s) => el('option', { value: s.id, selected: s.id === selected }, staffLabel(s))));
}
