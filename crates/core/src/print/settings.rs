//! What the office sets for its documents: the notice paragraph and contact printed on every
//! 整改告知单, and the folder documents are saved into. Audited; changing them needs the settings
//! permission.

use crate::store::sql::Db;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::settings::{self};

/// What the office puts on every notice: the paragraph of notice text, the title of the plan
/// it cites (`{方案}` in the text) and the contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeSettings {
    pub text: String,
    pub contact: String,
    pub phone: String,
    /// The town's plan, as the notice cites it; `{镇}` is the town's name.
    #[serde(default)]
    pub plan_title: String,
    /// The paragraph of a notice for a toilet in the district's plan (纳入全区改厕计划); `text`
    /// is the one for 镇筹资农户自改.
    #[serde(default)]
    pub text_district: String,
}

/// The plan the notice cites by default: the town's own, as the seed titles it.
pub const DEFAULT_PLAN_TITLE: &str = "《{镇}农村户厕问题摸排整改后续工作实施方案》";

/// How texts saved before the title setting cited a plan that does not exist.
const OLD_PLAN_CITATION: &str = "《{镇}农村户厕问题摸排整改工作方案》";

const KEY_NOTICE: &str = "notice_settings";

/// The paragraph of a 镇筹资农户自改 notice: the household rectifies, with the town's share.
pub const DEFAULT_NOTICE_TEXT: &str = "根据{方案}，经入户核查，您家户厕存在上述问题，需由您家按上列整改措施在完成时限前逐步整改，镇里按标准给予部分资金补助（见上）。整改完成后请及时告知村（社）干部，由镇组织验收销号。整改中遇到困难，请与联系人联系。感谢您对农村人居环境整治工作的理解和支持！";

/// The paragraph of a notice for a toilet the district's plan will rebuild.
pub const DEFAULT_DISTRICT_TEXT: &str = "根据{方案}，经入户核查，您家户厕存在上述问题，已纳入全区改厕计划，由政府统一组织整改。施工时请为施工人员入户作业提供方便；整改完成前，户厕能用的请继续使用，不能用的请注意安全。整改完成后由镇组织验收销号。如有疑问，请与联系人联系。";

/// The one paragraph every notice had before the texts followed the category (it told every
/// household to "抓紧整改"): read as the new default.
const OLD_DEFAULT_TEXT: &str = "根据{方案}，经入户核查，您家户厕存在上述问题。请按照告知的整改措施和完成时限抓紧整改，整改完成后及时告知村（社）干部，由镇组织验收销号。整改中遇到困难，请与联系人联系。感谢您对农村人居环境整治工作的理解和支持！";

impl NoticeSettings {
    pub fn load<'a>(db: impl Into<Db<'a>>) -> Result<NoticeSettings> {
        let conn = db.into();
        if let Some(json) = settings::get(conn, KEY_NOTICE)? {
            if let Ok(s) = serde_json::from_str::<NoticeSettings>(&json) {
                return Ok(s.normalized());
            }
        }
        Ok(NoticeSettings {
            text: DEFAULT_NOTICE_TEXT.into(),
            contact: String::new(),
            phone: String::new(),
            plan_title: DEFAULT_PLAN_TITLE.into(),
            text_district: DEFAULT_DISTRICT_TEXT.into(),
        })
    }

    /// An empty title is the default one; a text that cites the old, nonexistent plan cites
    /// the title instead.
    fn normalized(mut self) -> NoticeSettings {
        if self.plan_title.trim().is_empty() {
            self.plan_title = DEFAULT_PLAN_TITLE.into();
        }
        self.plan_title = self.plan_title.trim().to_string();
        self.text = self.text.replace(OLD_PLAN_CITATION, "{方案}");
        if self.text == OLD_DEFAULT_TEXT {
            self.text = DEFAULT_NOTICE_TEXT.into();
        }
        if self.text_district.trim().is_empty() {
            self.text_district = DEFAULT_DISTRICT_TEXT.into();
        }
        self
    }

    /// The notice paragraph of a case of `category` for `town_name`: `{方案}` becomes the plan's
    /// title, `{镇}` the town.
    pub fn body(&self, category: crate::model::Category, town_name: &str) -> String {
        let text = match category {
            crate::model::Category::PlanDistrict => &self.text_district,
            _ => &self.text,
        };
        text.replace("{方案}", &self.plan_title)
            .replace("{镇}", town_name)
    }

    fn check(&self) -> Result<()> {
        if self.plan_title.chars().count() > 80 {
            return Err(crate::Error::Invalid(
                "实施方案名称请控制在 80 字以内。".into(),
            ));
        }
        for text in [&self.text, &self.text_district] {
            if text.trim().is_empty() {
                return Err(crate::Error::Invalid(
                    "告知单正文不能为空。可以点“恢复默认正文”使用默认的正文。".into(),
                ));
            }
            if text.chars().count() > 600 {
                return Err(crate::Error::Invalid(
                    "告知单正文请控制在 600 字以内，以免一页印不下。".into(),
                ));
            }
        }
        Ok(())
    }

    /// Saves the notice text and contact, audited, in one unit.
    pub fn save<'a>(&self, db: impl Into<Db<'a>>, now: &str) -> Result<()> {
        DocumentSettings {
            notice: self.clone(),
            folder: None,
        }
        .save(db, now)
    }
}

const KEY_DOCUMENTS_DIR: &str = "documents_dir";

/// What the office sets for its documents: the notice text and contact printed on every
/// notice, and the folder the PDFs go into. Changing them needs the settings permission (the
/// app's gate) and is audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSettings {
    pub notice: NoticeSettings,
    /// The documents folder chosen by the office (`None`: `文书/` beside the database). When
    /// saving: `None` leaves it as it is, an empty text sets it back to the default.
    #[serde(default)]
    pub folder: Option<String>,
}

impl DocumentSettings {
    pub fn load<'a>(db: impl Into<Db<'a>>) -> Result<DocumentSettings> {
        let conn = db.into();
        Ok(DocumentSettings {
            notice: NoticeSettings::load(conn)?,
            folder: settings::get(conn, KEY_DOCUMENTS_DIR)?.filter(|d| !d.trim().is_empty()),
        })
    }

    /// The folder printed documents go into for the database at `db_path`.
    pub fn documents_dir(&self, db_path: &std::path::Path) -> std::path::PathBuf {
        match &self.folder {
            Some(f) => std::path::PathBuf::from(f),
            None => crate::store::paths::documents_dir(db_path),
        }
    }

    /// Saves what changed (the notice, the folder), with its audit entry, in one unit. A folder
    /// must be a full path.
    pub fn save<'a>(&self, db: impl Into<Db<'a>>, now: &str) -> Result<()> {
        let notice = self.notice.clone().normalized();
        notice.check()?;
        let folder = self.folder.as_deref().map(str::trim);
        if let Some(f) = folder.filter(|f| !f.is_empty()) {
            if !std::path::Path::new(f).is_absolute() {
                return Err(crate::Error::Invalid(
                    "请选择一个完整的文件夹位置（例如 D:\\户厕文书），不要只写文件夹名。".into(),
                ));
            }
        }
        let json = serde_json::to_string(&notice).expect("settings serialise");
        db.into().atomically(|conn| {
            let old_notice = settings::get(conn, KEY_NOTICE)?;
            let old_folder = settings::get(conn, KEY_DOCUMENTS_DIR)?;
            // Unchanged from what the office sees (the defaults until first saved): nothing to do.
            let notice_changed = NoticeSettings::load(conn)? != notice;
            // An empty folder is the default, which is kept as no setting at all.
            let wanted = folder.map(|f| Some(f).filter(|f| !f.is_empty()));
            let folder_changed = wanted.is_some_and(|w| old_folder.as_deref() != w);
            if notice_changed {
                settings::set(conn, KEY_NOTICE, &json)?;
                crate::store::audit::append(
                    conn,
                    now,
                    "settings.documents",
                    "settings",
                    KEY_NOTICE,
                    &if notice.contact.trim().is_empty() && notice.phone.trim().is_empty() {
                        "修改告知单正文和联系人".to_string()
                    } else {
                        format!(
                            "修改告知单正文和联系人（联系人：{}，电话：{}）",
                            notice.contact, notice.phone
                        )
                    },
                    serde_json::json!({ "notice": [old_notice, json] }),
                )?;
            }
            if let (true, Some(f)) = (folder_changed, wanted) {
                match f {
                    Some(f) => settings::set(conn, KEY_DOCUMENTS_DIR, f)?,
                    None => {
                        conn.execute("DELETE FROM settings WHERE key = ?1", [KEY_DOCUMENTS_DIR])?;
                    }
                }
                crate::store::audit::append(
                    conn,
                    now,
                    "settings.documents",
                    "settings",
                    KEY_DOCUMENTS_DIR,
                    &match f {
                        Some(f) => format!("文书保存位置改为“{f}”"),
                        None => "文书保存位置改回默认（数据库旁的“文书”文件夹）".to_string(),
                    },
                    serde_json::json!({ "documents_dir": [old_folder, f] }),
                )?;
            }
            Ok(())
        })
    }
}
