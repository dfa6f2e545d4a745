// 录入核查: the inspection form for one toilet, in the paper form's order. Keyboard-only: the
// group is one type-ahead stop, every choice has a key (shown beside it), problems are ticked by
// number or pinyin initials, Enter saves and moves on to the household's next toilet, then to the
// next household of the list — or, opened from a sample, to the next sampled toilet. What is kept
// from the last form (kind, date, group) says so beside the field. A refused save points at the
// field at fault. Every change is kept as a draft on this computer until it is saved, so closing
// the window mid-form loses nothing.

import { $, el, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { entries, label, yesNo } from '../labels.js';
import { activeStaff, operatorId, scopedKey, staffSelect } from '../people.js';
import { DATE_FIELD, today } from '../util.js';
import { GroupPicker } from './picker.js';

const DRAFT = (toiletId) => scopedKey(`draft-toilet-${toiletId}`);
const LAST = () => scopedKey('last-inspection');

const PARTS = ['house', 'pan', 'tank', 'pipe', 'emptying', 'usage'];
const YES_NO_FIELDS = new Set(['subsidized', 'is_sanitary']);
const VOCAB_FIELDS = { tech_mode: 'TechMode', location: 'Location', use_status: 'UseStatus' };

const may = (action) => (document.body.dataset.allowed ?? '').split(' ').includes(action);
// A 督导 records the re-checks, not the village's own check.
const defaultKind = () => (may('record_inspection') ? 'village_self' : 'town_recheck');

/** Keys of the radio choices, as printed beside them. */
const USE_KEYS = { 1: ['1', 's', 'y'], 0: ['0', 'f', 'n'] };
const RESULT_KEYS = { none: ['w'], problems: ['y'] };

/**
 * A new form's state. `origin` is where it was opened ('list' or 'sample:3'), `kind` the kind that
 * place asks for (a sample's), `last` what the last saved form kept. The kind is carried over only
 * from a form opened from the same place; what is carried is listed in `carried`.
 */
function emptyState(last, origin, kind) {
  // A sample's form is always the sample's kind; the list's carries the last list form's kind.
  const sameOrigin = origin === 'list' && last && (last.origin ?? 'list') === origin;
  const carried = {
    kind: !!(sameOrigin && last.kind),
    date: !!last?.date,
    members: (last?.members ?? []).length > 0,
  };
  return {
    kind: origin !== 'list' ? kind : carried.kind ? last.kind : defaultKind(),
    date: last?.date ?? today(),
    members: last?.members ?? [],
    carried,
    recorded_by: operatorId(),
    status: 'normal',
    status_note: '',
    in_use: null,
    result: null, // 'none' | 'problems'
    problems: {}, // item_id → {stops_use, cause, remarks}
    photos: [], // {hash, original_name}
    corrections: [], // {field, value}
    remarks: '',
    // The category and plan are the town's, later (问题台账 待确定类别); the town's own staff may
    // decide now.
    decide_now: false,
    category: '', // '' = not decided on the form
    categoryTouched: false,
    override_reason: '',
    measures: '',
    responsible: '',
    planned_month: '',
    funding: '',
    close_on_site: false,
    verifier_id: null,
    head_confirmed: false,
    unconfirmed_reason: '',
  };
}

export class InspectionForm {
  /** onSaved(saved, household) after each save; onNext() → true when it moved to another household;
   *  onQueueMove(household) when a sample's form moved to another household. */
  constructor({ onSaved, onNextHousehold, onQueueMove }) {
    this.dialog = $('inspection-dialog');
    this.onSaved = onSaved;
    this.onNextHousehold = onNextHousehold;
    this.onQueueMove = onQueueMove;
    this.items = [];
    this.fields = [];
    this.dialog.addEventListener('keydown', (e) => this.onKey(e));
    this.dialog.addEventListener('cancel', (e) => { e.preventDefault(); this.close(); });
  }

  /**
   * Opens the form for toilet `index` of household `h` (a HouseholdDetail), from the household
   * list. A form opened from a sample goes through `queue` instead (see openQueue).
   */
  async open(h, index = 0, queue = null) {
    this.queue = queue;
    if (!h.toilets.length) {
      toast('这户没有登记户厕，不能录入核查。如果实际有户厕，请先在台账中补登。');
      return;
    }
    if (activeStaff().length < 2) {
      toast('工作人员名单中不到 2 人，无法组成入户调查组。请先点右上角“工作人员”添加。');
      return;
    }
    [this.items, this.fields] = await Promise.all([ipc.problemItems(false), ipc.correctableFields()]);
    this.household = h;
    this.index = index;
    this.toilet = h.toilets[index];
    const draft = localStorage.getItem(DRAFT(this.toilet.id));
    let last = null;
    try { last = JSON.parse(localStorage.getItem(LAST()) ?? 'null'); } catch { last = null; }
    this.lastMembers = last?.members ?? [];
    this.state = emptyState(last, queue?.origin ?? 'list', queue?.kind);
    this.restored = false;
    if (draft) {
      try {
        Object.assign(this.state, JSON.parse(draft));
        this.restored = true;
      } catch { /* a broken draft is ignored */ }
    }
    if (!this.state.recorded_by) this.state.recorded_by = operatorId();
    this.dirty = this.restored;
    this.proposal = null;
    this.render();
    if (!this.dialog.open) this.dialog.showModal();
    this.refreshProposal();
    this.focusFirst();
  }

  /**
   * Keys in the sampled toilets of a sample in the sample's order: `queue` = {origin, kind, title,
   * items: [{household_id, toilet_id}]}, starting at `pos`.
   */
  async openQueue(queue, pos = 0) {
    const item = queue.items[pos];
    if (!item) return;
    const h = await ipc.householdDetail(item.household_id);
    const index = Math.max(0, h.toilets.findIndex((t) => t.id === item.toilet_id));
    await this.open(h, index, { ...queue, pos });
    this.onQueueMove?.(h, queue, pos);
  }

  /** The first thing the form still needs: the group, whether the toilet is in use, or Save. */
  focusFirst() {
    const s = this.state;
    const q = (sel) => this.dialog.querySelector(sel);
    const target = s.members.length < 2 ? q('#insp-group')
      : s.status === 'normal' && s.in_use === null ? q('#insp-in_use-1')
        : s.status === 'normal' && !s.result ? q('#insp-result-none')
          : q('#insp-save');
    (target ?? q('#insp-kind')).focus();
  }

  saveDraft() {
    localStorage.setItem(DRAFT(this.toilet.id), JSON.stringify(this.state));
    this.dirty = true;
  }

  close() {
    const kept = this.dirty && localStorage.getItem(DRAFT(this.toilet?.id));
    this.dialog.close();
    if (kept) toast('这张核查表还没有保存，已作为草稿留在本机；下次打开这个户厕的核查会自动恢复。', 'info');
  }

  discardDraft() {
    localStorage.removeItem(DRAFT(this.toilet.id));
    this.dirty = false;
    this.open(this.household, this.index);
  }

  onKey(e) {
    if (e.isComposing || e.ctrlKey || e.altKey || e.metaKey) return;
    const t = e.target;
    if (t.type === 'radio' && e.key.length === 1) {
      // A choice's key, e.g. 1/0 for 是/否, W for 无问题.
      const key = e.key.toLowerCase();
      const radio = [...this.dialog.querySelectorAll(`input[type=radio][name="${t.name}"]`)]
        .find((r) => (r.dataset.keys ?? '').split(' ').includes(key));
      if (radio) {
        e.preventDefault();
        radio.click();
        this.focusAfter(t.name);
      }
      return;
    }
    if (t.classList?.contains('cause') && /^[1-9]$/.test(e.key)) {
      // The cause of a ticked problem by its number; back to the problem finder.
      e.preventDefault();
      const cause = entries('Cause')[Number(e.key) - 1];
      if (cause) {
        t.value = cause[0];
        t.dispatchEvent(new Event('change'));
        this.dialog.querySelector('#insp-find')?.focus();
      }
      return;
    }
    if (e.key !== 'Enter' || e.shiftKey) return;
    if (t.tagName === 'TEXTAREA' || t.tagName === 'BUTTON') return;
    e.preventDefault();
    this.save();
  }

  /** Where the keyboard goes after a choice in radio group `name`. */
  focusAfter(name) {
    const q = (sel) => this.dialog.querySelector(sel);
    const s = this.state;
    let next;
    if (name === 'insp-status') next = s.status === 'normal' ? q('#insp-in_use-1') : q('#insp-save');
    else if (name === 'insp-in_use') next = q(s.result ? `#insp-result-${s.result}` : '#insp-result-none');
    else if (name === 'insp-result') next = s.result === 'problems' ? q('#insp-find') : q('#insp-save');
    next?.focus();
  }

  set(key, value, rerender = false) {
    this.state[key] = value;
    if (key in (this.state.carried ?? {}) && this.state.carried[key]) {
      this.state.carried[key] = false;
      this.dialog.querySelector(`#insp-carried-${key}`)?.remove();
    }
    this.saveDraft();
    if (rerender) this.render(true);
  }

  // ------------------------------------------------------------------------------------------
  // Rendering

  render(keepFocus = false) {
    const focusedId = keepFocus ? document.activeElement?.id : null;
    const scroll = this.dialog.scrollTop;
    const h = this.household;
    const t = this.toilet;
    const s = this.state;
    const form = el('div', { class: 'insp' },
      el('div', { class: 'insp-head' },
        el('h2', { id: 'insp-title' }, `录入核查：${h.head_name}`),
        this.queue ? el('span', { class: 'insp-queue', id: 'insp-queue' }, `${this.queue.title} · 第 ${this.queue.pos + 1} / ${this.queue.items.length} 个`) : null,
        el('span', { class: 'hh-place' }, `${h.village_name} · ${h.group_name}`),
        el('span', { class: 'insp-toilet' }, `第 ${t.seq} 个户厕（共 ${h.toilets.length} 个）· ${label('TechMode', t.tech_mode)}`)),
      el('p', { class: 'insp-baseline' },
        `台账底数：${label('TechMode', t.tech_mode)}，${label('Location', t.location)}，建设 ${t.build_year ?? '—'} 年，`
        + `财政补助 ${yesNo(t.subsidized)}${t.subsidy_year ? `（${t.subsidy_year} 年）` : ''}，${label('UseStatus', t.use_status)}`),
      this.restored ? el('p', { class: 'draft-note' }, '已恢复上次没有保存的内容。',
        el('button', { type: 'button', class: 'link', onclick: () => this.discardDraft() }, '放弃草稿，重新填写')) : null,
      this.section('一、基本情况',
        el('div', { class: 'insp-row' },
          el('label', {}, el('span', {}, '核查类别', this.carriedTag('kind')), this.select('insp-kind', entries('InspectionKind'), s.kind, (v) => this.set('kind', v))),
          el('label', {}, el('span', {}, '核查日期', this.carriedTag('date')), el('input', { ...DATE_FIELD, id: 'insp-date', value: s.date, oninput: (e) => this.set('date', e.target.value) })),
          el('label', {}, '录入人', staffSelect({ id: 'insp-recorder', onchange: (e) => this.set('recorded_by', Number(e.target.value) || null) }, s.recorded_by))),
        this.members(),
        el('div', { class: 'insp-row' },
          el('fieldset', { class: 'radios', id: 'insp-status' }, el('legend', {}, '农户、户厕情况'),
            entries('HouseholdStatus').map(([code, text], i) => this.radio('status', code, text, s.status === code, () => this.set('status', code, true), [String(i + 1)]))),
          s.status === 'demolished'
            ? el('p', { class: 'hint', id: 'insp-demolished-note' }, '厕所已拆除是这个户厕的状态：保存时把它的使用状态改为“已拆除”（记入修改记录）。') : null,
          s.status === 'other'
            ? el('label', {}, '具体情况', el('input', { id: 'insp-status-note', value: s.status_note, oninput: (e) => this.set('status_note', e.target.value) }))
            : null),
        el('fieldset', { class: 'radios', id: 'insp-use' }, el('legend', {}, '户厕是否正常使用'),
          this.radio('in_use', '1', '是', s.in_use === true, () => { this.set('in_use', true, true); }, USE_KEYS[1]),
          this.radio('in_use', '0', '否', s.in_use === false, () => { this.set('in_use', false, true); }, USE_KEYS[0]),
          this.contradiction())),
      this.section('二、核查结果',
        el('fieldset', { class: 'radios', id: 'insp-result' }, el('legend', {}, '是否发现问题'),
          this.radio('result', 'none', '无问题', s.result === 'none', () => { this.state.problems = {}; this.set('result', 'none', true); this.refreshProposal(); }, RESULT_KEYS.none),
          this.radio('result', 'problems', '有问题（在下面勾选）', s.result === 'problems', () => this.set('result', 'problems', true), RESULT_KEYS.problems)),
        s.result === 'problems' ? this.checklist() : null),
      this.section('三、照片',
        el('div', { class: 'photos', id: 'insp-photos' },
          s.photos.map((p) => this.thumb(p)),
          el('button', { type: 'button', class: 'tool', id: 'insp-add-photo', onclick: () => this.addPhotos() }, '添加照片…'))),
      this.section('四、台账更正（核对发现台账底数有误时填写）', this.corrections()),
      s.result === 'problems' ? this.section('五、整改类别', this.decision()) : null,
      el('label', { class: 'insp-remarks' }, '备注', el('textarea', { id: 'insp-remarks', rows: 2, oninput: (e) => this.set('remarks', e.target.value) }, s.remarks)),
      el('p', { class: 'form-error', id: 'insp-error', role: 'alert' }),
      el('div', { class: 'dialog-buttons' },
        el('span', { class: 'hint-inline' }, this.queue ? 'Enter 保存并转到样本中的下一个户厕；Esc 关闭（未保存的内容留作草稿）' : 'Enter 保存并转到下一个户厕；Esc 关闭（未保存的内容留作草稿）'),
        el('button', { type: 'button', id: 'insp-cancel', onclick: () => this.close() }, '关闭'),
        el('button', { type: 'button', class: 'primary', id: 'insp-save', onclick: () => this.save() }, '保存并转到下一个')),
    );
    this.dialog.replaceChildren(form);
    for (const p of s.photos) this.loadThumb(p.hash);
    if (keepFocus) {
      // Re-rendering after a click must not move the form under the user's hand.
      this.dialog.scrollTop = scroll;
      if (focusedId) this.dialog.querySelector(`#${CSS.escape(focusedId)}`)?.focus({ preventScroll: true });
    }
  }

  /** The household's own village's people first, then the town's, then everybody else. */
  membersInOrder() {
    const village = this.household.village_name;
    const rank = (p) => (p.unit.includes(village) || p.roles.includes(village) ? 0 : p.unit.includes('镇') ? 1 : 2);
    return [...activeStaff()].sort((a, b) => rank(a) - rank(b));
  }

  section(title, ...children) {
    return el('section', { class: 'insp-section' }, el('h3', {}, title), ...children);
  }

  select(id, options, value, onchange, blank) {
    return el('select', { id, onchange: (e) => onchange(e.target.value) },
      blank !== undefined ? el('option', { value: '' }, blank) : null,
      options.map(([code, text]) => el('option', { value: code, selected: code === value }, text)));
  }

  /** A radio choice; `keys` are the letters or digits that choose it (the first is shown). */
  radio(name, value, text, checked, onchange, keys = []) {
    return el('label', { class: 'check' },
      el('input', { type: 'radio', name: `insp-${name}`, value, checked, onchange, id: `insp-${name}-${value}`, dataset: { keys: keys.join(' ') } }), text,
      keys.length ? el('kbd', { title: `按 ${keys.join(' 或 ').toUpperCase()} 选择` }, keys[0].toUpperCase()) : null);
  }

  /** 沿用上一份 beside a field whose value the last saved form left. */
  carriedTag(key) {
    return this.state.carried?.[key] && !this.restored
      ? el('span', { class: 'carried', id: `insp-carried-${key}`, title: '这一项沿用上一份核查表的填写，请核对' }, '沿用上一份') : null;
  }

  members() {
    const s = this.state;
    this.picker = new GroupPicker({
      id: 'insp-group',
      people: () => this.membersInOrder(),
      lastGroup: () => this.lastMembers ?? [],
      chosen: s.members,
      onChange: (ids) => this.set('members', [...ids]),
    });
    return el('div', { class: 'insp-members' },
      el('label', { class: 'label', for: 'insp-group' }, '入户调查组成员（至少 2 人）', this.carriedTag('members')),
      el('div', { class: 'member-row', id: 'insp-members' }, this.picker.node, this.picker.count));
  }

  /** 正常使用 = 是 with a problem marked 影响使用: said at once, not at save. */
  contradiction() {
    const s = this.state;
    if (s.in_use !== true || s.result !== 'problems') return null;
    const stopping = Object.entries(s.problems).filter(([, p]) => p.stops_use)
      .map(([id]) => this.items.find((i) => i.id === Number(id))?.name).filter(Boolean);
    return stopping.length
      ? el('p', { class: 'field-warn', id: 'insp-contradiction', role: 'alert' },
        `选了“正常使用”，但“${stopping.join('、')}”标为影响使用。请核对：能正常使用就把问题改为不影响使用，否则这里选“否”。`)
      : null;
  }

  /** The checklist's items in the order shown, numbered from 1 (the keys the finder takes). */
  numbered() {
    return PARTS.flatMap((part) => this.items.filter((i) => i.part === part));
  }

  checklist() {
    const s = this.state;
    const order = this.numbered();
    return el('div', { class: 'checklist-box' },
      el('div', { class: 'finder' },
        el('label', { for: 'insp-find' }, '勾选问题'),
        el('input', {
          id: 'insp-find', autocomplete: 'off', placeholder: '输入编号或拼音首字母，回车勾选（再输一次取消）',
          oninput: () => this.showFound(),
          onkeydown: (e) => this.onFindKey(e),
        }),
        el('span', { class: 'hint-inline', id: 'insp-find-hint' }, '不再勾选时直接按回车保存'),
        this.state.in_use === true && Object.values(s.problems).some((p) => p.stops_use)
          ? el('span', { class: 'field-warn' }, '注意：上面选了“正常使用”，这里有影响使用的问题，请核对。') : null),
      el('div', { class: 'checklist', id: 'insp-checklist' },
        PARTS.map((part) => {
          const items = this.items.filter((i) => i.part === part);
          if (!items.length) return null;
          return el('div', { class: 'part' },
            el('div', { class: 'part-name' }, label('ProblemPart', part)),
            items.map((item) => {
              const p = s.problems[item.id];
              const n = order.indexOf(item) + 1;
              return el('div', { class: `item${p ? ' on' : ''}` },
                el('label', { class: 'check' },
                  el('input', {
                    type: 'checkbox', id: `insp-item-${item.id}`, checked: !!p, tabindex: '-1',
                    onchange: (e) => this.tick(item, e.target.checked),
                  }),
                  el('span', { class: 'item-no' }, `${n}.`), item.name,
                  el('small', { class: item.stops_use ? 'sev stop' : 'sev' }, item.stops_use ? '影响使用' : '不影响使用')),
                p ? el('div', { class: 'item-detail' },
                  el('label', { class: 'check' }, el('input', {
                    type: 'checkbox', id: `insp-stop-${item.id}`, checked: p.stops_use,
                    onchange: (e) => { p.stops_use = e.target.checked; this.set('problems', s.problems, true); this.refreshProposal(); },
                  }), '影响使用'),
                  el('select', {
                    id: `insp-cause-${item.id}`, class: 'cause', title: '按数字键选择原因',
                    onchange: (e) => { p.cause = e.target.value || null; this.set('problems', s.problems); this.refreshProposal(); },
                  }, el('option', { value: '' }, '原因…'),
                  entries('Cause').map(([code, text], i) => el('option', { value: code, selected: code === p.cause }, `${i + 1} ${text}`))),
                  el('input', { id: `insp-remark-${item.id}`, placeholder: '备注', value: p.remarks, oninput: (e) => { p.remarks = e.target.value; this.set('problems', s.problems); } }))
                  : null);
            }));
        })));
  }

  /** Ticks or unticks a problem item; a newly ticked one that stops use asks for its cause. */
  tick(item, on) {
    const s = this.state;
    if (on) s.problems[item.id] = { stops_use: item.stops_use, cause: null, remarks: '' };
    else delete s.problems[item.id];
    this.set('problems', s.problems, true);
    this.refreshProposal();
  }

  /** The items the finder's text names: a number, or pinyin initials / part of the name. */
  found() {
    const q = (this.dialog.querySelector('#insp-find')?.value ?? '').trim().toLowerCase();
    if (!q) return [];
    const order = this.numbered();
    if (/^\d+$/.test(q)) {
      const item = order[Number(q) - 1];
      return item ? [item] : [];
    }
    return order.filter((i) => i.name.includes(q) || (i.initials ?? []).some((x) => x.startsWith(q)));
  }

  showFound() {
    const hint = this.dialog.querySelector('#insp-find-hint');
    const q = this.dialog.querySelector('#insp-find').value.trim();
    const found = this.found();
    const order = this.numbered();
    if (!q) hint.textContent = '不再勾选时直接按回车保存';
    else if (!found.length) hint.textContent = '没有这个编号或简拼的问题';
    else {
      const first = found[0];
      const verb = this.state.problems[first.id] ? '取消' : '勾选';
      hint.textContent = `回车${verb}：${order.indexOf(first) + 1}. ${first.name}${found.length > 1 ? `（另有 ${found.length - 1} 项相符，可多输几个字母）` : ''}`;
    }
  }

  onFindKey(e) {
    if (e.key !== 'Enter' || e.isComposing) return;
    const input = e.target;
    if (!input.value.trim()) return; // nothing typed: Enter saves the form
    e.preventDefault();
    e.stopPropagation();
    const [item] = this.found();
    if (!item) return;
    const on = !this.state.problems[item.id];
    this.tick(item, on);
    const q = (sel) => this.dialog.querySelector(sel);
    q('#insp-find').value = '';
    if (on && item.stops_use) q(`#insp-cause-${item.id}`)?.focus();
    else q('#insp-find')?.focus();
    this.showFound();
  }

  corrections() {
    const s = this.state;
    const t = this.toilet;
    const rows = s.corrections.map((c, i) => {
      const spec = this.fields.find((f) => f.code === c.field);
      const old = this.oldValue(c.field);
      let input;
      if (VOCAB_FIELDS[c.field]) {
        input = this.select(`insp-corr-${i}`, entries(VOCAB_FIELDS[c.field]), c.value ?? '', (v) => { c.value = v || null; this.set('corrections', s.corrections); this.refreshProposal(); }, '（空）');
      } else if (YES_NO_FIELDS.has(c.field)) {
        input = this.select(`insp-corr-${i}`, [['1', '是'], ['0', '否']], c.value ?? '', (v) => { c.value = v || null; this.set('corrections', s.corrections); this.refreshProposal(); }, '（空）');
      } else {
        input = el('input', { id: `insp-corr-${i}`, value: c.value ?? '', placeholder: c.field.endsWith('year') ? '例如 2018' : '', oninput: (e) => { c.value = e.target.value; this.set('corrections', s.corrections); this.refreshProposal(); } });
      }
      return el('div', { class: 'corr-row' },
        el('span', { class: 'corr-field' }, spec?.label ?? c.field),
        el('span', { class: 'corr-old' }, old), el('span', { 'aria-hidden': 'true' }, '→'), input,
        el('button', { type: 'button', class: 'tool', title: '不更正这一项', onclick: () => { s.corrections.splice(i, 1); this.set('corrections', s.corrections, true); this.refreshProposal(); } }, '×'));
    });
    const unused = this.fields.filter((f) => !s.corrections.some((c) => c.field === f.code));
    void t;
    return el('div', { class: 'corrections' }, rows,
      unused.length ? el('div', { class: 'corr-add' },
        this.select('insp-corr-add', unused.map((f) => [f.code, f.label]), '', (v) => {
          if (!v) return;
          s.corrections.push({ field: v, value: null });
          this.set('corrections', s.corrections, true);
        }, '更正一项台账字段…')) : null);
  }

  oldValue(field) {
    const t = this.toilet;
    const v = t[field];
    if (VOCAB_FIELDS[field]) return label(VOCAB_FIELDS[field], v);
    if (YES_NO_FIELDS.has(field)) return yesNo(v);
    return v === null || v === undefined ? '（空）' : String(v);
  }

  decision() {
    const s = this.state;
    const p = this.proposal;
    const proposal = el('p', { class: 'proposal', id: 'insp-proposal' },
      p ? [el('b', {}, p.category ? `方案建议：${label('Category', p.category)}` : '方案没有规定类别，请人工确定'), el('br'), p.reason] : '正在按方案判断类别…');
    const canDecide = may('handle_case');
    const toggle = canDecide
      ? el('label', { class: 'check' }, el('input', {
        type: 'checkbox', id: 'insp-decide-now', checked: s.decide_now,
        onchange: (e) => { this.set('decide_now', e.target.checked, true); if (e.target.checked) this.refreshProposal(); },
      }), '现在就确定整改类别和计划（镇里的工作人员）')
      : null;
    if (!s.decide_now) {
      return el('div', { class: 'decision' }, proposal, toggle,
        el('p', { class: 'hint', id: 'insp-later' }, '核查只记录发现的问题。保存后列入问题台账的“待确定类别”，由镇里确定类别、整改措施、责任人和完成时间。'));
    }
    const chosen = s.category;
    const differs = p && chosen && p.category !== chosen;
    const needReason = chosen && (differs || (p && !p.category));
    const planned = chosen && chosen !== 'immediate_fix';
    return el('div', { class: 'decision' }, proposal, toggle,
      el('div', { class: 'insp-row' },
        el('label', {}, '整改类别', this.select('insp-category', entries('Category'), chosen, (v) => { s.categoryTouched = true; this.set('category', v, true); }, '暂不确定（以后在问题台账中确定）')),
        needReason ? el('label', { class: 'grow' }, '理由（与方案建议不同时必填）', el('input', { id: 'insp-override', value: s.override_reason, oninput: (e) => this.set('override_reason', e.target.value) })) : null),
      planned ? el('div', { class: 'insp-row plan' },
        el('label', { class: 'grow' }, '整改措施', el('input', { id: 'insp-measures', value: s.measures, oninput: (e) => this.set('measures', e.target.value) })),
        el('label', {}, '责任人', el('input', { id: 'insp-responsible', value: s.responsible, oninput: (e) => this.set('responsible', e.target.value) })),
        el('label', {}, '计划完成（年-月）', el('input', { id: 'insp-month', placeholder: '2027-06', value: s.planned_month, maxlength: 7, oninput: (e) => this.set('planned_month', e.target.value) })),
        el('label', {}, '资金来源', el('input', { id: 'insp-funding', value: s.funding, oninput: (e) => this.set('funding', e.target.value) }))) : null,
      chosen === 'immediate_fix' ? el('div', { class: 'insp-row' },
        el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'insp-close', checked: s.close_on_site, onchange: (e) => this.set('close_on_site', e.target.checked, true) }), '当场整改完毕，验收销号'),
        s.close_on_site ? el('label', {}, '验收人（不能是录入人）', staffSelect({ id: 'insp-verifier', onchange: (e) => this.set('verifier_id', Number(e.target.value) || null) }, s.verifier_id)) : null,
        s.close_on_site ? el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'insp-head-confirmed', checked: s.head_confirmed, onchange: (e) => this.set('head_confirmed', e.target.checked, true) }), '户主已当场签字确认') : null,
        s.close_on_site && !s.head_confirmed ? el('label', { class: 'grow' }, '户主未确认的原因', el('input', { id: 'insp-unconfirmed-reason', value: s.unconfirmed_reason, placeholder: '例如：户主外出，由其家属确认', oninput: (e) => this.set('unconfirmed_reason', e.target.value) })) : null) : null);
  }

  async refreshProposal() {
    const s = this.state;
    if (s.result !== 'problems') return;
    const mine = (this.proposalRequest = (this.proposalRequest ?? 0) + 1);
    try {
      const p = await ipc.previewProposal(this.toilet.id, this.problemList(), this.correctionList());
      if (mine !== this.proposalRequest) return;
      this.proposal = p;
      if (!s.categoryTouched) s.category = p.category ?? '';
      const box = this.dialog.querySelector('.decision');
      if (box) box.replaceWith(this.decision());
    } catch (err) {
      const e = this.dialog.querySelector('#insp-error');
      if (e) e.textContent = err.message;
    }
  }

  problemList() {
    return Object.entries(this.state.problems).map(([id, p]) => ({
      item_id: Number(id), stops_use: p.stops_use, cause: p.cause || null, remarks: p.remarks || null,
    }));
  }

  correctionList() {
    return this.state.corrections.map((c) => ({ field: c.field, value: c.value === '' ? null : c.value }));
  }

  // ------------------------------------------------------------------------------------------
  // Photos

  thumb(p) {
    return el('figure', { class: 'thumb', dataset: { hash: p.hash } },
      el('img', { alt: p.original_name, title: p.original_name }),
      el('button', { type: 'button', class: 'thumb-remove', title: '去掉这张照片', onclick: () => {
        this.set('photos', this.state.photos.filter((x) => x.hash !== p.hash), true);
      } }, '×'));
  }

  async loadThumb(hash) {
    try {
      const url = await ipc.photoData(hash);
      const img = this.dialog.querySelector(`.thumb[data-hash="${hash}"] img`);
      if (img) img.src = url;
    } catch (err) {
      toast(err.message);
    }
  }

  async addPhotos() {
    try {
      const paths = await ipc.pickPhotos('选择核查照片');
      for (const path of paths) {
        const photo = await ipc.storePhoto(path);
        if (!this.state.photos.some((p) => p.hash === photo.hash)) {
          this.state.photos.push({ hash: photo.hash, original_name: photo.original_name });
        }
      }
      this.set('photos', this.state.photos, true);
    } catch (err) {
      toast(err.message);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Saving

  input() {
    const s = this.state;
    const problems = s.result === 'problems' ? this.problemList() : [];
    const decide = problems.length && s.decide_now && s.category;
    return {
      toilet_id: this.toilet.id,
      kind: s.kind,
      inspected_on: s.date,
      members: s.members,
      household_status: s.status,
      status_note: s.status_note || null,
      in_normal_use: s.in_use,
      no_problem: s.result === 'none',
      problems,
      photos: s.photos.map((p) => p.hash),
      corrections: this.correctionList(),
      remarks: s.remarks || null,
      recorded_by: s.recorded_by ?? 0,
      decision: decide ? {
        category: s.category,
        override_reason: s.override_reason || null,
        measures: s.measures || null,
        responsible: s.responsible || null,
        planned_month: s.planned_month || null,
        funding: s.funding || null,
      } : null,
      close_on_site: decide && s.category === 'immediate_fix' && s.close_on_site
        ? { verifier_id: s.verifier_id ?? 0, head_confirmed: !!s.head_confirmed, remark: s.head_confirmed ? null : (s.unconfirmed_reason || null) } : null,
    };
  }

  /**
   * Shows a refused save's message at the field at fault (and below the form), scrolls the field
   * into view and puts the cursor in it.
   */
  fieldError(message) {
    const q = (sel) => this.dialog.querySelector(sel);
    for (const old of this.dialog.querySelectorAll('.field-error')) old.remove();
    q('#insp-error').textContent = `未保存：${message}`;
    const field = q(`#${this.faultyField(message)}`);
    if (!field) return;
    const box = (field.type === 'radio' ? field.closest('fieldset') : field.closest('.item, .insp-members, .corr-row, label, .finder')) ?? field;
    box.after(el('p', { class: 'field-error', role: 'alert' }, message));
    box.scrollIntoView({ block: 'center' });
    field.focus({ preventScroll: true });
  }

  /** The id of the field a message is about (the core's messages name their field). */
  faultyField(message) {
    const quoted = [...message.matchAll(/“([^”]+)”/g)].map((m) => m[1]);
    const item = this.items.find((i) => quoted.includes(i.name) && this.state.problems[i.id]);
    if (item && /原因/.test(message)) return /备注/.test(message) ? `insp-remark-${item.id}` : `insp-cause-${item.id}`;
    const rules = [
      [/录入人/, 'insp-recorder'], [/调查组|停用/, 'insp-group'], [/核查日期/, 'insp-date'],
      [/正常使用/, this.state.in_use === false ? 'insp-in_use-0' : 'insp-in_use-1'],
      [/具体情况/, 'insp-status-note'], [/无问题|请勾选发现的问题|核查结果/, this.state.result === 'problems' ? 'insp-find' : 'insp-result-none'],
      [/计划完成/, 'insp-month'], [/整改措施/, 'insp-measures'], [/责任人/, 'insp-responsible'], [/理由/, 'insp-override'],
      [/验收人/, 'insp-verifier'], [/户主/, 'insp-unconfirmed-reason'], [/更正|年份/, 'insp-corr-0'], [/照片/, 'insp-add-photo'],
      [/整改类别|立行立改/, 'insp-category'],
    ];
    return rules.find(([re, id]) => re.test(message) && this.dialog.querySelector(`#${id}`))?.[1] ?? null;
  }

  async save() {
    if (this.saving) return;
    this.dialog.querySelector('#insp-error').textContent = '';
    for (const old of this.dialog.querySelectorAll('.field-error')) old.remove();
    const s = this.state;
    if (!s.recorded_by) return this.fieldError('请选择录入人（也可以在页面顶部选好“当前操作人”）。');
    if (s.members.length < 2) return this.fieldError('入户调查组至少要有 2 人（包村包社干部 + 村社人员）。请在“调查组成员”中再选一人。');
    if (s.status === 'normal' && s.in_use === null) return this.fieldError('请选择户厕是否正常使用（按 1 为“是”，0 为“否”）。');
    if (s.status === 'normal' && !s.result) return this.fieldError('请选择核查结果：“无问题”或“有问题”。“无问题”也是结果，要明确选择（按 W 为无问题，Y 为有问题）。');
    if (s.close_on_site && !s.verifier_id) return this.fieldError('当场销号要选择验收人。');
    this.saving = true;
    this.dialog.querySelector('#insp-save').disabled = true;
    try {
      const saved = await ipc.saveInspection(this.input(), this.household.id, this.household.row_version ?? null);
      if (saved.household_version != null) this.household.row_version = saved.household_version;
      localStorage.removeItem(DRAFT(this.toilet.id));
      localStorage.setItem(LAST(), JSON.stringify({ kind: s.kind, date: s.date, members: s.members, origin: this.queue?.origin ?? 'list' }));
      this.dirty = false;
      toast(this.describe(saved), 'info');
      await this.onSaved?.(saved, this.household);
      if (this.index + 1 < this.household.toilets.length && !this.queue) {
        await this.open(this.household, this.index + 1);
      } else if (this.queue) {
        const next = this.queue.pos + 1;
        if (next < this.queue.items.length) await this.openQueue(this.queue, next);
        else {
          this.dialog.close();
          toast(`${this.queue.title}的户厕已全部录入。`, 'info');
        }
      } else {
        this.dialog.close();
        await this.onNextHousehold?.();
      }
    } catch (err) {
      this.fieldError(err.message);
    } finally {
      this.saving = false;
      const b = this.dialog.querySelector('#insp-save');
      if (b) b.disabled = false;
    }
  }

  describe(saved) {
    const who = `${this.household.head_name}第 ${this.toilet.seq} 个户厕`;
    if (saved.existing_case_id && saved.case_followed && this.state.result === 'none') {
      return `已保存${who}的核查。本次未发现问题，已在它的整改记录中建议验收销号（不会自动销号）。`;
    }
    if (saved.existing_case_id && saved.case_followed) return `已保存${who}的核查。这个户厕有未销号的问题，整改记录已按本次核查更新问题和方案建议。`;
    if (saved.existing_case_id) return `已保存${who}的核查。这个户厕有未销号的问题；本次核查早于它最近一次核查，只记入档案。`;
    if (!saved.case_id) return `已保存${who}的核查。`;
    return `已保存${who}的核查，问题已列入问题厕所台账。`;
  }
}
