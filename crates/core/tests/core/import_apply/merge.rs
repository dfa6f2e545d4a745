//! #17 (1): the subsidy list (财政补助改厕名单) is merged into the survey list (摸排名单), matched
//! by the subsidy record, and what is on one list only is reported (查缺补漏).

use super::*;
use huce_core::import::apply::BaselineList;

/// 序号, 技术模式, 补助年度, 补助金额 (分), 项目名称.
type ToiletRow = (
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn toilets(t: &TestDb, head: &str) -> Vec<ToiletRow> {
    t.prepare(
        "SELECT t.seq, t.tech_mode, t.subsidy_year, t.subsidy_amount_fen, t.project_name
         FROM toilets t JOIN households h ON h.id = t.household_id WHERE h.head_name = ?1
         ORDER BY t.seq",
    )
    .unwrap()
    .query_map([head], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn the_subsidy_list_is_matched_by_its_record_and_the_gaps_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    let survey = dir.path().join("摸排名单.xlsx");
    write_xlsx(
        &survey,
        &[
            &[
                "行政村",
                "社",
                "户主姓名",
                "技术模式",
                "建设年度",
                "是否财政补助",
                "使用状态",
            ],
            &[
                "石鱼村",
                "1社",
                "张建国",
                "三格式化粪池",
                "2012",
                "否",
                "正常使用",
            ],
            &[
                "石鱼村",
                "1社",
                "张建国",
                "三格式化粪池",
                "2016",
                "是",
                "正常使用",
            ],
            &[
                "石鱼村",
                "1社",
                "李秀英",
                "双瓮漏斗式",
                "2015",
                "是",
                "正常使用",
            ],
            &[
                "石鱼村",
                "2社",
                "王五",
                "三格式化粪池",
                "2019",
                "否",
                "正常使用",
            ],
        ],
    );
    let r = run(&t, &survey, &opts(true), true, dir.path());
    assert_eq!(
        r.list,
        BaselineList::Survey,
        "recognised as the survey list"
    );
    assert_eq!(r.toilets_new, 4);

    let subsidy = dir.path().join("财政补助改厕名单.xlsx");
    write_xlsx(
        &subsidy,
        &[
            &[
                "行政村",
                "社",
                "户主姓名",
                "项目名称",
                "补助年度",
                "补助金额（元）",
            ],
            &[
                "石鱼村",
                "1社",
                "张建国",
                "2016年农村改厕项目",
                "2016",
                "1000",
            ],
            &["石鱼村", "2社", "王五", "2019年农村改厕项目", "2019", "800"],
            &["石鱼村", "2社", "赵六", "2019年农村改厕项目", "2019", "800"],
        ],
    );
    let before = toilets(&t, "张建国");
    // The dry run shows the match and writes nothing.
    let dry = run(&t, &subsidy, &opts(false), false, dir.path());
    assert_eq!(dry.list, BaselineList::Subsidy, "recognised by its columns");
    let m = dry.merge.as_ref().expect("the merge is reported");
    assert_eq!((m.matched, m.already), (2, 0));
    assert_eq!(m.new_households.len(), 1);
    assert_eq!(m.new_households[0].head_name, "赵六");
    assert_eq!(m.new_households[0].row, Some(4));
    assert_eq!(m.survey_said_no.len(), 1);
    assert_eq!(
        (
            m.survey_said_no[0].head_name.as_str(),
            m.survey_said_no[0].toilet_seq
        ),
        ("王五", Some(1))
    );
    assert_eq!(m.only_on_survey_total, 1);
    assert_eq!(
        (
            m.only_on_survey[0].head_name.as_str(),
            m.only_on_survey[0].toilet_seq
        ),
        ("李秀英", Some(1))
    );
    assert_eq!(toilets(&t, "张建国"), before, "a dry run changes nothing");

    let done = run(&t, &subsidy, &opts(false), true, dir.path());
    assert_eq!(
        done.merge, dry.merge,
        "the commit does what the dry run showed"
    );
    // 张建国's subsidised toilet (built 2016) got the record; the other is untouched, and
    // nothing the survey found was overwritten.
    assert_eq!(
        toilets(&t, "张建国"),
        vec![
            (1, Some("three_compartment".into()), None, None, None),
            (
                2,
                Some("three_compartment".into()),
                Some(2016),
                Some(100_000),
                Some("2016年农村改厕项目".into())
            ),
        ]
    );
    assert_eq!(toilets(&t, "王五").len(), 1, "matched, not added");
    assert_eq!(toilets(&t, "赵六").len(), 1);

    // Imported again: every row finds its own record; nothing new.
    let again = run(&t, &subsidy, &opts(false), true, dir.path());
    let m = again.merge.unwrap();
    assert_eq!((m.matched, m.already), (3, 3));
    assert!(m.new_households.is_empty() && m.new_toilets.is_empty());
    assert_eq!(again.toilets_new, 0);

    // A later list with another amount: the same toilet, corrected, the difference reported.
    let corrected = dir.path().join("补助名单（更正）.xlsx");
    write_xlsx(
        &corrected,
        &[
            &[
                "行政村",
                "社",
                "户主姓名",
                "项目名称",
                "补助年度",
                "补助金额（元）",
            ],
            &[
                "石鱼村",
                "1社",
                "张建国",
                "2016年农村改厕项目",
                "2016",
                "1200",
            ],
        ],
    );
    let r = run(&t, &corrected, &opts(false), true, dir.path());
    let m = r.merge.unwrap();
    assert_eq!((m.matched, m.record_differs.len()), (1, 1));
    assert_eq!(m.record_differs[0].toilet_seq, Some(2));
    assert_eq!(toilets(&t, "张建国")[1].3, Some(120_000));
    assert!(change_log(&t).iter().any(|(f, old, new)| f == "补助金额"
        && old.as_deref() == Some("1000元")
        && new.as_deref() == Some("1200元")));

    // Told it is a survey list, the same file is read row by row.
    let told = ImportOptions {
        list: BaselineList::Survey,
        ..opts(false)
    };
    let as_survey = run(&t, &subsidy, &told, false, dir.path());
    assert_eq!(as_survey.list, BaselineList::Survey);
    assert!(as_survey.merge.is_none());
}

/// Found in review: a village's survey ledger with 项目名称 and 补助金额 columns, blank for the
/// households that had no subsidy, is a survey ledger, not a subsidy list: only the toilet the
/// file says was subsidised is recorded as subsidised.
#[test]
fn a_survey_ledger_with_subsidy_columns_left_blank_is_not_a_subsidy_list() {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    let path = dir.path().join("石鱼村摸排台账.xlsx");
    write_xlsx(
        &path,
        &[
            &[
                "序号",
                "行政村",
                "社",
                "户主姓名",
                "技术模式",
                "建设年度",
                "项目名称",
                "补助金额",
            ],
            &[
                "1",
                "石鱼村",
                "1社",
                "杨一",
                "三格式化粪池",
                "2016",
                "2016年改厕项目",
                "1000",
            ],
            &["2", "石鱼村", "1社", "杨二", "非卫生厕所", "", "", ""],
            &["3", "石鱼村", "1社", "杨三", "三格式化粪池", "2020", "", ""],
        ],
    );
    let r = run(&t, &path, &opts(true), true, &dir.path().join("b"));
    assert_eq!(r.list, BaselineList::Survey, "recognised by its rows");
    let subsidized: Vec<(String, Option<bool>)> = t
        .prepare(
            "SELECT h.head_name, t.subsidized FROM toilets t JOIN households h ON h.id = t.household_id
             ORDER BY h.head_name",
        )
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        subsidized,
        [
            ("杨一".to_string(), Some(true)),
            ("杨三".to_string(), None),
            ("杨二".to_string(), None)
        ],
        "no subsidy the file does not give"
    );
}
