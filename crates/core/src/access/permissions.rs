//! Who may do what. One table, checked for every command the app offers (the app's command
//! gate maps each command to an [`Action`] and asks [`check`] before the command runs).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Role;

/// Something a person can ask the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Browse households, ledgers, reports (ID and phone masked).
    View,
    /// See full ID and phone numbers.
    ViewPersonal,
    Import,
    /// Correct or settle a 待核实 value an import left empty.
    CorrectLedger,
    /// Export with masked personal data.
    Export,
    /// Export with full ID and phone numbers (audited).
    ExportPersonal,
    Print,
    /// 村级自查 results (the village's own check, keyed in by the office).
    RecordInspection,
    /// 镇级复核 and 区级抽查 results: the re-checks, which the town's 督导组 also records.
    RecordSpotCheck,
    /// Category decisions and the moves of a case (整改, 验收销号, reopen).
    HandleCase,
    DrawSample,
    /// 工作人员 and 问题口径 lists.
    EditLists,
    /// Town names, plan phases, document settings.
    EditSettings,
    ManageAccounts,
    LoadDemo,
    ViewAudit,
    Backup,
    Restore,
    /// 审核 a result (and unlock a reviewed one with a reason).
    Review,
    /// Sign as 负责人.
    SignResponsible,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::View,
        Action::ViewPersonal,
        Action::Import,
        Action::CorrectLedger,
        Action::Export,
        Action::ExportPersonal,
        Action::Print,
        Action::RecordInspection,
        Action::RecordSpotCheck,
        Action::HandleCase,
        Action::DrawSample,
        Action::EditLists,
        Action::EditSettings,
        Action::ManageAccounts,
        Action::LoadDemo,
        Action::ViewAudit,
        Action::Backup,
        Action::Restore,
        Action::Review,
        Action::SignResponsible,
    ];

    /// What is refused, as the message words it: "不能{label}".
    pub fn label(self) -> &'static str {
        match self {
            Action::View => "查看数据",
            Action::ViewPersonal => "查看完整的身份证号和电话",
            Action::Import => "导入台账",
            Action::CorrectLedger => "更正台账中待核实的内容",
            Action::Export => "导出数据",
            Action::ExportPersonal => "导出完整的身份证号和电话",
            Action::Print => "打印文书",
            Action::RecordInspection => "录入村级自查结果",
            Action::RecordSpotCheck => "录入镇级复核和区级抽查结果",
            Action::HandleCase => "确定整改类别、登记整改和销号",
            Action::DrawSample => "抽取抽查样本",
            Action::EditLists => "修改工作人员名单和问题口径",
            Action::EditSettings => "修改本镇设置",
            Action::ManageAccounts => "管理登录账户",
            Action::LoadDemo => "载入示例数据",
            Action::ViewAudit => "查看操作日志",
            Action::Backup => "备份数据库",
            Action::Restore => "从备份恢复数据库",
            Action::Review => "审核核查结果",
            Action::SignResponsible => "以负责人身份签字",
        }
    }
}

/// The matrix. 管理员 runs the office's data; 录入员 keys in field work; 审核人 reviews it and
/// may do what a 录入员 does; 镇领导 sees everything and signs as 负责人; 督导 reads everything
/// and records the re-checks (镇级复核, 区级抽查: the plan puts the 镇纪委's 督导组 in charge of the
/// 镇级核查) and draws samples, but decides no category and closes no case.
pub fn allowed(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        View | Print | Export | Backup => true,
        ViewAudit => matches!(role, Admin | Reviewer | Leader | Supervisor),
        ViewPersonal => matches!(role, Admin | Entry | Reviewer),
        ExportPersonal | Import | EditLists | EditSettings | ManageAccounts | LoadDemo
        | Restore => role == Admin,
        RecordInspection | HandleCase | CorrectLedger => matches!(role, Admin | Entry | Reviewer),
        RecordSpotCheck => matches!(role, Admin | Entry | Reviewer | Supervisor),
        DrawSample => matches!(role, Admin | Reviewer | Supervisor),
        Review => role == Reviewer,
        SignResponsible => role == Leader,
    }
}

/// Refuses with a message naming the account, its role and what was refused.
pub fn check(who: &str, role: Role, action: Action) -> Result<()> {
    if allowed(role, action) {
        Ok(())
    } else {
        Err(Error::Forbidden {
            who: who.to_string(),
            role: role.label(),
            action: action.label(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix written out independently: for each action, the roles allowed
    /// (管 录 审 领 督 = 管理员 录入员 审核人 镇领导 督导).
    #[test]
    fn the_permission_matrix() {
        let expected: &[(Action, &str)] = &[
            (Action::View, "管录审领督"),
            (Action::ViewPersonal, "管录审"),
            (Action::Import, "管"),
            (Action::CorrectLedger, "管录审"),
            (Action::Export, "管录审领督"),
            (Action::ExportPersonal, "管"),
            (Action::Print, "管录审领督"),
            (Action::RecordInspection, "管录审"),
            (Action::RecordSpotCheck, "管录审督"),
            (Action::HandleCase, "管录审"),
            (Action::DrawSample, "管审督"),
            (Action::EditLists, "管"),
            (Action::EditSettings, "管"),
            (Action::ManageAccounts, "管"),
            (Action::LoadDemo, "管"),
            (Action::ViewAudit, "管审领督"),
            (Action::Backup, "管录审领督"),
            (Action::Restore, "管"),
            (Action::Review, "审"),
            (Action::SignResponsible, "领"),
        ];
        assert_eq!(
            expected.len(),
            Action::ALL.len(),
            "every action is in the table"
        );
        let short = |r: Role| match r {
            Role::Admin => '管',
            Role::Entry => '录',
            Role::Reviewer => '审',
            Role::Leader => '领',
            Role::Supervisor => '督',
        };
        for (action, roles) in expected {
            for role in Role::ALL {
                assert_eq!(
                    allowed(*role, *action),
                    roles.contains(short(*role)),
                    "{} / {:?}",
                    role.label(),
                    action
                );
            }
        }
        let err = check("王芳", Role::Supervisor, Action::Import)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("王芳") && err.contains("督导") && err.contains("不能导入台账"),
            "{err}"
        );
    }
}
