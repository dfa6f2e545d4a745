// 导入台账: pick a file, check it (a dry run in the core), correct the column mapping, look at
// the problem rows, then import for real. A progress bar follows long files.

import { $, el, toast } from '../dom.js';
import * as ipc from '../ipc.js';

const MAX_PROBLEMS_SHOWN = 300;

const LIST_LABELS = { auto: '自动识别', survey: '摸排名单（台账）', subsidy: '财政补助改厕名单' };

export class ImportDialog {
  constructor({ onImported }) {
    this.onImported = onImported;
    this.fields = [];
    this.columns = null; // the user's corrected mapping, or null for the detected one
    this.report = null;
    $('import-pick').addEventListener('click', () => this.pick());
    // A new check starts from the file as it is: its detected columns, and its detected sheet
    // unless one was chosen for this file.
    $('import-check').addEventListener('click', () => this.checkAgain());
    $('import-commit').addEventListener('click', () => this.commit());
    $('import-close').addEventListener('click', () => $('import-dialog').close());
    $('import-save-problems').addEventListener('click', () => this.saveProblems());
    $('import-list').addEventListener('change', () => { if (this.report && !this.report.committed) this.checkAgain(); });
    $('import-path').addEventListener('keydown', (e) => { if (e.key === 'Enter') this.checkAgain(); });
    // A workbook of several sheets (often one per village) is imported a sheet at a time.
    $('import-sheet').addEventListener('change', () => {
      this.columns = null;
      this.sheet = $('import-sheet').value;
      this.preview();
    });
  }

  /** Forgets the sheets of the last file (another file, or the dialog opened again). */
  resetSheets() {
    this.sheet = null;
    this.sheetsOf = null;
    $('import-sheet-label').hidden = true;
  }

  /** Offers the file's sheets when it has more than one. */
  showSheets(r) {
    this.sheetsOf = $('import-path').value.trim();
    this.sheet = r.sheet_name;
    $('import-sheet').replaceChildren(...r.sheets.map((name) => el('option', { value: name, selected: name === r.sheet_name }, name)));
    $('import-sheet-label').hidden = r.sheets.length < 2;
  }

  async open(villages, emptyDatabase) {
    if (!this.fields.length) this.fields = await ipc.importFields();
    const select = $('import-village');
    select.replaceChildren(el('option', { value: '' }, '（文件中有行政村列）'), ...villages.map((v) => el('option', { value: v }, v)));
    $('import-create').checked = emptyDatabase;
    this.reset();
    this.resetSheets();
    $('import-dialog').showModal();
    $('import-path').focus();
  }

  checkAgain() {
    this.columns = null;
    this.report = null;
    // The sheet chosen stays chosen for the same file (its village may just have been named).
    if (this.sheetsOf !== $('import-path').value.trim()) this.resetSheets();
    this.preview();
  }

  reset() {
    this.report = null;
    this.columns = null;
    $('import-preview').hidden = true;
    $('import-commit').disabled = true;
    $('import-save-problems').hidden = true;
    $('import-error').textContent = '';
  }

  request() {
    return {
      path: $('import-path').value.trim(),
      columns: this.columns,
      defaultVillage: $('import-village').value,
      createPlaces: $('import-create').checked,
      list: $('import-list').value,
      sheet: this.sheet ?? this.report?.sheet_name ?? null,
    };
  }

  async pick() {
    try {
      const path = await ipc.pickFile('选择要导入的台账', ['xlsx', 'xls', 'xlsm', 'csv']);
      if (path) {
        $('import-path').value = path;
        this.columns = null;
        this.report = null;
        this.resetSheets();
        await this.preview();
      }
    } catch (err) {
      $('import-error').textContent = err.message;
    }
  }

  /** Runs `task` with the progress bar shown and the buttons disabled. */
  async busy(label, task) {
    const buttons = ['import-check', 'import-commit', 'import-pick', 'import-close'].map($);
    buttons.forEach((b) => { b.disabled = true; });
    $('import-progress').hidden = false;
    $('import-progress-text').textContent = label;
    $('import-bar').style.width = '0%';
    const timer = setInterval(async () => {
      try {
        const [done, total] = await ipc.importProgress();
        $('import-bar').style.width = `${Math.round((100 * done) / Math.max(total, 1))}%`;
        $('import-progress-text').textContent = `${label} ${done} / ${total} 行`;
      } catch { /* progress is best effort */ }
    }, 250);
    try {
      return await task();
    } finally {
      clearInterval(timer);
      $('import-progress').hidden = true;
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  async preview() {
    $('import-error').textContent = '';
    if (!$('import-path').value.trim()) {
      $('import-error').textContent = '请先选择要导入的文件。';
      return;
    }
    try {
      this.report = await this.busy('正在检查…', () => ipc.importPreview(this.request()));
      this.showSheets(this.report);
      this.showReport(this.report);
    } catch (err) {
      this.reset();
      $('import-error').textContent = err.message;
    }
  }

  showReport(r) {
    $('import-preview').hidden = false;
    const ok = r.rows_total - r.rows_rejected;
    const summary = [
      el('div', {}, `文件：${r.file_name}　工作表：${r.sheet_name}　表头在第 ${r.header_row} 行${r.used_saved_mapping ? '（套用了上次保存的列对应关系）' : ''}`),
      r.sheets.length > 1 ? el('div', { id: 'import-sheets' }, `本文件有 ${r.sheets.length} 个工作表，一次导入一个：`
        + `${r.committed ? '可以在上面“工作表”里选下一个，检查后导入。' : '导入本表后，在上面“工作表”里选下一个。'}`) : null,
      r.village_from_sheet ? el('div', { id: 'import-sheet-village' }, `本表没有“行政村”列：各行属于工作表名所说的行政村“${r.village_from_sheet}”。`) : null,
      el('div', { id: 'import-tally' }, `数据 ${r.rows_total} 行（另有空行 ${r.rows_blank}）：`,
        el('b', { id: 'import-ok' }, `导入 ${ok} 行`), '，其中 ',
        el('span', { id: 'import-flagged', class: r.rows_flagged ? 'flagged' : '' }, `待核实 ${r.rows_flagged} 行`),
        '；', el('span', { id: 'import-rejected', class: r.rows_rejected ? 'bad' : '' }, `未导入 ${r.rows_rejected} 行`)),
      r.rows_flagged ? el('div', { class: 'hint-inline' }, '待核实：这些农户照常导入，写得不对或无法识别的项暂时空着，导入后在“待核实”清单里逐项核实更正。') : null,
      r.rows_rejected ? el('div', { class: 'hint-inline' }, '未导入：没有户主、行政村或社，与上面某行完全重复，或会把两户并成一户的行。') : null,
      r.rows_skipped ? el('div', { id: 'import-skipped', title: r.skipped.map((k) => `第 ${k.row} 行：${k.message}`).join('\n') },
        `跳过合计行和表格说明 ${r.rows_skipped} 行：`, r.skipped.slice(0, 5).map((k) => `第 ${k.row} 行`).join('、'),
        r.skipped.length > 5 ? ' 等' : '') : null,
      r.namesakes.length ? el('div', { id: 'import-namesakes', class: 'flagged', title: r.namesakes.map((k) => `第 ${k.row} 行：${k.message}`).join('\n') },
        `同名另户 ${r.namesakes.length} 行（与前面同社同名的户主住址或电话不同，按另一户新增，请核实）：`,
        r.namesakes.slice(0, 5).map((k) => `第 ${k.row} 行`).join('、'), r.namesakes.length > 5 ? ' 等' : '') : null,
      r.new_heads.length ? el('div', { id: 'import-new-heads', class: 'flagged', title: r.new_heads.map((k) => `第 ${k.row} 行：${k.message}`).join('\n') },
        `户主变更 ${r.new_heads.length} 户（身份证号与已有农户相同、户主姓名不同，按户主变更更新户主，请核实不是身份证号写错）：`,
        r.new_heads.slice(0, 5).map((k) => `第 ${k.row} 行`).join('、'), r.new_heads.length > 5 ? ' 等' : '') : null,
      r.kept_from_door.length ? el('div', { id: 'import-kept-from-door', class: 'flagged', title: r.kept_from_door.map((k) => `第 ${k.row} 行【${k.column}】${k.message}`).join('\n') },
        `入户核查已核实、未按台账改动 ${r.kept_from_door.length} 项（台账与入户核查不一致，保留入户核查的值；如台账正确，请在入户核查中更正）：`,
        r.kept_from_door.slice(0, 5).map((k) => `第 ${k.row} 行${k.column}`).join('、'), r.kept_from_door.length > 5 ? ' 等' : '') : null,
      ...r.notes.map((n) => el('div', { class: 'flagged import-note' }, n)),
      el('div', { id: 'import-counts' }, `农户：新增 ${r.households_new}，更新 ${r.households_updated}，无变化 ${r.households_unchanged}；`
        + `户厕：新增 ${r.toilets_new}，更新 ${r.toilets_updated}，无变化 ${r.toilets_unchanged}；修改字段 ${r.fields_changed} 处`),
    ];
    if (r.new_villages.length) summary.push(el('div', {}, `将新建行政村：${r.new_villages.join('、')}`));
    if (r.new_groups.length) summary.push(el('div', {}, `将新建社：${r.new_groups.slice(0, 30).join('、')}${r.new_groups.length > 30 ? ` 等 ${r.new_groups.length} 个` : ''}`));
    summary.push(el('div', { id: 'import-list-kind' }, `名单类型：${LIST_LABELS[r.list] ?? r.list}${$('import-list').value === 'auto' ? '（按列自动识别，可在上面改选）' : ''}`));
    if (r.merge) summary.push(this.mergeBox(r.merge));
    if (r.committed) {
      const backup = r.backup_path ? `导入前的备份：${r.backup_path}`
        : r.backup_not_needed ? '本次没有改动任何数据，不需要另做备份。'
          : '数据在服务器上，由服务器的定时备份保护。';
      summary.unshift(el('div', { class: 'done', id: 'import-done' }, `✔ 已导入。${backup}`));
    }
    $('import-summary').replaceChildren(...summary.filter(Boolean));

    $('import-mapping').replaceChildren(...r.columns.map((c) => {
      const select = el('select', { dataset: { index: c.index }, class: c.field ? '' : 'unmapped' },
        el('option', { value: '' }, '— 不导入 —'),
        ...this.fields.map((f) => el('option', { value: f.code, selected: f.code === c.field }, f.label)));
      select.addEventListener('change', () => this.remap());
      return el('label', {}, c.header || `（第 ${c.index + 1} 列，无表头）`, select);
    }));

    const flags = r.flags.slice(0, MAX_PROBLEMS_SHOWN);
    $('import-flags-title').hidden = !r.flags.length;
    $('import-flags-title').textContent = `待核实的内容（${r.flags.length} 项，农户已导入，这些项暂时留空${r.flags.length > flags.length ? `；只显示前 ${flags.length} 项，全部可导出` : ''}）`;
    $('import-flags').replaceChildren(r.flags.length ? el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, '行号'), el('th', {}, '列'), el('th', {}, '台账原值'), el('th', {}, '原因'))),
      el('tbody', {}, flags.map((f) => el('tr', {}, el('td', {}, f.row), el('td', {}, f.column), el('td', {}, f.written), el('td', { class: 'msg' }, f.message))))) : '');
    const shown = r.problems.slice(0, MAX_PROBLEMS_SHOWN);
    $('import-problems-title').textContent = r.problems.length
      ? `未导入的行（${r.problems.length} 条${r.problems.length > shown.length ? `，只显示前 ${shown.length} 条，全部可导出` : ''}）`
      : '没有未导入的行';
    $('import-problems').replaceChildren(r.problems.length ? el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, '行号'), el('th', {}, '列'), el('th', {}, '问题'))),
      el('tbody', {}, shown.map((p) => el('tr', {}, el('td', {}, p.row), el('td', {}, p.column), el('td', { class: 'msg' }, p.message))))) : '');
    $('import-save-problems').hidden = !r.problems.length && !r.flags.length;
    $('import-commit').disabled = r.committed || ok === 0;
  }

  /** 查缺补漏: how the subsidy list met the stored survey list. */
  mergeBox(m) {
    const part = (id, title, lines, total = lines.length) => (lines.length ? el('details', { id, open: true },
      el('summary', {}, `${title}（${total} 个）`),
      el('ul', {}, lines.slice(0, 50).map((l) => el('li', {},
        `${l.row ? `第 ${l.row} 行 ` : ''}${l.place} ${l.head_name}${l.toilet_seq ? ` 第${l.toilet_seq}个户厕` : ''}：${l.note}`))),
      lines.length > 50 ? el('p', { class: 'hint-inline' }, `只显示前 50 个。`) : null) : null);
    return el('div', { class: 'merge-box', id: 'import-merge' },
      el('b', {}, `与已有户厕比对（查缺补漏）：对上 ${m.matched} 个户厕`), m.already ? `，其中 ${m.already} 个补助记录已在库中` : '',
      el('p', { class: 'hint-inline' }, '补助名单写入补助年度、金额和项目名称，其余各项只填摸排没填的，不覆盖摸排结果。'),
      part('import-merge-new-households', '补助名单有、摸排名单无此户（将新增）', m.new_households),
      part('import-merge-new-toilets', '补助名单有、本户没有对应户厕（将新增户厕）', m.new_toilets),
      part('import-merge-said-no', '摸排记为未获补助、补助名单有', m.survey_said_no),
      part('import-merge-differs', '补助记录与库中不同（按补助名单更正）', m.record_differs),
      part('import-merge-only-survey', '摸排记为财政补助、补助名单中没有', m.only_on_survey, m.only_on_survey_total));
  }

  remap() {
    this.columns = [...$('import-mapping').querySelectorAll('select')].map((s) => s.value || null);
    this.preview();
  }

  async commit() {
    $('import-error').textContent = '';
    try {
      const r = await this.busy('正在导入…', () => ipc.importCommit(this.request()));
      this.report = r;
      this.showReport(r);
      toast(`导入完成：新增 ${r.households_new} 户、${r.toilets_new} 个户厕，更新 ${r.households_updated} 户、${r.toilets_updated} 个户厕。${r.rows_flagged ? `${r.rows_flagged} 行有待核实的内容，已列入待核实清单。` : ''}`, 'info');
      await this.onImported();
    } catch (err) {
      $('import-error').textContent = err.message;
    }
  }

  async saveProblems() {
    try {
      const out = await ipc.pickSavePath('保存问题行', `${this.report.file_name.replace(/\.[^.]+$/, '')}-问题行.xlsx`);
      if (!out) return;
      const n = await ipc.importSaveProblems(this.request(), out);
      toast(`已把 ${n} 行（未导入的和有待核实内容的）保存到 ${out}，可以发回村里改正后重新导入。`, 'info');
    } catch (err) {
      $('import-error').textContent = err.message;
    }
  }
}
