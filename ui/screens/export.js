// 导出 Excel: the 改厕台账, the household list, or a saved column template (e.g. for the
// 重庆市防止返贫大数据监测平台) of the selected place; personal data masked unless asked.

import { $, el, toast } from '../dom.js';
import * as ipc from '../ipc.js';

export class ExportDialog {
  constructor() {
    $('export-cancel').addEventListener('click', () => $('export-dialog').close());
    $('export-go').addEventListener('click', () => this.go());
    $('edit-templates').addEventListener('click', () => this.editTemplates());
    $('tpl-close').addEventListener('click', () => $('template-dialog').close());
    $('tpl-save').addEventListener('click', () => this.saveTemplate());
    $('tpl-delete').addEventListener('click', () => this.deleteTemplate());
    $('tpl-pick').addEventListener('change', () => this.showTemplate($('tpl-pick').value));
    $('export-template').addEventListener('change', () => {
      document.querySelector('input[name="export-kind"][value="template"]').checked = true;
    });
  }

  async open(scope, title) {
    this.scope = scope;
    this.title = title;
    $('export-scope').textContent = `导出范围：${title}（在左侧选择行政村或社可以只导出那一部分）`;
    $('export-full').checked = false;
    $('export-error').textContent = '';
    await this.loadTemplates();
    $('export-dialog').showModal();
  }

  async loadTemplates(selected) {
    this.choices = await ipc.exportTemplates();
    const names = this.choices.templates.map((t) => t.name);
    $('export-template').replaceChildren(...(names.length
      ? names.map((n) => el('option', { value: n, selected: n === selected }, n))
      : [el('option', { value: '' }, '（还没有模板）')]));
  }

  async go() {
    const kind = document.querySelector('input[name="export-kind"]:checked').value;
    const template = kind === 'template' ? $('export-template').value : null;
    if (kind === 'template' && !template) {
      $('export-error').textContent = '还没有列模板，请先点“编辑模板…”建立一个。';
      return;
    }
    const what = { ledger: '改厕台账', households: '农户名单', template: template }[kind];
    const name = `${this.title}${what}.xlsx`.replace(/[\\/:*?"<>|（）\s]/g, '');
    $('export-error').textContent = '';
    try {
      const out = await ipc.pickSavePath('导出 Excel', name);
      if (!out) return;
      const s = await ipc.exportXlsx(kind, template, this.scope, $('export-full').checked, out);
      $('export-dialog').close();
      toast(`已导出 ${s.households} 户（${s.rows} 行）到 ${out}`, 'info');
    } catch (err) {
      $('export-error').textContent = err.message;
    }
  }

  // --- the template editor ---

  editTemplates() {
    const names = this.choices.templates.map((t) => t.name);
    $('tpl-pick').replaceChildren(el('option', { value: '' }, '（新建模板）'), ...names.map((n) => el('option', { value: n }, n)));
    $('tpl-pick').value = $('export-template').value || '';
    this.showTemplate($('tpl-pick').value);
    $('template-dialog').showModal();
  }

  showTemplate(name) {
    const t = this.choices.templates.find((x) => x.name === name);
    $('tpl-name').value = t ? t.name : '';
    $('tpl-error').textContent = '';
    // Chosen columns first, in the template's order, then the rest unticked.
    const chosen = t ? t.columns : [];
    const rest = this.choices.sources.filter((s) => !chosen.some((c) => c.source === s)).map((s) => ({ source: s, header: s, off: true }));
    this.rows = [...chosen.map((c) => ({ ...c, off: false })), ...rest];
    this.renderRows();
  }

  renderRows() {
    $('tpl-columns').replaceChildren(...this.rows.map((r, i) => {
      const box = el('input', { type: 'checkbox', checked: !r.off, title: '导出这一列' });
      box.addEventListener('change', () => { r.off = !box.checked; this.renderRows(); });
      const header = el('input', { type: 'text', value: r.header, disabled: r.off, title: '导出文件中的表头名称' });
      header.addEventListener('input', () => { r.header = header.value; });
      const move = (d) => () => {
        const j = i + d;
        if (j < 0 || j >= this.rows.length) return;
        [this.rows[i], this.rows[j]] = [this.rows[j], this.rows[i]];
        this.renderRows();
      };
      return el('div', { class: `tpl-row${r.off ? ' off' : ''}` }, box, el('span', {}, r.source), header,
        el('button', { type: 'button', title: '上移', onclick: move(-1) }, '↑'),
        el('button', { type: 'button', title: '下移', onclick: move(1) }, '↓'));
    }));
  }

  async saveTemplate() {
    const template = {
      name: $('tpl-name').value.trim(),
      columns: this.rows.filter((r) => !r.off).map((r) => ({ source: r.source, header: r.header.trim() })),
    };
    try {
      await ipc.saveExportTemplate(template);
      await this.loadTemplates(template.name);
      $('template-dialog').close();
      document.querySelector('input[name="export-kind"][value="template"]').checked = true;
      toast(`已保存模板“${template.name}”（${template.columns.length} 列）。`, 'info');
    } catch (err) {
      $('tpl-error').textContent = err.message;
    }
  }

  async deleteTemplate() {
    const name = $('tpl-pick').value;
    if (!name) return;
    try {
      await ipc.deleteExportTemplate(name);
      await this.loadTemplates();
      $('template-dialog').close();
      toast(`已删除模板“${name}”。`, 'info');
    } catch (err) {
      $('tpl-error').textContent = err.message;
    }
  }
}
