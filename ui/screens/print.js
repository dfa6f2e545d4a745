// 打印文书: pick the document for the selected place, adjust the notice text and contact, and
// generate the PDF into the documents folder; it opens in the system's PDF viewer for printing.

import { $, el, fill } from '../dom.js';
import * as ipc from '../ipc.js';

const KINDS = {
  notices: ['整改告知单', '每个未销号的问题户厕一页，下方带回执'],
  problem_ledger: ['问题厕所台账', '横排表格，每页重复表头，带页码和制表人、审核人'],
  toilet_ledger: ['改厕台账', '每个户厕一行：台账底数和核查、整改情况'],
  signoff: ['签字背书表', '已核查户厕的结果，排查人、审核人、负责人签字栏'],
  household_file: ['户档案', '一户一档：台账底数、每次核查、照片和整改记录，用于区级抽查'],
  sample_list: ['抽查样本清单', '样本中的户厕、随机种子和抽取方法，留有抽查人填写栏'],
  check_sheets: ['现场核查表', '每个抽中的户厕一页：台账底数、最近一次结果和空白核查栏'],
  sample_files: ['抽中农户的户档案', '样本中每户的一户一档，合成一个 PDF'],
  bulletin: ['月通报', '所选月份的进度通报：说明、各村情况表、排名和图表'],
  onsite_slips: ['现场整改确认单', '立行立改的问题户厕，每页两份：当场整改情况、核查人和户主确认签字栏，没有整改期限'],
  acceptance_sheets: ['整改验收单', '已整改待验收和已销号的问题户厕每个一页：整改情况、验收意见、验收人和户主确认签字栏'],
  worklist: ['工作清单', '列表中当前清单的农户：村社、户主、户厕和核查情况，留有入户核实情况和核实人栏'],
  survey_sheets: ['入户排查表', '村级自查用：每个户厕一页，预填台账底数，问题按录入核查表的顺序编号；可加空白表给名单上没有的农户'],
  pending_list: ['待核实清单', '导入时写得不对或无法识别、暂时留空的内容，按村社列出，留有核实结果栏'],
};


export class PrintDialog {
  constructor() {
    this.dialog = $('print-dialog');
    $('print-blanks').value = '5'; // set here, not in index.html (see checks.js)
    $('print-close').addEventListener('click', () => this.dialog.close());
    $('print-go').addEventListener('click', () => this.go());
    $('print-xlsx').addEventListener('click', () => this.exportList());
    $('notice-default').addEventListener('click', () => {
      $('notice-text').value = this.defaultText ?? '';
      $('notice-text-district').value = this.defaultDistrictText ?? '';
      $('notice-plan').value = this.defaultPlan ?? '';
      this.showPlan();
    });
    $('notice-plan').addEventListener('input', () => this.showPlan());
    $('print-pick-folder').addEventListener('click', async () => {
      try {
        const dir = await ipc.pickFolder('选择文书保存的文件夹');
        if (dir) $('print-folder').textContent = dir;
      } catch (err) {
        $('print-error').textContent = err.message;
      }
    });
  }

  /** The plan the notices cite, as printed, beside the section's title. */
  showPlan() {
    const plan = ($('notice-plan').value.trim() || this.defaultPlan || '').replaceAll('{镇}', this.town ?? '');
    $('notice-plan-shown').textContent = plan ? `依据：${plan}` : '';
  }

  /** kinds: which documents to offer; filter: the ledger filter (its scope is the place). */
  /** extra: { sample_id } for sample documents, { month } for the bulletin. */
  async open(kinds, filter, scopeTitle, householdId = null, caseIds = null, extra = {}) {
    this.extra = extra;
    this.filter = filter;
    this.householdId = householdId;
    this.caseIds = caseIds;
    this.scopeTitle = scopeTitle;
    const settings = await ipc.documentSettings();
    // The notice text, contact and folder are the town's settings: only a role that may edit
    // settings changes them here (the command gate refuses the others anyway).
    this.canEdit = (document.body.dataset.allowed ?? '').split(' ').includes('edit_settings');
    for (const id of ['notice-plan', 'notice-text', 'notice-text-district', 'notice-contact', 'notice-phone']) $(id).readOnly = !this.canEdit;
    $('notice-default').hidden = !this.canEdit;
    $('print-pick-folder').hidden = !this.canEdit;
    $('notice-readonly').hidden = this.canEdit;
    this.defaultText = settings.default_text;
    this.defaultPlan = settings.default_plan_title;
    this.defaultDistrictText = settings.default_district_text;
    $('notice-text-district').value = settings.notice.text_district;
    this.town = settings.town_name;
    $('notice-plan').value = settings.notice.plan_title;
    this.showPlan();
    $('notice-text').value = settings.notice.text;
    $('notice-contact').value = settings.notice.contact;
    $('notice-phone').value = settings.notice.phone;
    $('print-folder').textContent = settings.folder;
    $('print-scope').textContent = caseIds
      ? `${caseIds.length === 1 ? `这个问题户厕（${scopeTitle}）` : `台账中选中的 ${caseIds.length} 个问题户厕`}${kinds.includes('problem_ledger') ? `；问题厕所台账：${scopeTitle}` : ''}`
      : `范围：${scopeTitle}${filter.category || filter.state || filter.overdue || filter.paper || filter.escalated_only ? '（按台账当前的筛选条件）' : ''}`;
    fill($('print-kinds'), kinds.map((k, i) => el('label', { class: 'check' },
      el('input', { type: 'radio', name: 'print-kind', value: k, checked: i === 0, id: `print-kind-${k}` }),
      el('b', {}, KINDS[k][0]), el('span', { class: 'hint-inline' }, KINDS[k][1]))));
    $('notice-settings').hidden = !kinds.includes('notices');
    $('print-month-row').hidden = !kinds.includes('bulletin');
    $('print-blanks-row').hidden = !kinds.includes('survey_sheets');
    $('print-xlsx').hidden = !kinds.includes('worklist') && !kinds.includes('problem_ledger');
    if (extra.month) $('print-month').value = extra.month;
    $('print-result').replaceChildren();
    $('print-error').textContent = '';
    $('print-progress').hidden = true;
    this.dialog.showModal();
  }

  /** The chosen worklist or 问题厕所台账 as .xlsx (masked), saved where the user picks. */
  async exportList() {
    $('print-error').textContent = '';
    const kind = this.dialog.querySelector('input[name=print-kind]:checked')?.value;
    try {
      if (kind === 'problem_ledger') {
        const out = await ipc.pickSavePath('导出问题厕所台账', `问题厕所台账-${this.scopeTitle}.xlsx`);
        if (!out) return;
        const n = await ipc.exportReportXlsx('problem_ledger', null, this.filter.scope, out, this.filter, this.scopeTitle);
        fill($('print-result'), el('p', { id: 'print-done' }, `已导出 ${n} 个问题户厕：`, el('span', { class: 'mono' }, out)));
        return;
      }
      if (kind !== 'worklist') {
        $('print-error').textContent = '这份文书只能生成 PDF；导出 Excel 请选“问题厕所台账”或“工作清单”。';
        return;
      }
      const out = await ipc.pickSavePath('导出工作清单', `工作清单-${this.scopeTitle}.xlsx`);
      if (!out) return;
      const r = await ipc.exportWorklist(this.filter.scope, this.scopeTitle, this.extra.list, out);
      fill($('print-result'), el('p', { id: 'print-done' }, `已导出 ${r.households} 户：`, el('span', { class: 'mono' }, out)));
    } catch (err) {
      $('print-error').textContent = err.message;
    }
  }

  async go() {
    const kind = this.dialog.querySelector('input[name=print-kind]:checked')?.value;
    const button = $('print-go');
    $('print-error').textContent = '';
    $('print-result').replaceChildren();
    button.disabled = true;
    let timer;
    try {
      if (this.canEdit) {
        await ipc.saveDocumentSettings({
          notice: { text: $('notice-text').value, contact: $('notice-contact').value, phone: $('notice-phone').value, plan_title: $('notice-plan').value, text_district: $('notice-text-district').value },
          folder: $('print-folder').textContent,
        });
      }
      $('print-progress').hidden = false;
      $('print-bar').style.width = '0';
      $('print-progress-text').textContent = '正在生成…';
      timer = setInterval(async () => {
        const [done, total] = await ipc.importProgress();
        if ((kind === 'notices' || kind === 'survey_sheets') && total > 1) {
          $('print-bar').style.width = `${Math.round((done * 100) / total)}%`;
          $('print-progress-text').textContent = `正在生成第 ${done} / ${total} ${kind === 'notices' ? '份告知单' : '页排查表'}…`;
        }
      }, 300);
      const r = await ipc.printDocument({
        kind, filter: this.filter, scope_title: this.scopeTitle, open: $('print-open').checked, household_id: this.householdId,
        case_ids: this.caseIds, ...this.extra,
        ...(kind === 'bulletin' ? { month: $('print-month').value } : {}),
        ...(kind === 'survey_sheets' ? { blanks: Math.max(0, Math.min(500, Number($('print-blanks').value) || 0)) } : {}),
      });
      $('print-bar').style.width = '100%';
      $('print-progress-text').textContent = '完成';
      fill($('print-result'),
        el('p', { id: 'print-done' }, `已生成 ${r.pages} 页（${(r.bytes / 1e6).toFixed(1)} MB）：`, el('span', { class: 'mono' }, r.path)),
        r.notes.map((n) => el('p', { class: 'hint' }, `说明：${n}`)),
        r.warnings.map((w) => el('p', { class: 'warn' }, w)),
        r.open_error ? el('p', { class: 'warn' }, r.open_error) : null);
    } catch (err) {
      $('print-error').textContent = err.message;
      $('print-progress').hidden = true;
    } finally {
      clearInterval(timer);
      button.disabled = false;
    }
  }
}
