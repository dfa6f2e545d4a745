//! `huce template`: the saved export column templates listed, saved or deleted.

use std::path::PathBuf;

use huce_core::export::{self, ExportTemplate, TemplateColumn};
use huce_core::{Error, Result};

use super::common::{now, open_existing};

#[derive(clap::Args)]
pub struct TemplateArgs {
    /// list、save 或 delete
    action: TemplateAction,
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 模板名称（save、delete 时）
    #[arg(long)]
    name: Option<String>,
    /// 列：台账列名=导出表头，用逗号分隔；“=表头”可省略
    #[arg(long)]
    columns: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TemplateAction {
    List,
    Save,
    Delete,
}

pub fn run(a: TemplateArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let need_name = || {
        a.name
            .clone()
            .ok_or_else(|| Error::Invalid("请用 --name 指定模板名称。".into()))
    };
    match a.action {
        TemplateAction::List => {
            let list = export::templates(&conn)?;
            if list.is_empty() {
                println!(
                    "还没有导出模板。可选的列：{}",
                    export::template_sources().join("、")
                );
            }
            for t in list {
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| format!("{}={}", c.source, c.header))
                    .collect();
                println!("{}：{}", t.name, cols.join("，"));
            }
        }
        TemplateAction::Save => {
            let spec = a.columns.as_deref().ok_or_else(|| {
                Error::Invalid(
                    "请用 --columns 列出要导出的列，例如 --columns \"身份证号=证件号码,户主姓名=户主\"。"
                        .into(),
                )
            })?;
            let t = ExportTemplate {
                name: need_name()?,
                columns: parse_columns(spec),
            };
            export::save_template(&conn, &t, &now())?;
            println!("已保存模板“{}”（{} 列）", t.name, t.columns.len());
        }
        TemplateAction::Delete => {
            let n = need_name()?;
            export::delete_template(&conn, &n, &now())?;
            println!("已删除模板“{n}”");
        }
    }
    Ok(())
}

/// `身份证号=证件号码,户主姓名`: columns split at ASCII or Chinese commas; a column without
/// `=header` keeps its ledger name as header.
fn parse_columns(spec: &str) -> Vec<TemplateColumn> {
    spec.split([',', '，'])
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (source, header) = p.split_once('=').unwrap_or((p, p));
            TemplateColumn {
                source: source.trim().to_string(),
                header: header.trim().to_string(),
            }
        })
        .collect()
}
