//! What a form may not do to results and evidence already recorded: be dated before the
//! campaign began.

use super::*;

/// Review probe (12): an inspection dated 2015 was saved — the earliest date allowed was
/// 2013-01-01 although the message said the work began in 2022 (the seed plan is of 2022).
#[test]
fn an_inspection_cannot_be_dated_before_the_campaign() {
    let t = town();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    for on in ["2015-03-01", "2021-12-31"] {
        let mut early = f.clone();
        early.inspected_on = on.into();
        refused(&t, &early, "2022 年");
    }
    f.inspected_on = "2022-01-01".into();
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
}
