// 导出 Excel: the 改厕台账 or the household list of the selected place, masked by default.

import { $, toast } from '../dom.js';
import * as ipc from '../ipc.js';

export class ExportDialog {
  constructor() {
    $('export-cancel').addEventListener('click', () => $('export-dialog').close());
    $('export-go').addEventListener('click', () => this.go());
  }

  open(scope, title) {
    this.scope = scope;
    this.title = title;
    $('export-scope').textContent = `导出范围：${title}（在左侧选择行政村或社可以只导出那一部分）`;
    $('export-full').checked = false;
    $('export-error').textContent = '';
    $('export-dialog').showModal();
  }

  async go() {
    const kind = document.querySelector('input[name="export-kind"]:checked').value;
    const name = `${this.title}${kind === 'ledger' ? '改厕台账' : '农户名单'}.xlsx`.replace(/[\\/:*?"<>|（）\s]/g, '');
    $('export-error').textContent = '';
    try {
      const out = await ipc.pickSavePath('导出 Excel', name);
      if (!out) return;
      const s = await ipc.exportXlsx(kind, this.scope, $('export-full').checked, out);
      $('export-dialog').close();
      toast(`已导出 ${s.households} 户（${s.rows} 行）到 ${out}`, 'info');
    } catch (err) {
      $('export-error').textContent = err.message;
    }
  }
}
