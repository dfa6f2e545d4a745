// 登录、账户和操作日志: the login screen (the first start creates the administrator), the
// accounts editor for administrators, and the audit log with its check and Excel export.

import { $, el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { entries, label } from '../labels.js';
import { activeStaff } from '../people.js';

/** The login screen. Resolves once someone is logged in. */
export class LoginScreen {
  constructor() {
    $('login-form').addEventListener('submit', (e) => { e.preventDefault(); this.go(); });
  }

  /** Shows the screen (first start: creating the administrator) and waits for a login. */
  show(hasAccounts, town, message = '') {
    this.first = !hasAccounts;
    $('login-screen').hidden = false;
    $('login-town').textContent = town || '';
    $('login-first').hidden = hasAccounts;
    $('login-display-row').hidden = hasAccounts;
    $('login-password2-row').hidden = hasAccounts;
    $('login-go').textContent = hasAccounts ? '登录' : '建立管理员账户并登录';
    $('login-error').textContent = message;
    $('login-password').value = '';
    $('login-password2').value = '';
    $('login-username').focus();
    return new Promise((resolve) => { this.done = resolve; });
  }

  async go() {
    const username = $('login-username').value;
    const password = $('login-password').value;
    $('login-error').textContent = '';
    try {
      let account;
      if (this.first) {
        if (password !== $('login-password2').value) {
          $('login-error').textContent = '两次输入的密码不一样，请重新输入。';
          return;
        }
        account = await ipc.createFirstAdmin({ username, display_name: $('login-display').value, role: 'admin', password });
      } else {
        account = await ipc.login(username, password);
      }
      $('login-screen').hidden = true;
      $('login-password').value = '';
      this.done(account);
    } catch (err) {
      if (err.code === 'damaged') {
        // The check after the start found the file damaged: the window offers a backup instead.
        $('login-screen').hidden = true;
        document.dispatchEvent(new CustomEvent('huce:damaged', { detail: err }));
        return;
      }
      $('login-error').textContent = err.message;
      $('login-password').select();
    }
  }
}

/**
 * 修改密码: one's own, with the old one. `forced()` opens it when an administrator set the
 * password: it cannot be cancelled, only left by logging out; it resolves true once the
 * password is changed, false when the user logged out (or the account locked).
 */
export function initPasswordDialog({ onLogout }) {
  const dialog = $('password-dialog');
  let forced = null;
  const open = (isForced) => {
    for (const id of ['pw-old', 'pw-new', 'pw-new2']) $(id).value = '';
    $('pw-error').textContent = '';
    $('pw-forced').hidden = !isForced;
    $('pw-cancel').hidden = isForced;
    $('pw-logout').hidden = !isForced;
    dialog.showModal();
    $('pw-old').focus();
  };
  const finish = (changed) => {
    const done = forced;
    forced = null;
    dialog.close();
    done?.(changed);
  };
  $('account-name').addEventListener('click', () => open(false));
  $('pw-cancel').addEventListener('click', () => dialog.close());
  $('pw-logout').addEventListener('click', async () => {
    await ipc.logout().catch(() => {});
    finish(false);
  });
  // Escape must not get round a forced change.
  dialog.addEventListener('cancel', (e) => { if (forced) e.preventDefault(); });
  // Closed from outside (the session ended meanwhile): the forced change did not happen.
  dialog.addEventListener('close', () => {
    const done = forced;
    forced = null;
    done?.(false);
  });
  $('password-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if ($('pw-new').value !== $('pw-new2').value) {
      $('pw-error').textContent = '两次输入的新密码不一样，请重新输入。';
      return;
    }
    try {
      await ipc.changePassword($('pw-old').value, $('pw-new').value);
      toast('密码已修改，下次登录请用新密码。', 'info');
      if (forced) finish(true);
      else dialog.close();
    } catch (err) {
      $('pw-error').textContent = err.message;
      if (err.code === 'login') {
        // Locked after too many wrong old passwords: the session has ended.
        if (forced) finish(false);
        else {
          dialog.close();
          onLogout(err.message);
        }
      }
    }
  });
  return {
    forced: () => new Promise((resolve) => { forced = resolve; open(true); }),
  };
}

const input = (cls, value, attrs = {}) => el('input', { class: cls, value: value ?? '', ...attrs });

/** 账户: administrators add accounts, set roles, link them to staff, reset passwords. */
export class AccountsDialog {
  constructor() {
    this.dialog = $('accounts-dialog');
    $('accounts-close').addEventListener('click', () => this.dialog.close());
  }

  async open() {
    this.dialog.showModal();
    await this.render();
  }

  async render() {
    $('accounts-error').textContent = '';
    const list = await ipc.accountList();
    const staff = activeStaff();
    const roleSelect = (v) => el('select', { class: 'a-role' }, entries('Role').map(([code, text]) => el('option', { value: code, selected: code === v }, text)));
    const staffSelect = (v) => el('select', { class: 'a-staff' }, el('option', { value: '' }, '（不关联）'),
      staff.map((s) => el('option', { value: s.id, selected: s.id === v }, `${s.name}（${s.unit}）`)));
    const row = (a) => {
      const locked = a?.locked_until && new Date(a.locked_until) > new Date();
      const tr = el('tr', { dataset: a ? { id: a.id } : { new: '1' }, class: a && !a.active ? 'off' : '' },
        el('td', {}, input('a-user', a?.username, { placeholder: a ? '' : '新增：用户名', maxlength: 20, autocomplete: 'off' })),
        el('td', {}, input('a-name', a?.display_name, { placeholder: '姓名', maxlength: 20 })),
        el('td', {}, roleSelect(a?.role ?? 'entry')),
        el('td', {}, staffSelect(a?.staff_id ?? null)),
        el('td', {}, input('a-pass', '', { type: 'password', placeholder: a ? '不改请留空' : '至少 8 位，字母加数字', autocomplete: 'new-password' })),
        el('td', {}, el('input', { type: 'checkbox', class: 'a-active', checked: a ? a.active : true })),
        el('td', {},
          el('button', { type: 'button', class: 'tool', onclick: () => this.save(tr, a?.id ?? null) }, a ? '保存' : '添加'),
          locked ? el('button', { type: 'button', class: 'tool', onclick: () => this.unlock(a.id) }, '解锁') : null));
      return tr;
    };
    fill($('accounts-rows'), list.map(row), row(null));
  }

  async save(tr, id) {
    const v = (cls) => tr.querySelector(`.${cls}`).value;
    try {
      await ipc.saveAccount(id, {
        username: v('a-user'), display_name: v('a-name'), role: v('a-role'),
        staff_id: v('a-staff') ? Number(v('a-staff')) : null,
        password: v('a-pass') || null, active: tr.querySelector('.a-active').checked,
      });
      await this.render();
      toast(id ? '已保存账户。' : '已添加账户。', 'info');
    } catch (err) {
      $('accounts-error').textContent = err.message;
    }
  }

  async unlock(id) {
    try {
      await ipc.unlockAccount(id);
      await this.render();
      toast('已解锁。', 'info');
    } catch (err) {
      $('accounts-error').textContent = err.message;
    }
  }
}

const ACTIONS = [
  ['', '全部操作'], ['login', '登录和退出'], ['account', '账户'], ['inspection', '录入核查'], ['case', '整改和销号'],
  ['import', '导入'], ['export', '导出个人信息'], ['staff', '工作人员'], ['problem_item', '问题口径'],
  ['settings', '设置'], ['sample', '抽查样本'], ['signoff', '签字背书'], ['view.personal', '查看完整号码'],
  ['backup', '备份'], ['restore', '恢复'], ['demo', '示例数据'],
];
const PAGE = 100;
const ACTION_LABELS = {
  login: '登录', logout: '退出登录', 'login.failed': '登录失败', 'login.locked': '账户锁定',
  'account.add': '添加账户', 'account.update': '修改账户', 'account.unlock': '解锁账户', 'account.password': '修改密码',
  'inspection.save': '录入核查', 'case.decide': '确定整改类别', 'case.move': '整改进度', 'case.reopen': '重新打开',
  import: '导入台账', 'export.personal': '导出个人信息', 'staff.add': '添加工作人员', 'staff.update': '修改工作人员',
  'problem_item.add': '添加问题口径', 'problem_item.update': '修改问题口径', 'settings.town': '镇名称',
  'settings.phases': '工作阶段', 'settings.documents': '文书设置', 'sample.draw': '抽取样本', demo: '示例数据',
  backup: '备份', restore: '恢复备份', 'signoff.review': '审核签字', 'signoff.responsible': '负责人签字',
  'signoff.unlock': '解锁核查结果', 'settings.template': '导出模板', 'settings.idle': '自动退出时间',
  'view.personal': '查看完整号码',
};

/** 操作日志: filter, page, check the chain, export. */
export class AuditDialog {
  constructor() {
    this.dialog = $('audit-dialog');
    this.offset = 0;
    $('audit-close').addEventListener('click', () => this.dialog.close());
    fill($('audit-action'), ACTIONS.map(([v, t]) => el('option', { value: v }, t)));
    for (const id of ['audit-actor', 'audit-action', 'audit-from', 'audit-to', 'audit-text']) {
      $(id).addEventListener('change', () => { this.offset = 0; this.render().catch((e) => toast(e.message)); });
    }
    $('audit-prev').addEventListener('click', () => { this.offset = Math.max(0, this.offset - PAGE); this.render().catch((e) => toast(e.message)); });
    $('audit-next').addEventListener('click', () => { this.offset += PAGE; this.render().catch((e) => toast(e.message)); });
    $('audit-verify').addEventListener('click', () => this.verify().catch((e) => toast(e.message)));
    $('audit-export').addEventListener('click', () => this.exportXlsx().catch((e) => toast(e.message)));
    $('anchor-check').addEventListener('click', () => this.checkAnchor());
  }

  /** 核对纸质签字背书表: the entry number and hash digits printed on the sheet. */
  async checkAnchor() {
    const out = $('anchor-result');
    try {
      const message = await ipc.checkPrintedAnchor(Number($('anchor-id').value), $('anchor-hash').value);
      out.textContent = message;
      out.className = `audit-check ${message.startsWith('一致') ? 'ok' : 'bad'}`;
    } catch (err) {
      out.textContent = err.message;
      out.className = 'audit-check bad';
    }
  }

  filter() {
    const v = (id) => $(id).value.trim() || null;
    return { actor: v('audit-actor'), action: v('audit-action'), from: v('audit-from'), to: v('audit-to'), text: v('audit-text') };
  }

  async open() {
    this.offset = 0;
    for (const id of ['audit-check', 'anchor-result']) {
      $(id).textContent = '';
      $(id).className = 'audit-check';
    }
    this.dialog.showModal();
    await this.render();
  }

  async render() {
    const page = await ipc.auditLog(this.filter(), this.offset, PAGE);
    fill($('audit-rows'), page.entries.map((e) => el('tr', { title: e.detail },
      el('td', { class: 'num' }, e.id), el('td', {}, e.at.replace('T', ' ').slice(0, 19)), el('td', {}, e.actor),
      el('td', {}, ACTION_LABELS[e.action] ?? e.action), el('td', {}, e.summary))));
    const last = Math.min(this.offset + PAGE, page.total);
    $('audit-count').textContent = page.total ? `第 ${this.offset + 1}–${last} 条，共 ${page.total} 条` : '没有符合条件的记录';
    $('audit-prev').disabled = this.offset === 0;
    $('audit-next').disabled = last >= page.total;
  }

  async verify() {
    $('audit-check').textContent = '正在逐条核验…';
    const v = await ipc.verifyAudit();
    $('audit-check').textContent = v.message;
    $('audit-check').className = `audit-check ${v.broken_at ? 'bad' : 'ok'}`;
  }

  async exportXlsx() {
    const out = await ipc.pickSavePath('导出操作日志', '操作日志.xlsx');
    if (!out) return;
    const n = await ipc.exportAuditXlsx(this.filter(), out);
    toast(`已导出 ${n} 条操作日志：${out}`, 'info');
  }
}

export const roleLabel = (code) => label('Role', code);
