//! The whole compiler over a plan, a listing and a schema SQL, given as one text with the three
//! parts separated by `%%` lines: any input gives artifacts or errors, never a panic (a
//! partition in another schema than its partitioned table made compile panic).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut parts = text.splitn(3, "\n%%\n");
    let (Some(plan), Some(listing), Some(schema)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    // The plan names its inputs as db.list and db-schema.sql, beside it.
    let dir = std::env::temp_dir().join(format!("restage-fuzz-compile-{}", std::process::id()));
    let plan_path = dir.join("plan.yaml");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&plan_path, plan))
        .and_then(|()| std::fs::write(dir.join("db.list"), listing))
        .and_then(|()| std::fs::write(dir.join("db-schema.sql"), schema));
    if written.is_err() {
        return;
    }
    if let Ok(analysis) = restage::analysis::analyze(&plan_path) {
        let _ = restage::compile::compile(&analysis, &restage::Templates::embedded());
    }
});
