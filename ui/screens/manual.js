// 使用手册: the season's tasks in order, each with the screenshot the end-to-end tests took of
// the program (ui/manual/), and the same manual printed as a PDF by the core.

import { $, el, fill } from '../dom.js';
import * as ipc from '../ipc.js';

export class ManualDialog {
  constructor() {
    this.dialog = $('manual-dialog');
    $('manual-close').addEventListener('click', () => this.dialog.close());
    $('manual-print').addEventListener('click', () => this.print());
  }

  async open() {
    $('manual-error').textContent = '';
    $('manual-result').replaceChildren();
    if (!this.loaded) {
      const sections = await ipc.manualSections();
      fill($('manual-body'), sections.map((s) => el('section', {},
        el('h3', {}, s.title),
        el('ol', {}, s.steps.map((t) => el('li', {}, t))),
        el('img', { src: `manual/${s.image}.jpg`, alt: `${s.title}的截图`, loading: 'lazy' }))));
      this.loaded = true;
    }
    this.dialog.showModal();
  }

  async print() {
    const button = $('manual-print');
    button.disabled = true;
    $('manual-error').textContent = '';
    try {
      const r = await ipc.printManual($('manual-open').checked);
      fill($('manual-result'),
        el('p', { id: 'manual-done' }, `已生成 ${r.pages} 页：`, el('span', { class: 'mono' }, r.path)),
        r.open_error ? el('p', { class: 'warn' }, r.open_error) : null);
    } catch (err) {
      $('manual-error').textContent = err.message;
    } finally {
      button.disabled = false;
    }
  }
}
