// 比对抽查: 多方比对 (the village's own check against the town's re-check, the district's spot
// check and the baseline) and 区级抽查 samples (drawn, kept and printed).

import { $, el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { latest } from '../util.js';
import { label } from '../labels.js';

const LIMIT = 500;

export class Checks {
  /** onListBatch(households, title): the household list narrowed to a batch to re-survey. */
  constructor({ onOpenHousehold, onEnterSample, onListBatch, villages, onPrint }) {
    this.onOpenHousehold = onOpenHousehold;
    this.onEnterSample = onEnterSample;
    this.onListBatch = onListBatch;
    this.villages = villages;
    this.onPrint = onPrint;
    this.tab = 'compare';
    this.beginCompare = latest();
    this.beginSamples = latest();
    this.beginSample = latest();
    $('checks-tab-compare').addEventListener('click', () => this.show('compare'));
    $('checks-tab-samples').addEventListener('click', () => this.show('samples'));
    $('diff-rows').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-household]');
      if (tr) this.onOpenHousehold(Number(tr.dataset.household));
    });
    // A sampled toilet opens the 区级抽查 form on it; 保存并转到下一个 goes down the sample.
    $('sample-rows').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-pos]');
      if (tr) this.enter(Number(tr.dataset.pos));
    });
    $('sample-enter').addEventListener('click', () => {
      const rows = this.sampleRows ?? [];
      const first = rows.findIndex((r) => !r.spot_checked);
      this.enter(first < 0 ? 0 : first);
    });
    $('sample-new').addEventListener('click', () => this.newSample());
    $('sample-district').addEventListener('click', () => this.districtList());
    $('district-close').addEventListener('click', () => $('district-dialog').close());
    $('district-pick').addEventListener('click', async () => {
      try {
        const path = await ipc.pickFile('选择区里的抽查名单', ['xlsx', 'xls', 'csv']);
        if (path) { $('district-path').value = path; await this.checkDistrictList(); }
      } catch (err) { $('district-error').textContent = err.message; }
    });
    $('district-check').addEventListener('click', () => this.checkDistrictList());
    $('district-keep').addEventListener('click', () => this.keepDistrictList());
    $('sample-form').addEventListener('submit', (e) => { e.preventDefault(); this.draw(); });
    $('sample-cancel').addEventListener('click', () => $('sample-dialog').close());
    $('sample-reproduce').addEventListener('click', () => this.reproduce().catch((e) => toast(e.message)));
    // A number field's first value is set here, not in index.html: one there makes WebKit load its
    // number formats at the start (#21).
    $('sample-size').value = '10';
    $('sample-min').value = '5';
    for (const id of ['sample-size-kind', 'sample-size']) $(id).addEventListener('input', () => this.sizeHint());
    $('sample-print-list').addEventListener('click', () => this.print('sample_list'));
    $('sample-print-sheets').addEventListener('click', () => this.print('check_sheets'));
    $('sample-print-files').addEventListener('click', () => this.print('sample_files'));
    $('diff-export').addEventListener('click', () => this.exportDiffs().catch((e) => toast(e.message)));
  }

  show(tab) {
    this.tab = tab;
    $('checks-compare').hidden = tab !== 'compare';
    $('checks-samples').hidden = tab !== 'samples';
    $('checks-tab-compare').classList.toggle('active', tab === 'compare');
    $('checks-tab-samples').classList.toggle('active', tab === 'samples');
    (tab === 'compare' ? this.loadCompare() : this.loadSamples()).catch((e) => toast(e.message));
  }

  async load(scope, title) {
    this.scope = scope;
    this.title = title;
    $('checks-title').textContent = title;
    if (this.tab === 'compare') await this.loadCompare();
    else await this.loadSamples();
  }

  async loadCompare() {
    if (!this.scope) return;
    const current = this.beginCompare();
    $('diff-count').textContent = '正在比对…';
    const c = await ipc.comparison(this.scope, LIMIT);
    if (!current()) return;
    const rateRow = (r, village) => {
      return el('tr', { class: r.level ? `rate-${r.level}` : '' }, el('td', {}, r.name || '（未记录调查组）'), el('td', { class: 'num' }, r.compared),
        el('td', { class: 'num' }, r.differing), el('td', { class: 'num' }, r.shown), el('td', {}, r.advice, this.adviceButton(r, village)),
        village ? el('td', { class: 'num' }, r.baseline_compared) : null,
        village ? el('td', { class: 'num' }, r.baseline_differing) : null);
    };
    $('compare-note').textContent = c.note;
    fill($('rate-villages'), c.villages.map((r) => rateRow(r, true)));
    fill($('rate-groups'), c.groups.length ? c.groups.map((r) => rateRow(r, false))
      : el('tr', {}, el('td', { colspan: 5, class: 'placeholder' }, '还没有同一户厕的两次核查（村级自查和镇级复核）可比。')));
    fill($('diff-rows'), c.differences.map((d) => el('tr', { dataset: { household: d.household_id }, title: '点击查看这一户' },
      el('td', {}, `${d.village_name} ${d.group_name}`), el('td', {}, d.head_name), el('td', { class: 'num' }, d.toilet_seq),
      el('td', { class: d.between_checks ? 'diff-checks' : 'diff-baseline' }, d.between_checks ? '核查之间' : '台账底数'),
      el('td', {}, d.field), el('td', {}, `${d.left}：${d.left_value}`), el('td', {}, `${d.right}：${d.right_value}`))));
    $('diff-count').textContent = c.total > c.differences.length
      ? `共 ${c.total} 处差异，这里列出前 ${c.differences.length} 处；全部请导出 Excel。`
      : `共 ${c.total} 处差异。`;
  }

  /** The button that does what the advice says: 二次回查 draws the re-check sample of the
   *  batch; 重新调查该批 lists the batch's households for re-inspection. */
  adviceButton(r, village) {
    if (!r.toilets?.length) return null;
    const who = village ? r.name : `调查组 ${r.name}`;
    if (r.advice.startsWith('二次回查')) {
      return el('button', { type: 'button', class: 'tool small advice-act', dataset: { act: 'recheck' }, onclick: () => this.drawRecheck(r, who).catch((e) => toast(e.message)) },
        '抽取二次回查样本');
    }
    if (r.advice.startsWith('重新调查')) {
      return el('button', { type: 'button', class: 'tool small advice-act', dataset: { act: 'resurvey' }, onclick: () => this.onListBatch(r.households, `${who}核查的一批（${r.households.length} 户）：请重新入户调查`) },
        '列出该批农户');
    }
    return null;
  }

  /** 二次回查: a 镇级复核 sample of 30% of the batch (at least 5 toilets), drawn and opened. */
  async drawRecheck(r, who) {
    const count = Math.min(r.toilets.length, Math.max(5, Math.ceil(r.toilets.length * 0.3)));
    const s = await ipc.drawSample({
      villages: [], size: { count }, min_per_village: 0, oversample_problems: false,
      batch: { toilets: r.toilets, kind: 'town_recheck', purpose: `二次回查：${who}` },
    });
    toast(`已抽取第 ${s.id} 号样本（二次回查：${who}，${s.toilets.length} 个户厕），结果按镇级复核录入。`, 'info');
    this.show('samples');
    await this.loadSamples(s.id);
  }

  async loadSamples(selectId = null) {
    const current = this.beginSamples();
    const list = await ipc.sampleList();
    if (!current()) return;
    this.samples = list;
    fill($('sample-list'), list.length ? list.map((s) => el('li', {},
      el('button', { type: 'button', class: `sample-item ${s.id === this.sampleId ? 'active' : ''}`, dataset: { id: s.id }, onclick: () => this.openSample(s.id) },
        el('b', {}, `第 ${s.id} 号样本`), el('span', {}, `${s.created_at.slice(0, 10)} · ${s.size} 个户厕`))))
      : el('li', { class: 'placeholder' }, '还没有抽查样本。点“新建抽查样本”抽取。'));
    const id = selectId ?? this.sampleId ?? list[0]?.id;
    if (id) await this.openSample(id);
    else {
      $('sample-detail').hidden = true;
    }
  }

  async openSample(id) {
    this.sampleId = id;
    const current = this.beginSample();
    for (const b of $('sample-list').querySelectorAll('.sample-item')) b.classList.toggle('active', Number(b.dataset.id) === id);
    const d = await ipc.sampleDetail(id);
    if (!current()) return; // another sample was opened meanwhile
    $('sample-detail').hidden = false;
    $('sample-reproduce-result').textContent = '';
    this.sampleKind = d.sample.kind;
    // A district's list was not drawn: it has no seed to reproduce.
    $('sample-reproduce').hidden = !d.sample.seed_drawn && d.sample.seed === 0;
    $('sample-title').textContent = `第 ${id} 号${d.sample.purpose ? `样本·${d.sample.purpose}` : '抽查样本'}（${d.sample.toilets.length} 个户厕，抽自 ${d.sample.population} 个）`;
    $('sample-method').textContent = `${d.sample.method}　抽取人：${d.sample.created_by}　时间：${d.sample.created_at.replace('T', ' ').slice(0, 16)}`;
    this.sampleRows = d.rows;
    const done = d.rows.filter((r) => r.spot_checked).length;
    $('sample-progress').textContent = `已录入${label('InspectionKind', d.sample.kind)}结果 ${done} / ${d.rows.length}`;
    fill($('sample-rows'), d.rows.map((r, pos) => el('tr', { dataset: { household: r.household_id, pos }, title: '点击录入这个户厕的区级抽查结果' },
      el('td', { class: 'num' }, r.seq), el('td', {}, `${r.village_name} ${r.group_name}`), el('td', {}, r.head_name),
      el('td', { class: 'num' }, r.toilet_seq), el('td', {}, r.is_problem ? '问题户厕' : ''),
      el('td', {}, r.last_check ?? '尚无核查'), el('td', { class: r.spot_checked ? 'ok' : '' }, r.spot_checked ? '已抽查' : ''))));
  }

  /** Keys in the sample's 区级抽查 results from sampled toilet `pos` on. */
  enter(pos) {
    const rows = this.sampleRows ?? [];
    if (!rows.length) return;
    this.onEnterSample({
      origin: `sample:${this.sampleId}`,
      sample_id: this.sampleId,
      kind: this.sampleKind ?? 'district_spot',
      kind_label: label('InspectionKind', this.sampleKind ?? 'district_spot'),
      title: `第 ${this.sampleId} 号样本`,
      items: rows.map((r) => ({ household_id: r.household_id, toilet_id: r.toilet_id })),
    }, pos);
  }

  /** 区里指定的抽查名单: matched first (nothing written), then kept as a sample. */
  districtList() {
    $('district-result').replaceChildren();
    $('district-error').textContent = '';
    $('district-keep').disabled = true;
    $('district-dialog').showModal();
    $('district-path').focus();
  }

  async checkDistrictList() {
    $('district-error').textContent = '';
    $('district-keep').disabled = true;
    try {
      const m = await ipc.matchDistrictList($('district-path').value.trim());
      fill($('district-result'),
        el('p', { id: 'district-summary' }, `按 ${m.columns} 对上 ${m.households.length} 户、${m.toilets.length} 个户厕。`),
        m.misses.length ? el('details', { open: true }, el('summary', {}, `没有对上或不列入的 ${m.misses.length} 行`),
          el('ul', { id: 'district-misses' }, m.misses.slice(0, 100).map((x) => el('li', {}, `${x.row ? `第 ${x.row} 行 ` : ''}${x.text}：${x.reason}`)))) : null);
      $('district-keep').disabled = m.toilets.length === 0;
    } catch (err) {
      $('district-error').textContent = err.message;
    }
  }

  async keepDistrictList() {
    try {
      const s = await ipc.keepDistrictList($('district-path').value.trim());
      $('district-dialog').close();
      toast(`已建立第 ${s.id} 号样本（区里指定的名单，${s.toilets.length} 个户厕），结果按区级抽查录入。`, 'info');
      await this.loadSamples(s.id);
    } catch (err) {
      $('district-error').textContent = err.message;
    }
  }

  newSample() {
    const box = $('sample-villages');
    fill(box, this.villages().map((v) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', value: v.id, checked: true }), v.name)));
    $('sample-error').textContent = '';
    this.sizeHint();
    $('sample-dialog').showModal();
  }

  sizeHint() {
    const kind = $('sample-size-kind').value;
    $('sample-size').placeholder = kind === 'percent' ? '例如 10' : '例如 300';
    const population = this.villages().reduce((n, v) => n + (v.toilets ?? 0), 0);
    ipc.recommendedSampleSize(population).then((n) => {
      $('sample-hint').textContent = `全镇 ${population} 个户厕。按 95% 置信度、±5% 误差估计一个比率，建议至少 ${n} 个；抽查实践一般为 10%–20%。`;
    }).catch(() => {});
  }

  async draw() {
    const villages = [...$('sample-villages').querySelectorAll('input:checked')].map((i) => Number(i.value));
    const amount = Number($('sample-size').value);
    const kind = $('sample-size-kind').value;
    if (!villages.length) {
      $('sample-error').textContent = '请至少选择一个行政村。';
      return;
    }
    if (!(amount > 0)) {
      $('sample-error').textContent = kind === 'percent' ? '请填写抽查比例，例如 10（表示 10%）。' : '请填写抽查户厕数，例如 300。';
      return;
    }
    const all = villages.length === this.villages().length;
    const spec = {
      villages: all ? [] : villages,
      size: kind === 'percent' ? { percent: amount } : { count: Math.round(amount) },
      min_per_village: Number($('sample-min').value || 0),
      oversample_problems: $('sample-oversample').checked,
      // The town's own draw is its 镇级抽查, keyed in as 镇级复核.
      batch: $('sample-purpose').value === 'town'
        ? { toilets: [], kind: 'town_recheck', purpose: '镇级抽查', listed: false } : null,
    };
    try {
      const s = await ipc.drawSample(spec);
      $('sample-dialog').close();
      toast(`已抽取第 ${s.id} 号样本：${s.toilets.length} 个户厕。`, 'info');
      this.sampleId = s.id;
      await this.loadSamples(s.id);
    } catch (err) {
      $('sample-error').textContent = err.message;
    }
  }

  async exportDiffs() {
    const out = await ipc.pickSavePath('导出多方比对', `多方比对-${this.title ?? '全镇'}.xlsx`);
    if (!out) return;
    const n = await ipc.exportReportXlsx('comparison', null, this.scope ?? { kind: 'town' }, out);
    toast(`已导出 ${n} 处差异和各村、各调查组的差异率：${out}`, 'info');
  }

  print(kind) {
    if (!this.sampleId) return;
    this.onPrint(kind, this.sampleId);
  }

  /** 复现核对: draws the sample again from its recorded seed and compares. */
  async reproduce() {
    if (!this.sampleId) return;
    const out = $('sample-reproduce-result');
    out.textContent = '正在按记录的随机种子重新抽取…';
    const r = await ipc.reproduceSample(this.sampleId);
    out.textContent = r.message;
    out.classList.toggle('form-error', !r.same);
  }
}
