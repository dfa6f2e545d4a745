// 进度调度: the town's progress as of a date — the plan's phases against it, the totals, a bar
// per village and the progress line, and the table per village with the ranking. Villages behind
// schedule are marked red.

import { $, el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { percentBars, progressLine } from '../charts.js';
import { DATE_FIELD, latest, today } from '../util.js';


const MEASURES = [
  ['', '（不考核）'],
  ['inspection', '排查完成率'],
  ['recheck', '镇级复核率'],
  ['close_out', '销号率'],
];

export class Dashboard {
  /** onOpenVillage(id): the village's ledger; onNextAction(villageId or null, list): the
   *  worklist a 下一步 names. */
  constructor({ onOpenVillage, onNextAction, onPrintBulletin }) {
    this.onOpenVillage = onOpenVillage;
    this.onNextAction = onNextAction;
    this.begin = latest();
    $('progress-date').value = today();
    $('progress-date').addEventListener('change', () => this.load().catch((e) => toast(e.message)));
    $('progress-refresh').addEventListener('click', () => this.load().catch((e) => toast(e.message)));
    $('progress-phases-edit').addEventListener('click', () => this.editPhases().catch((e) => toast(e.message)));
    $('progress-bulletin').addEventListener('click', () => onPrintBulletin(($('progress-date').value || today()).slice(0, 7)));
    $('progress-bulletin-xlsx').addEventListener('click', () => this.exportBulletin().catch((e) => toast(e.message)));
    $('progress-summary').addEventListener('click', () => this.exportSummary().catch((e) => toast(e.message)));
    $('phases-cancel').addEventListener('click', () => $('phases-dialog').close());
    this.bindRows();
    $('phases-add').addEventListener('click', () => $('phases-rows').append(this.phaseRow({ name: '', start: '', end: '', measure: null, target: 100 })));
    $('phases-form').addEventListener('submit', (e) => { e.preventDefault(); this.savePhases(); });
  }

  async load() {
    const current = this.begin();
    $('progress-status').textContent = '正在统计…';
    const p = await ipc.progressReport($('progress-date').value || null);
    if (!current()) return;
    this.data = p;
    $('progress-status').textContent = `统计截至 ${p.as_of}`;
    this.render(p);
  }

  render(p) {
    const t = p.town;
    const tile = (label, value, sub, cls) => el('div', { class: `kpi ${cls ?? ''}` },
      el('div', { class: 'kpi-label' }, label), el('div', { class: 'kpi-value' }, value), sub ? el('div', { class: 'kpi-sub' }, sub) : null);
    fill($('progress-kpis'),
      tile('农户', t.households.toLocaleString('zh-CN'), t.no_toilet ? `其中无厕所户 ${t.no_toilet}（不计入户厕）` : null),
      tile('户厕', t.toilets.toLocaleString('zh-CN')),
      tile('已排查', t.inspected.toLocaleString('zh-CN'), `排查率 ${t.rates.inspected}`),
      tile('镇级复核', t.rechecked.toLocaleString('zh-CN'), `复核率 ${t.rates.rechecked}`),
      tile('问题厕所', t.problems.toLocaleString('zh-CN'), `立行立改 ${t.immediate_fix} · 计划整改 ${t.plan_district + t.plan_town_funded} · 待定 ${t.undecided}`),
      tile('已整改', t.rectified.toLocaleString('zh-CN')),
      tile('已销号', t.closed.toLocaleString('zh-CN'), `销号率 ${t.rates.closed}`),
      tile('逾期未整改', t.overdue_unrectified.toLocaleString('zh-CN'), '已过计划完成时间', t.overdue_unrectified > 0 ? 'bad' : ''),
      tile('逾期待验收', t.overdue_awaiting.toLocaleString('zh-CN'), '已整改，镇里未按期验收'));

    fill($('progress-phases'), p.phases.map((s) => {
      const late = s.behind.length > 0;
      return el('div', { class: `phase ${s.state === '进行中' ? 'current' : ''} ${late ? 'late' : ''}` },
        el('div', { class: 'phase-name' }, s.name, el('span', { class: `chip state-${s.state}` }, s.state)),
        el('div', { class: 'phase-dates' }, `${s.start} 至 ${s.end}`),
        s.measure ? el('div', { class: 'phase-measure' },
          `${MEASURES.find((m) => m[0] === s.measure)[1]}：全镇 ${s.actual_text}，应达 ${s.expected_text}`) : null,
        late ? el('div', { class: 'phase-behind', title: s.behind.join('、') }, `${s.behind.length} 个村滞后：${s.behind.slice(0, 6).join('、')}${s.behind.length > 6 ? '…' : ''}`) : null,
        el('div', { class: 'phase-bar' }, el('span', { style: `width:${s.elapsed.toFixed(1)}%` })));
    }));

    const bars = p.villages.map((v) => ({
      label: v.name,
      values: [v.rates.inspected_percent, v.rates.closed_percent],
      texts: [v.rates.inspected, v.rates.closed],
      marked: v.behind.length > 0,
    }));
    fill($('progress-bars'), percentBars(bars, [
      { label: '排查率', color: '#2f6db5' },
      { label: '销号率', color: '#3a9a5b' },
    ], { title: '各村排查率和销号率（红字为进度滞后的村）' }));
    fill($('progress-line'), progressLine(p.timeline, [
      { key: 'inspected', label: '已排查户厕', color: '#2f6db5' },
      { key: 'problems', label: '发现问题', color: '#c77c1e' },
      { key: 'closed', label: '已销号', color: '#3a9a5b' },
    ], { title: '全镇进度（按记录日期累计）' }));

    const num = (v) => el('td', { class: 'num' }, v);
    const row = (v, isTown) => el('tr', { class: `${isTown ? 'total' : ''} ${v.behind.length ? 'behind' : ''}`, dataset: isTown ? {} : { village: v.village_id }, title: v.behind.join('\n') },
      el('td', {}, v.name), num(v.households), num(v.toilets), num(v.inspected), num(v.rates.inspected),
      num(v.problems), num(v.immediate_fix), num(v.plan_district), num(v.plan_town_funded), num(v.undecided),
      num(v.rectified), num(v.closed), num(v.rates.closed), el('td', { class: `num ${v.overdue_unrectified ? 'bad' : ''}` }, v.overdue_unrectified), num(v.overdue_awaiting),
      num(isTown ? '' : v.rank), el('td', { class: 'behind-cell' }, v.behind.length ? '滞后' : ''),
      el('td', { class: 'next-cell' }, v.next
        ? el('button', { type: 'button', class: 'link next-action', dataset: { list: v.next.list, village: isTown ? '' : v.village_id }, title: '打开这份清单' }, v.next.text)
        : el('span', { class: 'ok' }, '已全部完成')));
    fill($('progress-rows'), p.villages.map((v) => row(v, false)), row(t, true));
  }

  /** 工作总结 draft as .docx, as of the chosen date. */
  async exportSummary() {
    const date = $('progress-date').value || today();
    const out = await ipc.pickSavePath('保存工作总结初稿', `工作总结-${date}.docx`, 'docx');
    if (!out) return;
    const n = await ipc.exportSummaryDocx(date, out);
    toast(`已生成工作总结初稿（排查户厕 ${n.inspected} 个，问题户厕 ${n.problems} 个，已销号 ${n.closed} 个）：${out}`, 'info');
  }

  async exportBulletin() {
    const month = ($('progress-date').value || today()).slice(0, 7);
    const out = await ipc.pickSavePath('导出月通报表格', `月通报-${month}.xlsx`);
    if (!out) return;
    const n = await ipc.exportReportXlsx('bulletin', month, null, out);
    toast(`已导出 ${month} 月通报表格（${n} 行）：${out}`, 'info');
  }

  phaseRow(ph) {
    const measure = el('select', { class: 'ph-measure' }, MEASURES.map(([v, l]) => el('option', { value: v, selected: (ph.measure ?? '') === v }, l)));
    return el('tr', {},
      el('td', {}, el('input', { class: 'ph-name', value: ph.name, maxlength: 20 })),
      el('td', {}, el('input', { ...DATE_FIELD, class: 'date ph-start', value: ph.start })),
      el('td', {}, el('input', { ...DATE_FIELD, class: 'date ph-end', value: ph.end })),
      el('td', {}, measure),
      el('td', {}, el('input', { class: 'ph-target', type: 'number', min: 0, max: 100, step: 1, value: ph.target })),
      el('td', {}, el('button', { type: 'button', class: 'link', onclick: (e) => e.target.closest('tr').remove() }, '删除')));
  }

  async editPhases() {
    const phases = await ipc.planPhases();
    fill($('phases-rows'), phases.map((ph) => this.phaseRow(ph)));
    $('phases-error').textContent = '';
    $('phases-dialog').showModal();
  }

  async savePhases() {
    const phases = [...$('phases-rows').querySelectorAll('tr')].map((tr) => ({
      name: tr.querySelector('.ph-name').value,
      start: tr.querySelector('.ph-start').value,
      end: tr.querySelector('.ph-end').value,
      measure: tr.querySelector('.ph-measure').value || null,
      target: Number(tr.querySelector('.ph-target').value || 0),
    }));
    try {
      await ipc.savePlanPhases(phases);
      $('phases-dialog').close();
      toast('已保存工作阶段。', 'info');
      await this.load();
    } catch (err) {
      $('phases-error').textContent = err.message;
    }
  }

  bindRows() {
    $('progress-rows').addEventListener('click', (e) => {
      const next = e.target.closest('button.next-action');
      if (next) {
        this.onNextAction(next.dataset.village ? Number(next.dataset.village) : null, next.dataset.list);
        return;
      }
      const tr = e.target.closest('tr[data-village]');
      if (tr) this.onOpenVillage(Number(tr.dataset.village));
    });
  }
}
