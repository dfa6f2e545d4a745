//! Printed documents (A4 PDFs, Simplified Chinese): 整改告知单 (one per problem toilet, with a
//! 回执 below a cut line), 问题厕所台账 and 改厕台账 (landscape tables, header repeated, 第 x 页
//! 共 y 页, 制表人/审核人), the 签字背书表 of a village or 社, 户档案, the 区级抽查 sample list and
//! field check sheets, the 入户排查表 for the village self-check, the 月通报, the 待核实清单 and the 整改验收单. All drawn by [`layout`] over printpdf with the bundled Noto
//! Serif CJK SC faces, subset into each file; one file per document, [`page`] for what they share.

mod acceptance_sheet;
mod bulletin;
mod check_sheet;
mod document;
mod household_file;
pub mod layout;
mod ledgers;
mod manual;
mod notice;
mod onsite_slip;
mod page;
mod pending_list;
pub mod photo;
mod sample_list;
mod settings;
mod signoff_sheet;
pub mod summary;
mod survey_sheet;
mod worklist;

pub use acceptance_sheet::{acceptance_cases, acceptance_sheets};
pub use bulletin::bulletin;
pub use check_sheet::check_sheets;
pub use document::{document_file_name, print_document, DocumentKind, DocumentRequest};
pub use household_file::{household_file, household_files};
pub use ledgers::{problem_ledger, toilet_ledger};
pub use manual::{manual_pdf, ManualSection, MANUAL};
pub use notice::{notice_cases, notices, notices_html, open_cases_among, NoticeRun};
pub use onsite_slip::{onsite_cases, onsite_slips};
pub use page::Printed;
pub use pending_list::pending_list;
pub use sample_list::sample_list;
pub use settings::{
    DocumentSettings, NoticeSettings, DEFAULT_DISTRICT_TEXT, DEFAULT_NOTICE_TEXT,
    DEFAULT_PLAN_TITLE,
};
pub use signoff_sheet::signoff_sheet;
pub use survey_sheet::survey_sheets;
pub use worklist::worklist;
