// 签字背书 of the selected place: how many checked toilets the reviewer and the responsible
// leader have signed, a button for each step, and the sign-off sheet to print.

import { $, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { latest } from '../util.js';

export class SignoffDialog {
  /** onPrint(scope, title): opens the print dialog on the sign-off sheet. */
  constructor({ onPrint }) {
    this.dialog = $('signoff-dialog');
    this.begin = latest();
    $('signoff-review').addEventListener('click', () => this.sign('review'));
    $('signoff-responsible').addEventListener('click', () => this.sign('responsible'));
    $('signoff-close').addEventListener('click', () => this.dialog.close());
    $('signoff-print').addEventListener('click', () => {
      this.dialog.close();
      onPrint(this.place.scope, this.place.title);
    });
  }

  /** place: { scope, title } as the tree describes the selected node. */
  async open(place) {
    this.place = place;
    $('signoff-error').textContent = '';
    this.dialog.showModal();
    await this.render();
  }

  async render() {
    const current = this.begin();
    const p = await ipc.signoffStatus(this.place.scope);
    if (!current()) return;
    $('signoff-scope').textContent = `范围：${this.place.title}`;
    $('signoff-counts').textContent = `已核查户厕 ${p.results} 个：审核人已签 ${p.reviewed} 个，负责人已签 ${p.responsible} 个。`;
    $('signoff-review').textContent = `审核签字（未审核的 ${p.results - p.reviewed} 个）`;
    $('signoff-review').disabled = p.results === p.reviewed;
    $('signoff-responsible').textContent = `负责人签字（已审核未签的 ${p.reviewed - p.responsible} 个）`;
    $('signoff-responsible').disabled = p.reviewed === p.responsible;
  }

  async sign(step) {
    $('signoff-error').textContent = '';
    try {
      const r = await ipc.signResults(this.place.scope, null, step);
      const own = step === 'review'
        ? `另有 ${r.own_skipped} 个是您本人录入或参加排查的，须由另一位审核人审核。`
        : `另有 ${r.own_skipped} 个是您本人录入、参加排查或审核的，须由另一位负责人签字。`;
      toast(r.own_skipped ? `已签字 ${r.signed} 个核查结果。${own}` : `已签字 ${r.signed} 个核查结果。`, 'info');
      await this.render();
    } catch (err) {
      $('signoff-error').textContent = err.message;
    }
  }
}
