// The details pane: one household (personal data masked) and its toilets with their baseline
// fields (台账底数), as the town received them.

import { el } from '../dom.js';
import { label, yesNo } from '../labels.js';

const field = (name, value, extra) =>
  el('div', { class: 'field' }, el('dt', {}, name), el('dd', {}, value ?? '—', extra ?? null));

const yuan = (fen) => (fen === null || fen === undefined ? '—' : `${(fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2 })} 元`);
const year = (y) => (y === null || y === undefined ? '—' : `${y}年`);
const people = (n) => (n === null || n === undefined ? '—' : `${n} 人`);

function toiletCard(t) {
  const mode = label('TechMode', t.tech_mode);
  const status = t.use_status ? label('UseStatus', t.use_status) : null;
  return el('section', { class: 'toilet-card', dataset: { toiletId: t.id } },
    el('h3', {}, `第 ${t.seq} 个户厕`, el('span', { class: 'toilet-mode' }, mode),
      status ? el('span', { class: `status status-${t.use_status}` }, status) : null),
    el('dl', { class: 'fields' },
      field('技术模式', mode),
      field('厕所位置', label('Location', t.location)),
      field('建设（改造）年度', year(t.build_year)),
      field('是否卫生厕所', yesNo(t.is_sanitary)),
      field('是否财政补助', yesNo(t.subsidized)),
      field('补助年度', year(t.subsidy_year)),
      field('补助金额', yuan(t.subsidy_amount_fen)),
      field('项目名称', t.project_name),
      field('使用状态', status),
      field('底数来源', label('BaselineSource', t.baseline_source))));
}

export function renderDetail(container, d) {
  const idWarning = d.id_number_valid === false
    ? el('span', { class: 'warn' }, '校验位不正确，请核对')
    : null;
  container.replaceChildren(
    el('div', { class: 'hh-head' },
      el('h2', { id: 'detail-name' }, d.head_name),
      el('div', { class: 'hh-place' }, `${d.village_name} · ${d.group_name}`),
      el('span', { class: `cat-tag cat-${d.category}` }, label('HouseholdCategory', d.category))),
    el('dl', { class: 'fields household-fields' },
      field('身份证号', d.id_number ?? '未登记', idWarning),
      field('联系电话', d.phone ?? '未登记'),
      field('住址', d.address),
      field('户籍人口', people(d.registered_pop)),
      field('常住人口', people(d.resident_pop)),
      field('是否常住', d.is_resident ? '常住' : '不常住（外出）')),
    d.masked ? el('p', { class: 'note' }, '身份证号和电话按个人信息保护要求隐去中间位。') : null,
    el('h3', { class: 'section-title' }, `户厕（${d.toilets.length} 个）`),
    d.toilets.length
      ? el('div', { class: 'toilets', id: 'toilets' }, d.toilets.map(toiletCard))
      : el('p', { class: 'placeholder', id: 'toilets' }, '这户没有登记户厕。'),
  );
}
