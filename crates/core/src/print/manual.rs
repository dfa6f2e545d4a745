//! 使用手册: a short manual that walks the season's tasks in the order the office does them. The
//! same sections are shown in the app (with the screenshots the end-to-end tests take, kept in
//! `ui/manual/`) and printed here as a PDF with the same print layer as every other document.

use serde::Serialize;

use super::layout::{Doc, Face};
use super::page::{chinese_date, Printed};
use crate::error::{Error, Result};

/// One task of the season: a title, what to do, and the screenshot that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ManualSection {
    pub title: &'static str,
    pub steps: &'static [&'static str],
    /// The screenshot's name in `ui/manual/` (without `.jpg`).
    pub image: &'static str,
}

/// The manual, in the order of the season.
pub const MANUAL: &[ManualSection] = &[
    ManualSection {
        title: "一、第一次打开和登录账户",
        steps: &[
            "第一次打开程序时，按提示创建管理员账户（用户名、姓名、密码），然后用它登录。",
            "管理员在“管理”菜单的“账户”里为每位工作人员建立账户并选择角色：录入员录入核查结果，审核人审核签字，镇领导作为负责人签字，督导组录入区级抽查。管理员设置的初始密码，本人第一次登录时必须修改。",
            "“管理”菜单的“工作人员”里维护调查组成员、验收人名单；页面顶部的“当前操作人”是录入和整改记录上署名的人（点中后直接输入姓名的拼音首字母即可找到，如 zjg 找张建国）。",
            "离开电脑超过设定时间（默认 30 分钟）没有操作，程序会自动退出登录。",
        ],
        image: "accounts",
    },
    ManualSection {
        title: "二、导入台账",
        steps: &[
            "在“农户台账”中点“导入台账…”，选择区里下发的 Excel 名单（摸排名单或财政补助改厕名单）。",
            "先点“检查”：程序列出将导入多少行、哪些内容待核实（例如身份证号被 Excel 截断、年份写错）、哪些行未导入及原因。确认无误后再点“导入”；导入要改动数据时先自动备份数据库（与库中完全一致的文件不改动数据，不另备份）。",
            "写得不对的内容先空着，记入“待核实清单”，在清单中逐项更正或核实后留空，不会整行丢掉。",
            "台账中写“无厕所”的农户记为无厕所户，不计入户厕数和排查率，单独统计。",
            "各村分表的 Excel（一个工作表一个村）一次导入一个工作表：导入后在“工作表”里选下一个再检查；表中没有“行政村”列而工作表名是村名的，各行就属于这个村。合并的单元格（一个村、一个社或一户几个厕所合并成一格）按合并格的内容读入每一行；“石鱼镇石鱼村”“石鱼村委会”“石鱼村3社”等写法都能认出。同社同名、住址或电话不同的户主按另一户导入，检查结果中标为“同名另户”，请核实；身份证号与已有农户相同而户主姓名不同的，按户主变更改写户主，检查结果中标为“户主变更”，请核实不是身份证号写错。",
            "先导入摸排名单，再导入财政补助改厕名单：补助名单按补助记录（项目、年度、金额）对到已有户厕，只填补助信息和摸排没填的项，不覆盖摸排结果；两份名单对不上的（补助名单有而摸排名单没有、摸排记为补助而补助名单没有）在检查结果中列出，供查缺补漏。",
        ],
        image: "import",
    },
    ManualSection {
        title: "三、录入核查",
        steps: &[
            "先在“打印…”中选“入户排查表”，按村或社打印预填好台账底数的排查表（每个户厕一页，可加空白表），发给入户调查组。列表上方的清单可筛选“未核查”“已自查（待复核）”“有问题未定类”“待验收”“逾期未整改”“逾期待验收”，括号里是户数，点“清单…”打印或导出。",
            "在左侧选村、社，点农户（或在列表中按 Enter），按纸质核查表逐项填写：核查类别和日期（年-月-日，例如 2026-11-29）、入户调查组（至少 2 人）、农户和户厕情况、是否正常使用、核查结果。",
            "全程可以只用键盘：调查组输入姓名或拼音首字母后按 Enter；选项旁的字母、数字就是它的键（是 1、否 0，无问题 W、有问题 Y）；问题输入编号或拼音首字母后按 Enter 勾选，影响使用的再按数字选原因。",
            "上一份表的核查类别、日期和调查组会沿用，旁边标着“沿用上一份”，请核对；从抽查样本打开的表按样本的核查类别，逐个转到样本中的下一个户厕。",
            "“无问题”也要明确选择。可以附照片，也可以更正台账底数。程序按方案的规则建议整改类别；村级自查只记录问题，类别、措施、责任人和完成时间由镇里在问题台账“待确定类别”中确定（镇里的工作人员也可以勾选“现在就确定”）。",
            "按 Enter 保存并转到下一个户厕；保存不了时，原因显示在出错的那一项旁边。没保存就关闭的内容留作草稿。",
            "名单上没有的农户点“新增农户…”，漏登的户厕在农户详情中点“新增户厕…”，都记为“入户核查新增”。手机拍的照片按户主命名放进一个文件夹，在“管理 → 照片导入”中一次挂到各户最近的核查记录；拍摄日期与核查日期相差一天以上的，会标出来请核实。",
        ],
        image: "inspection",
    },
    ManualSection {
        title: "四、问题厕所台账和销号",
        steps: &[
            "“问题厕所台账”列出所选范围的全部问题户厕和各村的统计；可按整改类别、状态、告知单是否送达、逾期（“逾期未整改”是过了计划完成时间还没整改完成，“逾期待验收”是农户已整改、镇里过了计划完成时间还没验收销号）、是否报区研究筛选。",
            "点一个问题户厕：确认或改定整改类别（与方案建议不同要写理由），填写整改措施、责任人和计划完成时间（不早于发现问题的核查，不晚于“设置”中的计划整改期限，默认 2030-12）。在输入框中按 Enter 即确认这一步。",
            "整改进度按“开始整改 → 登记整改完成 → 验收销号”登记。验收人不能是登记整改完成的人，也不能是已停用的人员；销号要户主在验收单上签字确认，未确认的要写明原因；还要记录怎样验收的：整改后照片、验收情况、签字的验收单扫描件至少有一项。已附的扫描件要更换，须写明原因，原扫描件保留。计划完成时间往后推，要写明延期原因。",
            "镇级复核、区级抽查发现的新情况自动更新整改记录；已整改待验收的户厕复核仍发现问题的，退回“整改中”；复核未发现问题的，提示验收销号，不会自动销号。镇里解决不了的，点“报区人居办研究…”并写明原因。",
        ],
        image: "ledger",
    },
    ManualSection {
        title: "五、打印告知单、验收单和签字背书表",
        steps: &[
            "在问题厕所台账中点“打印…”，选择“整改告知单”：每个计划整改的问题户厕一页，下方带回执。立行立改和类别未定的不打印，对话框会说明数量。",
            "告知单送到农户家后，在整改记录中“登记送达”；收回户主签字的回执后“登记回执收回”，并附扫描件。台账可筛选“未送达”“回执未收回”。",
            "已整改待验收的问题户厕可打印“整改验收单”；立行立改需要纸质材料的，打印“现场整改确认单”。",
            "在农户台账中点“打印…”可打印签字背书表，排查人、审核人、负责人签字；也可以在程序中签字背书。",
        ],
        image: "print",
    },
    ManualSection {
        title: "六、进度调度和月通报",
        steps: &[
            "“进度调度”显示截至某日的全镇和各村进度：排查率、问题厕所、已销号、逾期未整改、逾期待验收，以及按镇工作方案各阶段的进度要求标出滞后的村。“下一步”一栏写着每个村最该做的一件事，点它打开对应的清单。",
            "排名按综合进度 =（排查率 + 销号率）÷ 2；逾期待验收的按已销号计，村不因镇里验收滞后降低名次；没有问题厕所的村没有销号率，只看排查率。问题发现率明显低于全镇的村要核实是否漏报。",
            "点“打印月通报…”生成当月通报（PDF），也可以导出 Excel。通报列出报区人居办研究解决的问题和查缺补漏的数字。年底点“工作总结…”生成工作总结初稿（Word 文档），用 WPS 或 Word 修改。",
        ],
        image: "progress",
    },
    ManualSection {
        title: "七、比对抽查",
        steps: &[
            "“比对抽查 → 多方比对”把同一户厕的村级自查、镇级复核、区级抽查两两比对，差异率衡量调查组的工作质量；与台账底数不一致的是摸排查出的问题，另列。",
            "差异率的提示界限是本镇工作口径（默认超过 10% 再培训、20% 起二次回查、超过 40% 重新调查），在“管理”菜单的“设置”中可以修改。提示旁的按钮直接抽取该组的二次回查样本（按镇级复核录入），或列出该批农户重新调查。",
            "“区级抽查样本”按比例或数量随机抽取户厕（用途选区级抽查或本镇的镇级抽查），记录随机种子，可以复现；区里指定了农户的，点“导入区里的抽查名单…”。可打印样本清单、现场核查表和抽中农户的户档案，点“录入抽查结果”按样本顺序逐个录入。",
        ],
        image: "checks",
    },
    ManualSection {
        title: "八、备份",
        steps: &[
            "程序每天第一次打开时、每次导入和升级之前自动备份，保留最近 7 天每天一份、再往前 4 周每周一份。",
            "在“管理”菜单的“备份”里可以立即备份，或“备份到…”U 盘等文件夹（含完整个人信息，只有管理员可以）。",
            "数据出问题时，从备份列表中选择一份恢复；恢复前会先备份当前数据，不会丢失。",
        ],
        image: "backup",
    },
];

/// The manual as a PDF: each section with its screenshot (`picture_of(name)` gives the JPEG or PNG
/// bytes, or None when the screenshot is missing, which is said in its place).
pub fn manual_pdf(picture_of: &dyn Fn(&str) -> Option<Vec<u8>>, today: &str) -> Result<Printed> {
    let mut doc = Doc::new("农村户厕问题摸排整改工作台使用手册", false, 18.0);
    doc.new_page();
    doc.centered("农村户厕问题摸排整改工作台使用手册", Face::Bold, 18.0, 8.0);
    doc.centered(
        &format!("印制日期：{}", chinese_date(today)),
        Face::Regular,
        10.0,
        14.0,
    );
    for (k, s) in MANUAL.iter().enumerate() {
        if k > 0 && doc.y > doc.bottom - 260.0 {
            doc.new_page();
        }
        doc.paragraph(s.title, Face::Bold, 13.0, false);
        doc.y += 2.0;
        for (i, step) in s.steps.iter().enumerate() {
            doc.paragraph(&format!("{}. {step}", i + 1), Face::Regular, 10.5, false);
        }
        doc.y += 6.0;
        let picture = picture_of(s.image).and_then(|b| image::load_from_memory(&b).ok());
        match picture {
            Some(img) => {
                let w = doc.inner_width() * 0.9;
                let h = w * img.height().max(1) as f32 / img.width().max(1) as f32;
                if doc.y + h > doc.bottom {
                    doc.new_page();
                }
                let page = doc.page_count() - 1;
                let x = doc.margin + (doc.inner_width() - w) / 2.0;
                let drawn = doc.image(page, x, doc.y, w, &img);
                doc.rect(page, x, doc.y, w, drawn, false);
                doc.y += drawn + 14.0;
            }
            None => {
                doc.paragraph(
                    &format!("（截图“{}”缺失）", s.image),
                    Face::Regular,
                    9.0,
                    false,
                );
                doc.y += 8.0;
            }
        }
    }
    if doc.page_count() == 0 {
        return Err(Error::Invalid("使用手册没有内容。".into()));
    }
    super::page::finished(doc)
}
