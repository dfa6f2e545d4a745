// Starts the workbench: header, place tree, household list and details pane.

import { $, toast } from './dom.js';
import * as ipc from './ipc.js';
import { setVocabularies } from './labels.js';
import { PlaceTree } from './screens/tree.js';
import { HouseholdList } from './screens/list.js';
import { renderDetail } from './screens/detail.js';
import { ImportDialog } from './screens/import.js';
import { ExportDialog } from './screens/export.js';
import { InspectionForm } from './screens/inspection.js';
import { ProblemLedger } from './screens/ledger.js';
import { ItemsDialog, StaffDialog } from './screens/lists.js';
import { PrintDialog } from './screens/print.js';
import { initOperator, linkOperator, reloadStaff, setDatabase } from './people.js';
import { Dashboard } from './screens/progress.js';
import { Checks } from './screens/checks.js';
import { AccountsDialog, AuditDialog, LoginScreen, initPasswordDialog, roleLabel } from './screens/auth.js';
import { BackupDialog } from './screens/backups.js';

const showError = (err) => toast(err.message || String(err));

let info;
let detailRequest = 0;
let view = 'households';
/** Set when the inspection form should open on the next household shown (continuous entry). */
let continueEntry = false;

const tree = new PlaceTree($('tree'), ({ scope, title }) => {
  $('scope-title').textContent = title;
  if (view === 'ledger') ledger.load(scope, title);
  else if (view === 'checks') checks.load(scope, title).catch(showError);
  else if (view === 'households') list.load(scope, $('search').value);
});

/** Shows household `id` in the details pane, with its inspections and problem cases. */
async function showHousehold(id) {
  const mine = ++detailRequest;
  try {
    const [d, file] = await Promise.all([ipc.householdDetail(id), ipc.fieldFile(id)]);
    if (mine !== detailRequest) return;
    renderDetail($('detail'), d, file, (index) => inspection.open(d, index).catch(showError), () => printHousehold(d));
    if (continueEntry) {
      continueEntry = false;
      await inspection.open(d, 0);
    }
  } catch (err) {
    continueEntry = false;
    showError(err);
  }
}

const list = new HouseholdList({
  body: $('list-body'),
  spacer: $('list-spacer'),
  countEl: $('list-count'),
  onError: showError,
  onSelect: (id) => showHousehold(id),
});

const inspection = new InspectionForm({
  onSaved: async (saved, household) => {
    const file = await ipc.fieldFile(household.id);
    renderDetail($('detail'), household, file, (index) => inspection.open(household, index).catch(showError), () => printHousehold(household));
  },
  onNextHousehold: async () => {
    const next = list.selectedIndex + 1;
    if (list.selectedIndex < 0 || next >= list.total) {
      toast('这已是列表中的最后一户。', 'info');
      return;
    }
    continueEntry = true;
    await list.select(next);
  },
});

const ledger = new ProblemLedger({
  onOpenHousehold: (id) => openHousehold(id),
  onSelectVillage: (villageId) => tree.select(`village:${villageId}`, true),
});

const VIEWS = ['households', 'ledger', 'progress', 'checks'];

function setView(next) {
  view = next;
  const isLedger = next === 'ledger';
  const wide = next === 'progress' || next === 'checks';
  $('ledger-pane').hidden = !isLedger;
  $('case-pane').hidden = !isLedger;
  $('progress-pane').hidden = next !== 'progress';
  $('checks-pane').hidden = next !== 'checks';
  $('workbench').classList.toggle('ledger-mode', isLedger);
  $('workbench').classList.toggle('wide-mode', wide);
  document.querySelector('.list-pane').hidden = next !== 'households';
  document.querySelector('.detail-pane').hidden = next !== 'households';
  for (const v of VIEWS) {
    $(`view-${v}`).classList.toggle('active', v === next);
    $(`view-${v}`).setAttribute('aria-pressed', String(v === next));
  }
}

async function openHousehold(id) {
  setView('households');
  await showHousehold(id);
}

$('view-households').addEventListener('click', () => {
  if (view === 'households') return;
  setView('households');
  const { scope } = tree.describe(tree.selected);
  if (JSON.stringify(scope) !== JSON.stringify(list.scope)) list.load(scope, $('search').value);
});
$('view-ledger').addEventListener('click', () => {
  if (view === 'ledger' || !info || info.open_error) return;
  setView('ledger');
  const { scope, title } = tree.describe(tree.selected);
  ledger.load(scope, title);
});

const dashboard = new Dashboard({
  onOpenVillage: (villageId) => {
    setView('ledger');
    tree.select(`village:${villageId}`, true);
  },
  onPrintBulletin: (month) => {
    const filter = { scope: { kind: 'town' }, category: null, state: null, overdue_only: false, sort: 'place' };
    printDialog.open(['bulletin'], filter, townLabel(), null, null, { month }).catch(showError);
  },
});
dashboard.bindRows();
$('view-progress').addEventListener('click', () => {
  if (view === 'progress' || !info || info.open_error) return;
  setView('progress');
  dashboard.load().catch(showError);
});

const checks = new Checks({
  onOpenHousehold: (id) => openHousehold(id).catch(showError),
  villages: () => currentTree?.villages ?? [],
  onPrint: (kind, sampleId) => {
    const filter = { scope: { kind: 'town' }, category: null, state: null, overdue_only: false, sort: 'place' };
    printDialog.open([kind], filter, `第${sampleId}号抽查样本`, null, null, { sample_id: sampleId }).catch(showError);
  },
});
$('view-checks').addEventListener('click', () => {
  if (view === 'checks' || !info || info.open_error) return;
  setView('checks');
  const { scope, title } = tree.describe(tree.selected);
  checks.load(scope, title).catch(showError);
});

const printDialog = new PrintDialog();
function printHousehold(d) {
  const filter = { scope: { kind: 'town' }, category: null, state: null, overdue_only: false, sort: 'place' };
  printDialog.open(['household_file'], filter, `${d.village_name}${d.group_name}${d.head_name}`, d.id).catch(showError);
}
$('open-print').addEventListener('click', () => {
  const { scope, title } = tree.describe(tree.selected);
  const filter = { scope, category: null, state: null, overdue_only: false, sort: 'place' };
  printDialog.open(['toilet_ledger', 'signoff', 'notices', 'problem_ledger'], filter, title).catch(showError);
});
$('ledger-print').addEventListener('click', () => {
  const { title } = tree.describe(tree.selected);
  const picked = [...ledger.picked];
  printDialog.open(['notices', 'problem_ledger'], ledger.filter(), title, null, picked.length ? picked : null).catch(showError);
});

initOperator();
const staffDialog = new StaffDialog();
const itemsDialog = new ItemsDialog();
$('open-staff').addEventListener('click', () => { if (info && !info.open_error) staffDialog.open().catch(showError); });
$('open-items').addEventListener('click', () => { if (info && !info.open_error) itemsDialog.open().catch(showError); });

const UNSET_TOWN = '（未设置镇名）';
/** The town's name for titles, or 全镇 when it has not been set yet. */
const townLabel = () => (info.town && info.town.town_name !== UNSET_TOWN ? info.town.town_name : '全镇');

function showHeader() {
  const town = info.town;
  $('town-name').textContent = town ? `${town.district_name} ${town.town_name}`.trim() : '';
  $('demo-badge').hidden = !(town && town.is_demo);
  $('db-path').textContent = `数据库：${info.db_path}`;
  $('db-path').title = `当前打开的数据库文件：${info.db_path}`;
}

async function showWorkbench() {
  $('workbench').hidden = false;
  const empty = info.households === 0;
  $('empty-db').hidden = !empty;
  $('list-body').hidden = empty;
  document.querySelector('.list-head').hidden = empty;
  $('search').disabled = empty;
  const t = await ipc.villageTree();
  currentTree = t;
  await reloadStaff();
  $('view-ledger').disabled = empty;
  $('view-progress').disabled = empty;
  $('view-checks').disabled = empty;
  $('open-export').disabled = empty;
  $('open-print').disabled = empty;
  tree.show(t, townLabel());
  if (!empty) {
    $('scope-title').textContent = tree.describe('town').title;
    await list.load({ kind: 'town' }, '');
  }
}

const loginScreen = new LoginScreen();
const passwordDialog = initPasswordDialog({ onLogout: (message) => relogin(message).catch(showError) });
const accountsDialog = new AccountsDialog();
const auditDialog = new AuditDialog();
let allowed = new Set();

/** Hides what the logged-in role may not do (the command gate refuses it anyway). */
function applyRole(status) {
  allowed = new Set(status.allowed);
  for (const node of document.querySelectorAll('[data-needs]')) node.hidden = !allowed.has(node.dataset.needs);
  const a = status.account;
  $('account-name').textContent = a ? `${a.display_name}（${roleLabel(a.role)}）` : '';
  $('logout').hidden = !a;
  linkOperator(a?.staff_id ?? null);
  document.body.dataset.role = a ? a.role : '';
  document.body.dataset.allowed = status.allowed.join(' ');
}

/**
 * Until someone logs in, only the login screen shows (with `message` when the last session
 * ended by itself). A password an administrator set is changed before anything else.
 */
let loginInProgress = false;
async function ensureLogin(message = '') {
  loginInProgress = true;
  try {
    return await loginLoop(message);
  } finally {
    loginInProgress = false;
  }
}

async function loginLoop(message) {
  let status = await ipc.authStatus();
  const town = () => (info.town && info.town.town_name !== UNSET_TOWN ? `${info.town.district_name} ${info.town.town_name}` : '');
  while (!status.account || status.account.must_change_password) {
    $('workbench').hidden = true;
    if (!status.account) {
      await loginScreen.show(status.has_accounts, town(), message);
      message = '';
    } else {
      applyRole(status); // the header names who must change the password
      if (!(await passwordDialog.forced())) message = '请重新登录。';
    }
    status = await ipc.authStatus();
  }
  applyRole(status);
  idleMinutes = status.idle_minutes;
  lastInput = Date.now();
  return status.account;
}

/** The session ended (idle, locked, logged out elsewhere): back to the login screen. */
let relogging = false;
async function relogin(message = '') {
  if (relogging) return;
  if (loginInProgress) {
    // A login (or a forced password change) is under way: closing its dialog sends it back to
    // the login screen.
    for (const d of document.querySelectorAll('dialog[open]')) d.close();
    return;
  }
  relogging = true;
  try {
    for (const d of document.querySelectorAll('dialog[open]')) d.close();
    setView('households');
    await ensureLogin(message);
    info = await ipc.appInfo();
    showHeader();
    await showWorkbench();
  } finally {
    relogging = false;
  }
}

// The program was started a second time: this window was brought to the front instead.
document.addEventListener('huce:second-instance', (e) => {
  toast(e.detail?.message ?? '本程序已经打开，就在这个窗口里。', 'info');
});

document.addEventListener('huce:session', (e) => {
  const { code, message } = e.detail;
  if (!relogging && $('login-screen').hidden) {
    relogin(code === 'session_expired' ? message : '').catch(showError);
  }
});

// 无操作自动退出: after the idle time without a key, click or scroll, the window logs out
// (the backend ends such a session on its next call anyway). While someone works, a call now
// and then keeps the backend's session alive even when the work needs no call (a long form).
let idleMinutes = 30;
let lastInput = Date.now();
for (const kind of ['keydown', 'pointerdown', 'wheel']) {
  document.addEventListener(kind, () => { lastInput = Date.now(); }, { capture: true, passive: true });
}
setInterval(async () => {
  if (relogging || !$('login-screen').hidden || !document.body.dataset.role) return;
  const idle = Date.now() - lastInput;
  try {
    if (idle > idleMinutes * 60000) {
      await ipc.logout(true);
      await relogin(`超过 ${idleMinutes} 分钟没有操作，已自动退出登录，以免别人用这台电脑以您的名义操作。请重新登录。`);
    } else if (idle < 60000) {
      await ipc.authStatus();
    }
  } catch {
    // The session event handler takes care of an ended session.
  }
}, 30000);

async function start() {
  try {
    setVocabularies(await ipc.vocabularies());
    info = await ipc.appInfo();
    setDatabase(info.db_path);
    showHeader();
    if (info.open_error) {
      $('fatal').hidden = false;
      $('fatal-message').textContent = info.open_error.message;
      $('fatal-recover').hidden = info.open_error.code !== 'damaged';
      return;
    }
    await ensureLogin();
    await showWorkbench();
  } catch (err) {
    showError(err);
  }
}

$('logout').addEventListener('click', async () => {
  try {
    await ipc.logout();
    await relogin();
  } catch (err) {
    showError(err);
  }
});
$('open-accounts').addEventListener('click', () => accountsDialog.open().catch(showError));

// 签字背书 of the selected place.
let signScope = null;
async function renderSignoff() {
  const p = await ipc.signoffStatus(signScope.scope);
  $('signoff-scope').textContent = `范围：${signScope.title}`;
  $('signoff-counts').textContent = `已核查户厕 ${p.results} 个：审核人已签 ${p.reviewed} 个，负责人已签 ${p.responsible} 个。`;
  $('signoff-review').textContent = `审核签字（未审核的 ${p.results - p.reviewed} 个）`;
  $('signoff-review').disabled = p.results === p.reviewed;
  $('signoff-responsible').textContent = `负责人签字（已审核未签的 ${p.reviewed - p.responsible} 个）`;
  $('signoff-responsible').disabled = p.reviewed === p.responsible;
}
async function signAll(step) {
  $('signoff-error').textContent = '';
  try {
    const r = await ipc.signResults(signScope.scope, null, step);
    toast(r.own_skipped
      ? `已签字 ${r.signed} 个核查结果。另有 ${r.own_skipped} 个是您本人录入或参加排查的，须由另一位审核人审核。`
      : `已签字 ${r.signed} 个核查结果。`, 'info');
    await renderSignoff();
  } catch (err) {
    $('signoff-error').textContent = err.message;
  }
}
$('open-signoff').addEventListener('click', async () => {
  signScope = tree.describe(tree.selected);
  $('signoff-error').textContent = '';
  $('signoff-dialog').showModal();
  await renderSignoff().catch(showError);
});
$('signoff-review').addEventListener('click', () => signAll('review'));
$('signoff-responsible').addEventListener('click', () => signAll('responsible'));
$('signoff-close').addEventListener('click', () => $('signoff-dialog').close());
$('signoff-print').addEventListener('click', () => {
  $('signoff-dialog').close();
  const filter = { scope: signScope.scope, category: null, state: null, overdue_only: false, sort: 'place' };
  printDialog.open(['signoff'], filter, signScope.title).catch(showError);
});
document.addEventListener('huce:signatures-changed', () => {
  if (list.selectedIndex >= 0) list.select(list.selectedIndex);
});
const backupDialog = new BackupDialog({
  canRestore: () => allowed.has('restore'),
  // The restored file has its own accounts: everyone logs in again.
  onRestored: (message) => relogin(message).catch(showError),
});
$('open-backup').addEventListener('click', () => backupDialog.open().catch(showError));
$('recover-go').addEventListener('click', async () => {
  $('recover-go').disabled = true;
  try {
    const r = await ipc.recoverDatabase();
    $('recover-result').textContent = `已用备份 ${r.from} 恢复；损坏的文件另存为 ${r.damaged_kept_at}。请关闭并重新打开本程序。`;
  } catch (err) {
    $('recover-result').textContent = err.message;
    $('recover-go').disabled = false;
  }
});
$('open-audit').addEventListener('click', () => auditDialog.open().catch(showError));

$('load-demo').addEventListener('click', async () => {
  const button = $('load-demo');
  button.disabled = true;
  $('load-demo-status').textContent = '正在生成示例数据，请稍候…';
  try {
    const s = await ipc.loadDemo();
    toast(`已载入示例数据：${s.villages} 个行政村、${s.groups} 个社、${s.households} 户、${s.toilets} 个户厕。`, 'info');
    info = await ipc.appInfo();
    showHeader();
    await showWorkbench();
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
    $('load-demo-status').textContent = '';
  }
});

// Settings: district and town names.
$('open-settings').addEventListener('click', () => {
  if (!info || info.open_error) return;
  $('set-district').value = info.town?.district_name ?? '';
  $('set-town').value = info.town && info.town.town_name !== UNSET_TOWN ? info.town.town_name : '';
  $('set-idle').value = String(idleMinutes);
  $('settings-error').textContent = '';
  $('settings-dialog').showModal();
  $('set-district').focus();
});
$('settings-cancel').addEventListener('click', () => $('settings-dialog').close());
$('settings-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    info.town = await ipc.saveTownNames($('set-district').value, $('set-town').value);
    const idle = Number($('set-idle').value);
    if (idle !== idleMinutes) {
      await ipc.saveIdleMinutes(idle);
      idleMinutes = idle;
    }
    $('settings-dialog').close();
    showHeader();
    tree.show(await ipc.villageTree(), townLabel());
    $('scope-title').textContent = tree.describe(tree.selected).title;
    toast('已保存区、镇名称。', 'info');
  } catch (err) {
    $('settings-error').textContent = err.message;
  }
});

// Import and export.
let currentTree = null;
const importDialog = new ImportDialog({
  onImported: async () => {
    info = await ipc.appInfo();
    showHeader();
    await showWorkbench();
    if (info.town?.town_name === UNSET_TOWN) toast('导入完成。请点右上角“设置”填写区、镇名称，它们会印在文书上。', 'info');
  },
});
const exportDialog = new ExportDialog();
const openImport = () => {
  const villages = (currentTree?.villages ?? []).map((v) => v.name);
  importDialog.open(villages, villages.length === 0).catch(showError);
};
$('open-import').addEventListener('click', openImport);
$('empty-import').addEventListener('click', openImport);
$('open-export').addEventListener('click', () => {
  const { scope, title } = tree.describe(tree.selected);
  exportDialog.open(scope, title.replace('（全镇）', '')).catch(showError);
});

let searchTimer;
$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => list.load(list.scope ?? { kind: 'town' }, $('search').value), 200);
});
$('search').addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    $('search').value = '';
    list.load(list.scope ?? { kind: 'town' }, '');
  } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
    e.preventDefault();
    $('list-body').focus();
    if (list.selectedIndex < 0) list.select(0);
  }
});
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
    e.preventDefault();
    $('search').focus();
    $('search').select();
  }
});

start();
