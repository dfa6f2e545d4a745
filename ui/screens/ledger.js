// 问题厕所台账: every problem toilet of the selected place, filtered and sorted, with each
// village's counts; the side panel follows one case — its category decision, its moves
// 待整改 → 整改中 → 已整改待验收 → 已销号, and its dated history.

import { $, el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { entries, label } from '../labels.js';
import { operatorId, staffSelect } from '../people.js';
import { DATE_FIELD, latest, today } from '../util.js';

const PAGE = 100;

/** The ledger filter with nothing narrowed: every problem toilet of `scope`, by place. Print
 *  dialogs opened outside the ledger get this one. */
export const defaultFilter = (scope = { kind: 'town' }) => ({ scope, category: null, state: null, overdue: null, paper: null, escalated_only: false, sort: 'place' });

const MOVE_TEXT = {
  in_progress: '开始整改',
  awaiting_acceptance: '登记整改完成',
  closed: '验收销号',
};
const BACK_TEXT = { awaiting_acceptance: '验收不通过，退回整改', closed: '重新打开' };

const categoryText = (r) => (r.category ? label('Category', r.category) : '待确定');

/** Where a case's notice is (the register's step), as the ledger and the panel say it. */
const PAPER_TEXT = {
  unprinted: '告知单未打印',
  undelivered: '告知单未送达',
  receipt_missing: '回执未收回',
  returned: '回执已收回',
};

export class ProblemLedger {
  constructor({ onOpenHousehold, onSelectVillage, onChanged, onPrintCase }) {
    Object.assign(this, { onOpenHousehold, onSelectVillage, onChanged, onPrintCase });
    // Enter in a step's field submits that step (its 确认).
    $('case-detail').addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || e.isComposing || e.shiftKey) return;
      const t = e.target;
      if (!(t.tagName === 'INPUT' || t.tagName === 'SELECT')) return;
      const step = t.closest('.move-form, .case-decision');
      const confirm = step?.querySelector('button.primary');
      if (!confirm) return;
      e.preventDefault();
      confirm.click();
    });
    this.scope = { kind: 'town' };
    this.offset = 0;
    /** Cases ticked for printing their notices, kept across pages and filters. */
    this.picked = new Set();
    this.beginPage = latest();
    this.beginCase = latest();
    $('ledger-rows').addEventListener('change', (e) => {
      const box = e.target.closest('input.pick');
      if (!box) return;
      const id = Number(box.dataset.case);
      if (box.checked) this.picked.add(id); else this.picked.delete(id);
      this.showPicked();
    });
    $('ledger-pick-page').addEventListener('change', (e) => {
      for (const box of $('ledger-rows').querySelectorAll('input.pick')) {
        box.checked = e.target.checked;
        const id = Number(box.dataset.case);
        if (box.checked) this.picked.add(id); else this.picked.delete(id);
      }
      this.showPicked();
    });
    $('ledger-unpick').addEventListener('click', () => {
      this.picked.clear();
      for (const box of $('ledger-rows').querySelectorAll('input.pick')) box.checked = false;
      $('ledger-pick-page').checked = false;
      this.showPicked();
    });
    for (const id of ['ledger-category', 'ledger-state', 'ledger-paper', 'ledger-overdue', 'ledger-escalated', 'ledger-sort']) {
      $(id).addEventListener('change', () => { this.offset = 0; this.refresh(); });
    }
    $('ledger-prev').addEventListener('click', () => { this.offset = Math.max(0, this.offset - PAGE); this.refresh(); });
    $('ledger-next').addEventListener('click', () => { this.offset += PAGE; this.refresh(); });
    $('ledger-rows').addEventListener('click', (e) => {
      if (e.target.closest('td.pick')) return;
      const row = e.target.closest('tr[data-case]');
      if (row) this.showCase(Number(row.dataset.case));
    });
    $('ledger-rows').addEventListener('dblclick', (e) => {
      const row = e.target.closest('tr[data-household]');
      if (row) this.onOpenHousehold(Number(row.dataset.household));
    });
  }

  /** Sets the filters to one of 进度调度's worklists (undecided, overdue, awaiting_acceptance,
   *  in_progress); the place is the tree's. */
  showWorklist(list) {
    $('ledger-category').value = list === 'undecided' ? 'undecided' : '';
    $('ledger-state').value = list === 'awaiting_acceptance' || list === 'in_progress' ? list : '';
    $('ledger-overdue').value = list === 'overdue' ? 'unrectified' : '';
    $('ledger-paper').value = '';
    $('ledger-escalated').checked = false;
  }

  filter() {
    return {
      scope: this.scope,
      category: $('ledger-category').value || null,
      state: $('ledger-state').value || null,
      overdue: $('ledger-overdue').value || null,
      paper: $('ledger-paper').value || null,
      escalated_only: $('ledger-escalated').checked,
      sort: $('ledger-sort').value,
    };
  }

  async load(scope, title) {
    this.scope = scope;
    this.offset = 0;
    $('ledger-title').textContent = `问题厕所台账 · ${title}`;
    await this.refresh();
  }

  async refresh() {
    const current = this.beginPage();
    try {
      const page = await ipc.problemLedger(this.filter(), this.offset, PAGE);
      if (!current()) return;
      this.page = page;
      this.renderCounts(page.villages, page.town);
      this.renderRows(page);
    } catch (err) {
      if (current()) toast(err.message);
    }
  }

  renderCounts(villages, total) {
    const selectedVillage = this.scope.kind === 'village' ? this.scope.id : null;
    const row = (v, isTotal) => el('tr', {
      class: `${isTotal ? 'total' : ''}${v.village_id === selectedVillage ? ' selected' : ''}`,
      dataset: v.village_id ? { village: v.village_id } : {},
      onclick: v.village_id ? () => this.onSelectVillage(v.village_id) : undefined,
      title: v.village_id ? `只看${v.village_name}` : undefined,
    },
    el('td', {}, v.village_name), el('td', {}, v.total), el('td', {}, v.undecided), el('td', {}, v.pending),
    el('td', {}, v.in_progress), el('td', {}, v.awaiting), el('td', {}, v.closed),
    el('td', { class: v.overdue_unrectified ? 'bad' : '' }, v.overdue_unrectified),
    el('td', {}, v.overdue_awaiting),
    el('td', {}, v.close_out));
    $('village-counts').replaceChildren(el('table', { class: 'counts-table', id: 'counts-table' },
      el('thead', {}, el('tr', {}, ['行政村', '问题户厕', '待确定类别', '待整改', '整改中', '待验收', '已销号', '逾期未整改', '逾期待验收', '销号率'].map((h) => el('th', {}, h)))),
      el('tbody', {}, villages.map((v) => row(v, false)), row(total, true))));
  }

  renderRows(page) {
    $('ledger-rows').replaceChildren(...page.rows.map((r) => el('tr', {
      dataset: { case: r.case_id, household: r.household_id },
      class: `${r.case_id === this.caseId ? 'selected' : ''}${r.overdue ? ` overdue-${r.overdue}` : ''}`,
      title: '单击查看整改记录，双击打开农户档案',
    },
    el('td', { class: 'pick' }, el('input', { type: 'checkbox', class: 'pick', dataset: { case: r.case_id }, checked: this.picked.has(r.case_id), title: '选中后可以只打印所选的告知单' })),
    el('td', { class: 'c-name' }, r.head_name),
    el('td', {}, `${r.village_name} · ${r.group_name}`),
    el('td', {}, el('span', { class: `state state-${r.state}` }, label('CaseState', r.state)),
      r.paper && r.paper !== 'returned' && r.state !== 'closed' ? el('span', { class: 'paper-tag', dataset: { paper: r.paper } }, PAPER_TEXT[r.paper]) : null,
      r.clear_check && r.state !== 'closed' ? el('span', { class: 'paper-tag clear-tag' }, '复核未见问题，建议验收') : null,
      r.escalated && r.state !== 'closed' ? el('span', { class: 'paper-tag escalated-tag' }, '已报区研究') : null),
    el('td', { class: 'cat-cell' }, categoryText(r)),
    el('td', { class: 'problems-cell', title: r.problems }, r.stops_use ? el('span', { class: 'sev stop' }, '影响使用') : null, r.problems),
    el('td', {}, `第${r.toilet_seq}个 ${label('TechMode', r.tech_mode)}`),
    // 逾期未整改 (the farmer's work is late) in red; 逾期待验收 (the town's acceptance is late) apart.
    el('td', {}, r.planned_month ?? '—', r.overdue ? el('span', { class: r.overdue === 'unrectified' ? 'bad' : 'late-acceptance' }, ` ${label('Overdue', r.overdue)}`) : null),
    el('td', {}, r.inspected_on))));
    if (!page.rows.length) {
      $('ledger-rows').append(el('tr', {}, el('td', { colspan: 9, class: 'list-none' }, '没有符合条件的问题户厕。')));
    }
    const from = page.total ? this.offset + 1 : 0;
    const to = Math.min(this.offset + PAGE, page.total);
    $('ledger-count').textContent = `共 ${page.total} 个问题户厕${page.total > PAGE ? `，第 ${from}–${to} 个` : ''}`;
    $('ledger-prev').disabled = this.offset === 0;
    $('ledger-next').disabled = to >= page.total;
  }

  showPicked() {
    const n = this.picked.size;
    $('ledger-picked').hidden = n === 0;
    $('ledger-unpick').hidden = n === 0;
    $('ledger-picked').textContent = `已选 ${n} 个`;
  }

  // ------------------------------------------------------------------------------------------
  // One case

  async showCase(id) {
    this.caseId = id;
    for (const tr of $('ledger-rows').querySelectorAll('tr[data-case]')) {
      tr.classList.toggle('selected', Number(tr.dataset.case) === id);
    }
    const current = this.beginCase();
    try {
      const c = await ipc.rectificationCase(id);
      if (current()) this.renderCase(c);
    } catch (err) {
      if (current()) toast(err.message);
    }
  }

  renderCase(c) {
    const row = this.page?.rows.find((r) => r.case_id === c.id);
    const closed = c.state === 'closed';
    this.caseTitle = row ? `${row.village_name}${row.group_name}${row.head_name}` : `整改记录${c.id}`;
    fill($('case-detail'), 
      el('div', { class: 'hh-head' },
        el('h2', { id: 'case-name' }, row?.head_name ?? `整改记录 ${c.id}`),
        row ? el('div', { class: 'hh-place' }, `${row.village_name} · ${row.group_name} · 第${row.toilet_seq}个户厕`) : null,
        el('span', { class: `state state-${c.state}`, id: 'case-state' }, label('CaseState', c.state))),
      el('button', { type: 'button', class: 'tool', id: 'case-open-household', onclick: () => this.onOpenHousehold(c.household_id) }, '打开农户档案'),
      row ? el('div', { class: 'case-problems', id: 'case-problems' }, el('b', {}, `发现的问题（${row.inspected_on}）：`),
        (c.problems ?? []).length
          ? el('ul', { id: 'case-problem-list' }, c.problems.map((p) => el('li', {}, p.name,
            el('span', { class: p.stops_use ? 'sev stop' : 'sev' }, p.stops_use ? '影响使用' : '不影响使用'),
            p.cause ? el('span', { class: 'cause' }, `原因：${label('Cause', p.cause)}`) : null,
            p.remarks ? el('span', { class: 'hint-inline' }, `（${p.remarks}）`) : null)))
          : row.problems) : null,
      c.clear_check && !closed ? el('p', { class: 'hint clear-check', id: 'case-clear-check' }, `${c.clear_check}未发现问题：建议登记整改完成，再由另一位工作人员验收销号。`) : null,
      el('h3', { class: 'section-title' }, '整改类别'),
      el('p', { class: 'proposal' },
        el('b', {}, c.proposed_category ? `方案建议：${label('Category', c.proposed_category)}` : '方案没有规定类别'), el('br'), c.proposal_reason),
      c.category ? el('p', {}, '已确定：', el('b', { id: 'case-category' }, label('Category', c.category)),
        c.override_reason ? el('span', { class: 'hint-inline' }, `（理由：${c.override_reason}）`) : null) : null,
      c.category && c.category !== 'immediate_fix' ? el('dl', { class: 'fields' },
        el('div', { class: 'field' }, el('dt', {}, '整改措施'), el('dd', {}, c.measures ?? '—')),
        el('div', { class: 'field' }, el('dt', {}, '责任人'), el('dd', {}, c.responsible ?? '—')),
        el('div', { class: 'field' }, el('dt', {}, '计划完成'), el('dd', {}, c.planned_month ?? '—')),
        el('div', { class: 'field' }, el('dt', {}, '资金来源'), el('dd', {}, c.funding ?? '—'))) : null,
      closed ? null : c.category
        ? el('div', { id: 'case-decision-host' }, el('button', { type: 'button', class: 'tool', id: 'case-change-category', onclick: () => {
          const host = $('case-decision-host');
          host.replaceChildren(this.decisionForm(c));
          this.reveal(host);
        } }, '修改类别或计划…'))
        : this.decisionForm(c),
      this.noticeBox(c),
      el('h3', { class: 'section-title' }, '整改进度'),
      el('div', { class: 'moves', id: 'case-moves' },
        c.next_states.map((to) => {
          const back = (c.state === 'awaiting_acceptance' || c.state === 'closed') && to === 'in_progress';
          const text = back ? BACK_TEXT[c.state] : MOVE_TEXT[to];
          return el('button', { type: 'button', class: back ? 'tool' : 'secondary', dataset: { to }, onclick: () => this.moveForm(c, to, text) }, text);
        })),
      el('div', { id: 'case-move-form' }),
      this.acceptanceBox(c),
      this.escalationBox(c),
      el('h3', { class: 'section-title' }, '记录'),
      el('ol', { class: 'history', id: 'case-history' }, c.events.map((e) => el('li', {},
        el('span', { class: 'when' }, e.happened_on),
        el('span', { class: 'what' }, this.eventText(e)),
        e.remark ? el('span', { class: 'remark' }, e.remark) : null,
        e.photo ? (e.kind === 'receipt' ? scanLink(e.photo, '查看回执扫描件') : this.photo(e.photo)) : null,
        el('span', { class: 'who' }, `${e.actor}${e.verifier ? ` · 验收人 ${e.verifier}` : ''} · 录入于 ${e.recorded_at.slice(0, 16).replace('T', ' ')}`)))),
    );
  }

  /** 整改告知单 of a planned case: its number, print, delivery and 回执, and the next step. */
  noticeBox(c) {
    const n = c.notice;
    const planned = c.category && c.category !== 'immediate_fix';
    if (!n && c.category === 'immediate_fix') {
      return el('div', { class: 'paper-box', id: 'case-onsite' },
        el('h3', { class: 'section-title' }, '现场整改确认单'),
        el('p', { class: 'hint' }, '立行立改当场整改，不需要告知单。需要留纸质材料时，可打印现场整改确认单，由核查人和户主签字。'),
        el('div', { class: 'moves' },
          el('button', { type: 'button', class: 'tool', id: 'case-print-onsite', onclick: () => this.onPrintCase?.(['onsite_slips'], c.id, this.caseTitle) }, '打印现场整改确认单')));
    }
    // A closed case needs no notice any more; one printed before stays on record.
    if (!n && (!planned || c.state === 'closed')) return null;
    const step = (id, text, kind) => el('button', { type: 'button', class: 'tool', id, onclick: () => this.paperForm(c, kind, text) }, text);
    return el('div', { class: 'paper-box', id: 'case-notice' },
      el('h3', { class: 'section-title' }, '整改告知单'),
      n ? el('dl', { class: 'fields' },
        field('编号', n.number),
        field('打印', `${n.first_printed_at.slice(0, 10)}${n.times_printed > 1 ? `（共 ${n.times_printed} 次，最近 ${n.last_printed_at.slice(0, 10)}）` : ''}`),
        field('送达', n.delivered_on ? `${n.delivered_on} · ${n.delivered_by}` : '未送达', 'case-notice-delivered'),
        field('回执', n.receipt_on ? `${n.receipt_on} 已收回` : '未收回', 'case-notice-receipt',
          n.receipt_scan ? scanLink(n.receipt_scan, '查看扫描件') : null))
        : el('p', { class: 'hint', id: 'case-notice-none' }, '告知单还没有打印。打印后到农户家送达，收回户主签字的回执。'),
      n?.outdated ? el('p', { class: 'warn' }, `整改类别已改为“${label('Category', c.category)}”，与告知单上的不同：请重新打印告知单并送达。`) : null,
      el('div', { class: 'moves' },
        el('button', { type: 'button', class: 'tool', id: 'case-print-notice', onclick: () => this.onPrintCase?.(['notices'], c.id, this.caseTitle) }, n ? '重新打印告知单' : '打印告知单'),
        n && !n.delivered_on ? step('case-deliver', '登记送达', 'deliver') : null,
        n?.delivered_on && !n.receipt_on ? step('case-receipt', '登记回执收回', 'receipt') : null,
        n?.receipt_on && !n.receipt_scan ? step('case-receipt-scan', '补附回执扫描件', 'receipt') : null),
      el('div', { id: 'case-paper-form' }));
  }

  /** 验收单: printed for a case awaiting acceptance or closed; the head's confirmation and scan. */
  acceptanceBox(c) {
    if (c.state !== 'awaiting_acceptance' && c.state !== 'closed') return null;
    const closed = c.state === 'closed';
    return el('div', { class: 'paper-box', id: 'case-acceptance' },
      el('h3', { class: 'section-title' }, '验收单'),
      closed ? el('dl', { class: 'fields' },
        field('户主确认', c.head_confirmed ? '户主已签字确认' : `户主未确认${c.unconfirmed_reason ? `：${c.unconfirmed_reason}` : ''}`, 'case-head-confirmed'),
        field('扫描件', c.acceptance_scan ? '' : '未附', 'case-acceptance-scan-state', c.acceptance_scan ? scanLink(c.acceptance_scan, '查看验收单扫描件') : null)) : null,
      el('div', { class: 'moves' },
        el('button', { type: 'button', class: 'tool', id: 'case-print-acceptance', onclick: () => this.onPrintCase?.(['acceptance_sheets'], c.id, this.caseTitle) }, '打印验收单'),
        closed && !c.acceptance_scan ? el('button', { type: 'button', class: 'tool', id: 'case-acceptance-scan', onclick: () => this.paperForm(c, 'acceptance', '附验收单扫描件') }, '附验收单扫描件…') : null,
        closed && c.acceptance_scan ? el('button', { type: 'button', class: 'tool', id: 'case-acceptance-rescan', onclick: () => this.paperForm(c, 'acceptance', '更换验收单扫描件') }, '更换扫描件…') : null),
      el('div', { id: 'case-acceptance-form' }));
  }

  /** 报区人居办研究解决: what the town cannot fix itself, why, and the district's answer. */
  escalationBox(c) {
    const closed = c.state === 'closed';
    if (closed && !c.escalated_on) return null;
    const waiting = c.escalated_on && !c.replied_on;
    return el('div', { class: 'paper-box', id: 'case-escalation' },
      el('h3', { class: 'section-title' }, '报区人居办研究解决'),
      c.escalated_on ? el('dl', { class: 'fields' },
        field('上报', `${c.escalated_on}：${c.escalation_reason}`, 'case-escalated'),
        field('答复', c.replied_on ? `${c.replied_on}：${c.escalation_reply}` : '尚未答复', 'case-escalation-reply'))
        : el('p', { class: 'hint' }, '镇里无法自行解决的问题（如技术模式都不适宜、资金或权属争议），写明原因报区人居办研究。'),
      closed ? null : el('div', { class: 'moves' },
        waiting
          ? el('button', { type: 'button', class: 'tool', id: 'case-escalation-answer', onclick: () => this.escalationForm(c, 'reply') }, '登记区人居办答复')
          : el('button', { type: 'button', class: 'tool', id: 'case-escalate', onclick: () => this.escalationForm(c, 'escalate') }, c.escalated_on ? '再次报区研究' : '报区人居办研究…')),
      el('div', { id: 'case-escalation-form' }));
  }

  escalationForm(c, kind) {
    const escalate = kind === 'escalate';
    $('case-escalation-form').replaceChildren(el('div', { class: 'move-form' },
      el('h4', {}, escalate ? '报区人居办研究解决' : '登记区人居办答复'),
      el('label', {}, escalate ? '上报日期' : '答复日期', el('input', { ...DATE_FIELD, id: 'esc-date', value: today() })),
      el('label', {}, escalate ? '原因（镇里为什么解决不了，必填）' : '答复意见（必填）', el('input', { id: 'esc-text', placeholder: escalate ? '例如：地下水位高，现有技术模式都不适宜' : '例如：同意改为完整下水道水冲式，纳入2025年计划' })),
      el('p', { class: 'form-error', id: 'esc-error', role: 'alert' }),
      el('div', { class: 'dialog-buttons' },
        el('button', { type: 'button', onclick: () => $('case-escalation-form').replaceChildren() }, '取消'),
        el('button', { type: 'button', class: 'primary small', id: 'esc-confirm', onclick: async () => {
          const actor = operatorId();
          if (!actor) { $('esc-error').textContent = '请先在页面顶部选择“当前操作人”。'; return; }
          const input = { case_id: c.id, date: $('esc-date').value, actor_id: actor, text: $('esc-text').value.trim() };
          try {
            const updated = escalate ? await ipc.escalateCase(input) : await ipc.recordEscalationReply(input);
            toast(escalate ? '已登记报区人居办研究。' : '已登记区人居办答复。', 'info');
            await this.afterChange(updated);
          } catch (err) {
            $('esc-error').textContent = err.message;
          }
        } }, '确认'))));
    this.reveal($('case-escalation-form'));
    $('esc-text').focus({ preventScroll: true });
  }

  /** The small form of a paper step: 送达 (date, who), 回执 (date, scan), 验收单 scan. */
  paperForm(c, kind, text) {
    const host = kind === 'acceptance' ? 'case-acceptance-form' : 'case-paper-form';
    const scanOnly = kind === 'acceptance' || (kind === 'receipt' && c.notice?.receipt_on);
    $(host).replaceChildren(el('div', { class: 'move-form' },
      el('h4', {}, text),
      scanOnly ? null : el('label', {}, kind === 'deliver' ? '送达日期' : '回执收回日期', el('input', { ...DATE_FIELD, id: 'paper-date', value: today() })),
      kind === 'deliver' ? el('label', {}, '送达人', staffSelect({ id: 'paper-actor' }, operatorId())) : null,
      kind === 'deliver' ? null : scanPicker('paper-scan', kind === 'acceptance' ? '签字的验收单扫描件（PDF 或照片）' : '签字回执的扫描件（PDF 或照片，可以以后补附）'),
      kind === 'acceptance' && c.acceptance_scan ? el('label', {}, '更换原因（必填，原扫描件仍保留）', el('input', { id: 'paper-reason', placeholder: '例如：原扫描件不清楚，重新扫描' })) : null,
      el('p', { class: 'form-error', id: 'paper-error', role: 'alert' }),
      el('div', { class: 'dialog-buttons' },
        el('button', { type: 'button', onclick: () => $(host).replaceChildren() }, '取消'),
        el('button', { type: 'button', class: 'primary small', id: 'paper-confirm', onclick: () => this.paper(c, kind) }, '确认'))));
    this.reveal($(host));
  }

  async paper(c, kind) {
    const actor = kind === 'deliver' ? Number($('paper-actor').value) || null : operatorId();
    if (!actor) { $('paper-error').textContent = kind === 'deliver' ? '请选择送达人。' : '请先在页面顶部选择“当前操作人”。'; return; }
    try {
      const scan = await storedScan('paper-scan');
      let updated;
      if (kind === 'acceptance') {
        if (!scan) { $('paper-error').textContent = '请选择验收单的扫描件。'; return; }
        updated = await ipc.attachAcceptanceScan(c.id, scan, $('paper-reason')?.value.trim() || null);
      } else {
        const input = { case_id: c.id, date: $('paper-date')?.value ?? today(), actor_id: actor, scan };
        updated = kind === 'deliver' ? await ipc.recordNoticeDelivery(input) : await ipc.recordNoticeReceipt(input);
      }
      toast(kind === 'deliver' ? '已登记送达。' : kind === 'receipt' ? '已登记回执。' : '已附上验收单扫描件。', 'info');
      await this.afterChange(updated);
    } catch (err) {
      $('paper-error').textContent = err.message;
    }
  }

  photo(hash) {
    const img = el('img', { alt: '整改照片' });
    ipc.photoData(hash).then((url) => { img.src = url; }, () => { img.alt = '照片文件缺失'; });
    return el('figure', { class: 'thumb' }, img);
  }

  eventText(e) {
    switch (e.kind) {
      case 'opened': return '核查发现问题，列入台账';
      case 'category': return '确定整改类别';
      case 'delivered': return '告知单送达';
      case 'receipt': return '回执收回';
      case 'recheck': return '复核更新问题';
      case 'plan': return '验收单扫描件';
      case 'escalated': return '报区人居办研究解决';
      case 'reply': return '区人居办答复';
      case 'reopen': return `重新打开：${label('CaseState', e.from_state)} → ${label('CaseState', e.to_state)}`;
      default: return `${label('CaseState', e.from_state)} → ${label('CaseState', e.to_state)}`;
    }
  }

  decisionForm(c) {
    const current = c.category ?? c.proposed_category ?? '';
    const box = el('div', { class: 'case-decision' });
    const render = (category) => {
      const planned = category && category !== 'immediate_fix';
      const needReason = category && category !== c.proposed_category;
      fill(box, 
        el('div', { class: 'insp-row' },
          el('label', {}, c.category ? '改为' : '确定为',
            el('select', { id: 'case-category-select', onchange: (e) => render(e.target.value) },
              el('option', { value: '' }, '（请选择）'),
              entries('Category').map(([code, text]) => el('option', { value: code, selected: code === category }, text))))),
        needReason ? el('label', {}, '理由（与方案建议不同时必填）', el('input', { id: 'case-reason', value: c.override_reason ?? '' })) : null,
        planned ? el('div', { class: 'plan-grid' },
          el('label', {}, '整改措施', el('input', { id: 'case-measures', value: c.measures ?? '' })),
          el('label', {}, '责任人', el('input', { id: 'case-responsible', value: c.responsible ?? '' })),
          el('label', {}, '计划完成（年-月）', el('input', { id: 'case-month', placeholder: '2027-06', maxlength: 7, value: c.planned_month ?? '' })),
          el('label', {}, '资金来源', el('input', { id: 'case-funding', value: c.funding ?? '' })),
          c.planned_month ? el('label', {}, '延期原因（计划完成时间推后时必填）', el('input', { id: 'case-delay-reason' })) : null) : null,
        el('p', { class: 'form-error', id: 'case-decision-error', role: 'alert' }),
        el('button', { type: 'button', class: 'primary small', id: 'case-decide', onclick: () => this.decide(c) }, c.category ? '保存类别' : '确认类别'));
    };
    render(current);
    return box;
  }

  async decide(c) {
    const v = (id) => $(id)?.value.trim() || null;
    const actor = operatorId();
    if (!actor) { $('case-decision-error').textContent = '请先在页面顶部选择“当前操作人”。'; return; }
    try {
      const updated = await ipc.decideCategory(c.id, {
        category: v('case-category-select'),
        override_reason: v('case-reason'),
        measures: v('case-measures'),
        responsible: v('case-responsible'),
        planned_month: v('case-month'),
        funding: v('case-funding'),
        delay_reason: v('case-delay-reason'),
      }, actor, c.row_version ?? null);
      toast('已确定整改类别。', 'info');
      await this.afterChange(updated);
    } catch (err) {
      $('case-decision-error').textContent = err.message;
    }
  }

  moveForm(c, to, text) {
    const photo = { hash: null };
    const needVerifier = to === 'closed';
    const back = (c.state === 'awaiting_acceptance' || c.state === 'closed') && to === 'in_progress';
    $('case-move-form').replaceChildren(el('div', { class: 'move-form' },
      el('h4', {}, text),
      el('label', {}, needVerifier ? '验收日期' : '日期', el('input', { ...DATE_FIELD, id: 'move-date', value: today() })),
      needVerifier ? el('label', {}, '验收人（不能是登记整改完成的人）', staffSelect({ id: 'move-verifier' }, null, '（请选择）', villageFirst(this.page?.rows.find((r) => r.case_id === c.id)?.village_name))) : null,
      el('label', {}, needVerifier ? '验收情况（或附整改后照片、验收单扫描件，至少一项）' : back ? '原因（必填）' : '说明', el('input', { id: 'move-remark', placeholder: needVerifier ? '例如：复核无渗漏，能正常使用' : '' })),
      needVerifier ? el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'move-head-confirmed', onchange: (e) => { $('move-unconfirmed-row').hidden = e.target.checked; } }), '户主已在验收单上签字确认') : null,
      needVerifier ? el('label', { id: 'move-unconfirmed-row' }, '户主未确认的原因（未勾选上一项时必填）', el('input', { id: 'move-unconfirmed-reason', placeholder: '例如：户主外出务工，由其子女代签' })) : null,
      needVerifier ? scanPicker('move-scan', '签字的验收单扫描件（PDF 或照片，可以以后补附）') : null,
      el('div', { class: 'insp-row' },
        el('button', { type: 'button', class: 'tool', id: 'move-photo', onclick: async () => {
          try {
            const [path] = await ipc.pickPhotos('选择整改后照片');
            if (!path) return;
            const p = await ipc.storePhoto(path);
            photo.hash = p.hash;
            $('move-photo').textContent = `照片：${p.original_name}`;
          } catch (err) { toast(err.message); }
        } }, '附整改后照片…')),
      el('p', { class: 'form-error', id: 'move-error', role: 'alert' }),
      el('div', { class: 'dialog-buttons' },
        el('button', { type: 'button', onclick: () => $('case-move-form').replaceChildren() }, '取消'),
        el('button', { type: 'button', class: 'primary small', id: 'move-confirm', onclick: () => this.move(c, to, photo.hash) }, '确认'))));
    this.reveal($('case-move-form'));
  }

  /** Brings a step's form into view, 确认 included, and puts the cursor in its first field. */
  reveal(host) {
    const confirm = host.querySelector('.primary');
    (confirm ?? host).scrollIntoView({ block: 'nearest' });
    host.querySelector('input:not([type=checkbox]), select')?.focus({ preventScroll: true });
  }

  async move(c, to, photo) {
    const actor = operatorId();
    if (!actor) { $('move-error').textContent = '请先在页面顶部选择“当前操作人”。'; return; }
    try {
      const updated = await ipc.moveCase({
        case_id: c.id,
        to,
        actor_id: actor,
        date: $('move-date').value,
        remark: $('move-remark').value.trim() || null,
        verifier_id: Number($('move-verifier')?.value) || null,
        photo,
        head_confirmed: !!$('move-head-confirmed')?.checked,
        unconfirmed_reason: $('move-unconfirmed-reason')?.value.trim() || null,
        scan: await storedScan('move-scan'),
      }, c.row_version ?? null);
      toast(`已登记：${label('CaseState', updated.state)}。`, 'info');
      await this.afterChange(updated);
    } catch (err) {
      $('move-error').textContent = err.message;
    }
  }

  async afterChange(updated) {
    await this.refresh();
    if (updated.id === this.caseId) this.renderCase(updated); // not when another case was opened meanwhile
    this.onChanged?.();
  }
}

/** Staff order for a case's verifier: the case's village's people first, then by name. */
function villageFirst(village) {
  const rank = (p) => (village && (p.unit.includes(village) || p.roles.includes(village)) ? 0 : 1);
  return (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'zh-Hans-CN');
}

/** A `<dt>/<dd>` pair of the case panel. */
function field(name, value, id = null, extra = null) {
  return el('div', { class: 'field' }, el('dt', {}, name), el('dd', id ? { id } : {}, value, extra ? ' ' : null, extra));
}

/** A link that opens a stored scan (PDF or image) in the system's viewer. */
function scanLink(hash, text) {
  return el('a', { href: '#', class: 'scan-link', dataset: { scan: hash }, onclick: (e) => { e.preventDefault(); ipc.openScan(hash).catch((err) => toast(err.message)); } }, text);
}

/** A scan's path: typed or picked with the system's dialog; stored on confirm. */
function scanPicker(id, text) {
  return el('label', {}, text,
    el('span', { class: 'path-row' },
      el('input', { id: `${id}-path`, placeholder: '文件路径，或点“选择…”' }),
      el('button', { type: 'button', class: 'tool', onclick: async () => {
        try {
          const path = await ipc.pickScan('选择扫描件（PDF 或照片）');
          if (path) $(`${id}-path`).value = path;
        } catch (err) { toast(err.message); }
      } }, '选择…')));
}

/** Stores the scan named in a picker's path field; its hash, or null when none was given. */
async function storedScan(id) {
  const path = $(`${id}-path`)?.value.trim();
  if (!path) return null;
  return (await ipc.storeScan(path)).hash;
}
