// The one place that calls the Rust commands. Screens import these functions and never call
// `invoke` themselves. A failed command throws an `AppError` with a Chinese message.

export class AppError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function call(command, args) {
  const tauri = window.__TAURI__;
  if (!tauri || !tauri.core) {
    throw new AppError('no_backend', '程序后台没有启动。请从“户厕摸排整改工作台”程序打开本页面，而不是用浏览器直接打开。');
  }
  try {
    return await tauri.core.invoke(command, args);
  } catch (e) {
    if (e && typeof e === 'object' && 'message' in e) {
      // The session ended (idle too long, locked) or must change its password first: the
      // composition root shows the login screen or the password form.
      if (SESSION_CODES.has(e.code)) {
        document.dispatchEvent(new CustomEvent('huce:session', { detail: { code: e.code, message: e.message } }));
      }
      throw new AppError(e.code || 'unknown', e.message);
    }
    throw new AppError('unknown', `操作没有完成：${String(e)}。请重试；如果反复出现，请重新打开程序。`);
  }
}

const SESSION_CODES = new Set(['not_logged_in', 'session_expired', 'must_change_password']);

export const appInfo = () => call('app_info');
export const afterStartStatus = () => call('after_start_status');
export const vocabularies = () => call('vocabularies');
export const loadDemo = () => call('load_demo');
export const villageTree = () => call('village_tree');
/** scope: {kind: 'town'} | {kind: 'village', id} | {kind: 'group', id} */
export const listHouseholds = (scope, search, offset, limit, filter = {}) =>
  call('list_households', { scope, search, offset, limit, filter });
export const householdDetail = (id) => call('household_detail', { id });
export const worklistCounts = (scope) => call('worklist_counts', { scope });
export const revealPersonal = (id) => call('reveal_personal', { id });
export const saveTownNames = (districtName, townName) =>
  call('save_town_names', { districtName, townName });
export const importFields = () => call('import_fields');
/** request: {path, sheet, columns, defaultVillage, createPlaces} */
export const importPreview = (request) => call('import_preview', { request: toRequest(request) });
export const importCommit = (request) => call('import_commit', { request: toRequest(request) });
export const importProgress = () => call('import_progress');
export const importSaveProblems = (request, out) => call('import_save_problems', { request: toRequest(request), out });
export const pendingList = (scope, full = false) => call('pending_list', { scope, full });
export const pendingVillages = () => call('pending_villages');
export const householdPending = (id) => call('household_pending', { id });
export const correctPending = (id, value) => call('correct_pending', { id, value });
export const leavePendingEmpty = (id, note) => call('leave_pending_empty', { id, note });
export const exportPendingXlsx = (scope, scopeTitle, full, out) => call('export_pending_xlsx', { scope, scopeTitle, full, out });
export const planPhotoImport = (folder) => call('plan_photo_import', { folder });
export const importPhotos = (folder) => call('import_photos', { folder });
export const addFoundHousehold = (household) => call('add_found_household', { household });
export const addFoundToilet = (householdId, toilet) => call('add_found_toilet', { householdId, toilet });
export const exportSummaryDocx = (date, out) => call('export_summary_docx', { date, out });
export const matchDistrictList = (path) => call('match_district_list', { path });
export const keepDistrictList = (path) => call('keep_district_list', { path });
export const exportWorklist = (scope, scopeTitle, list, out) => call('export_worklist', { scope, scopeTitle, list, out });
export const exportXlsx = (kind, template, scope, full, out) => call('export_xlsx', { kind, template, scope, full, out });
export const exportTemplates = () => call('export_templates');
export const saveExportTemplate = (template) => call('save_export_template', { template });
export const deleteExportTemplate = (name) => call('delete_export_template', { name });

export const staffList = (includeInactive = false) => call('staff_list', { includeInactive });
export const saveStaff = (id, input) => call('save_staff', { id, input });
export const problemItems = (includeRetired = false) => call('problem_items', { includeRetired });
export const saveProblemItem = (id, input) => call('save_problem_item', { id, input });
export const correctableFields = () => call('correctable_fields');
export const storePhoto = (path) => call('store_photo', { path });
export const photoData = (hash) => call('photo_data', { hash });
export const previewProposal = (toiletId, problems, corrections) =>
  call('preview_proposal', { toiletId, problems, corrections });
/** householdId, householdVersion: the household as the form showed it (a change saved meanwhile elsewhere is refused). */
export const saveInspection = (input, householdId = null, householdVersion = null) => call('save_inspection', { input, householdId, householdVersion });
export const fieldFile = (householdId) => call('field_file', { householdId });
/** filter: {scope, category, state, overdue ('unrectified' | 'awaiting_acceptance' | null), paper, escalated_only, sort} */
export const problemLedger = (filter, offset, limit) => call('problem_ledger', { filter, offset, limit });
export const rectificationCase = (id) => call('rectification_case', { id });
/** decision: {category, override_reason, measures, responsible, planned_month, funding, delay_reason} */
export const decideCategory = (caseId, decision, actorId, caseVersion = null) => call('decide_category', { caseId, decision, actorId, caseVersion });
/** input: {case_id, to, actor_id, date, remark, verifier_id, photo} */
export const moveCase = (input, caseVersion = null) => call('move_case', { input, caseVersion });
export const storeScan = (path) => call('store_scan', { path });
export const openScan = (hash) => call('open_scan', { hash });
export const recordNoticeDelivery = (input) => call('record_notice_delivery', { input });
export const recordNoticeReceipt = (input) => call('record_notice_receipt', { input });
/** Attaches the signed 验收单's scan to a closed case; replacing one needs `reason`. */
export const attachAcceptanceScan = (caseId, scan, reason = null) => call('attach_acceptance_scan', { caseId, scan, reason });
export const householdNotices = (householdId) => call('household_notices', { householdId });
export const escalateCase = (input) => call('escalate_case', { input });
export const recordEscalationReply = (input) => call('record_escalation_reply', { input });

export const documentSettings = () => call('document_settings');
export const saveDocumentSettings = (settings) => call('save_document_settings', { settings });
/** request: {kind, filter, scope_title, open} */
export const printDocument = (request) => call('print_document', { request });

export const progressReport = (asOf) => call('progress_report', { asOf });
export const planPhases = () => call('plan_phases');
export const savePlanPhases = (phases) => call('save_plan_phases', { phases });
export const comparison = (scope, limit) => call('comparison', { scope, limit });
export const sampleList = () => call('sample_list');
export const recommendedSampleSize = (population) => call('recommended_sample_size', { population });
export const drawSample = (spec) => call('draw_sample', { spec });
export const sampleDetail = (id) => call('sample_detail', { id });
export const reproduceSample = (id) => call('reproduce_sample', { id });
export const exportReportXlsx = (kind, month, scope, out, filter = null, scopeTitle = null) => call('export_report_xlsx', { kind, month, scope, out, filter, scopeTitle });

export const authStatus = () => call('auth_status');
export const createFirstAdmin = (input) => call('create_first_admin', { input });
export const login = (username, password) => call('login', { username, password });
export const logout = (idle = false) => call('logout', { idle });
export const changePassword = (old, next) => call('change_password', { old, new: next });
export const accountList = () => call('account_list');
export const saveAccount = (id, input) => call('save_account', { id, input });
export const unlockAccount = (id) => call('unlock_account', { id });
export const auditLog = (filter, offset, limit) => call('audit_log', { filter, offset, limit });
export const verifyAudit = () => call('verify_audit');
export const checkPrintedAnchor = (id, hash) => call('check_printed_anchor', { id, hash });
export const saveIdleMinutes = (minutes) => call('save_idle_minutes', { minutes });
export const workingValues = () => call('working_values');
export const manualSections = () => call('manual_sections');
export const printManual = (open) => call('print_manual', { open });
export const saveWorkingValues = (values) => call('save_working_values', { values });
export const exportAuditXlsx = (filter, out) => call('export_audit_xlsx', { filter, out });
export const backupList = () => call('backup_list');
export const backupNow = () => call('backup_now');
export const backupTo = (folder) => call('backup_to', { folder });
export const restoreBackup = (path, confirmTown = null) => call('restore_backup', { path, confirmTown });
export const inspectBackup = (path) => call('inspect_backup', { path });
export const recoverDatabase = () => call('recover_database');
/** The database this PC works on: { engine: 'file' | 'server', name, settings }. */
export const serverStatus = () => call('server_status');
export const serverTest = (settings, password) => call('server_test', { settings, password });
export const serverUse = (settings, password) => call('server_use', { settings, password });
export const serverLeave = () => call('server_leave');
export const serverRetry = () => call('server_retry');
export const signoffStatus = (scope) => call('signoff_status', { scope });
export const signResults = (scope, inspectionIds, step) => call('sign_results', { scope, inspectionIds, step });
export const unlockResult = (inspectionId, reason) => call('unlock_result', { inspectionId, reason });
/** The system's folder picker; resolves to a path or null. */
export const pickFolder = (title) =>
  call('plugin:dialog|open', { options: { title, multiple: false, directory: true } });

function toRequest(r) {
  return {
    path: r.path,
    sheet: r.sheet ?? null,
    columns: r.columns ?? null,
    default_village: r.defaultVillage || null,
    create_places: !!r.createPlaces,
    list: r.list || 'auto',
  };
}

/** The system's open-file dialog; resolves to a path or null. */
export const pickFile = (title, extensions) =>
  call('plugin:dialog|open', { options: { title, multiple: false, directory: false, filters: [{ name: '表格文件', extensions }] } });
/** The system's save-file dialog; resolves to a path or null. */
export const pickSavePath = (title, defaultPath, kind = 'xlsx') =>
  call('plugin:dialog|save', { options: { title, defaultPath, filters: [kind === 'docx' ? { name: 'Word 文档', extensions: ['docx'] } : { name: 'Excel 文件', extensions: ['xlsx'] }] } });
/** The system's open-file dialog for a scanned signed paper (PDF or photo); a path or null. */
export const pickScan = (title) =>
  call('plugin:dialog|open', { options: { title, multiple: false, directory: false, filters: [{ name: '扫描件（PDF 或照片）', extensions: ['pdf', 'PDF', 'jpg', 'jpeg', 'png', 'JPG', 'JPEG', 'PNG'] }] } });
/** The system's open-file dialog for photos; resolves to a list of paths (maybe empty). */
export async function pickPhotos(title) {
  const picked = await call('plugin:dialog|open', {
    options: { title, multiple: true, directory: false, filters: [{ name: '照片', extensions: ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'JPG', 'JPEG', 'PNG'] }] },
  });
  if (!picked) return [];
  return Array.isArray(picked) ? picked : [picked];
}
