//! Every file restage writes, and every template it lays them out with: the one list of both,
//! which compile, render and REVIEW.md's steps read.

pub(crate) const PREFLIGHT: &str = "00-preflight.sql";
pub(crate) const STAGE: &str = "10-stage.sql";
pub(crate) const LOAD_LIST: &str = "20-load.list";
pub(crate) const LOAD: &str = "20-load.sh";
pub(crate) const BUILD: &str = "30-build.sql";
pub(crate) const VERIFY: &str = "40-verify.sql";
pub(crate) const CUTOVER: &str = "50-cutover.sql";
pub(crate) const CUTOVER_DRIVER: &str = "50-cutover.sh";
pub(crate) const AFTER_CUTOVER: &str = "55-after-cutover.sql";
pub(crate) const ROLLBACK: &str = "60-rollback.sql";
pub(crate) const ROLLBACK_DRIVER: &str = "60-rollback.sh";
pub(crate) const CLEANUP: &str = "70-cleanup.sql";
pub(crate) const CLEANUP_DRIVER: &str = "70-cleanup.sh";
pub(crate) const STATUS: &str = "90-status.sql";
pub(crate) const RECOVER_PREVIEW: &str = "45-recover-preview.sql";
pub(crate) const RECOVER: &str = "50-recover.sh";
pub(crate) const UNDO_RECOVER: &str = "60-undo-recover.sql";
/// `load/NNNN-<table>.list`, one per table loaded.
pub(crate) const UNIT_LIST: &str = "load-unit.list";
pub(crate) const REVIEW: &str = "REVIEW.md";
/// The plan `restage init` writes.
pub(crate) const INIT_PLAN: &str = "plan.yaml";
/// Written by serde, not by a template.
pub(crate) const MANIFEST: &str = "manifest.json";

/// What a template makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Makes {
    /// The file of its own name, from the whole model, in run order.
    Script,
    /// One list per table loaded, from that table alone.
    UnitList,
    /// REVIEW.md, from the review model, once every other file is written.
    Review,
    /// Nothing by itself: macros and pieces that other templates import or include.
    Part,
    /// No artifact: the plan `restage init` prints.
    Scaffold,
}

/// Which plans a script is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serves {
    Every,
    /// Plans that swap tables (`mode: swap`).
    Swap,
    /// Plans that recover rows (`mode: recover`).
    Recover,
}

pub(crate) struct Template {
    pub name: &'static str,
    pub source: &'static str,
    pub makes: Makes,
    pub serves: Serves,
}

macro_rules! template {
    ($name:expr, $file:literal, $makes:ident) => {
        template!($name, $file, $makes, Every)
    };
    ($name:expr, $file:literal, $makes:ident, $serves:ident) => {
        Template {
            name: $name,
            source: include_str!(concat!("../templates/", $file)),
            makes: Makes::$makes,
            serves: Serves::$serves,
        }
    };
}

/// The templates restage ships, the scripts among them in run order. `--templates DIR` may
/// replace any of them.
pub(crate) const TEMPLATES: &[Template] = &[
    template!("macros.sql", "macros.sql", Part),
    template!("driver.sh", "driver.sh", Part),
    template!(PREFLIGHT, "00-preflight.sql", Script),
    template!(STAGE, "10-stage.sql", Script),
    template!(LOAD_LIST, "20-load.list", Script),
    template!(LOAD, "20-load.sh", Script),
    template!(BUILD, "30-build.sql", Script),
    template!(VERIFY, "40-verify.sql", Script, Swap),
    template!(RECOVER_PREVIEW, "45-recover-preview.sql", Script, Recover),
    template!(CUTOVER, "50-cutover.sql", Script, Swap),
    template!(CUTOVER_DRIVER, "50-cutover.sh", Script, Swap),
    template!(RECOVER, "50-recover.sh", Script, Recover),
    template!(AFTER_CUTOVER, "55-after-cutover.sql", Script, Swap),
    template!(ROLLBACK, "60-rollback.sql", Script, Swap),
    template!(ROLLBACK_DRIVER, "60-rollback.sh", Script, Swap),
    template!(UNDO_RECOVER, "60-undo-recover.sql", Script, Recover),
    template!(CLEANUP, "70-cleanup.sql", Script),
    template!(CLEANUP_DRIVER, "70-cleanup.sh", Script),
    template!(STATUS, "90-status.sql", Script),
    template!(UNIT_LIST, "load-unit.list", UnitList),
    template!(REVIEW, "REVIEW.md", Review),
    template!(INIT_PLAN, "plan.yaml", Scaffold),
];

/// The scripts and lists made from the whole model for a plan that swaps tables (`recovers`
/// false) or recovers rows, in run order.
pub(crate) fn scripts(recovers: bool) -> impl Iterator<Item = &'static str> {
    let serves = if recovers {
        Serves::Recover
    } else {
        Serves::Swap
    };
    TEMPLATES
        .iter()
        .filter(move |t| {
            t.makes == Makes::Script && (t.serves == Serves::Every || t.serves == serves)
        })
        .map(|t| t.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each template is the file of its name in `templates/`, which `--templates DIR` overrides
    /// by that name, and every file there is one of them.
    #[test]
    fn the_templates_are_the_files_of_templates() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for template in TEMPLATES {
            let on_disk = std::fs::read_to_string(dir.join(template.name))
                .expect("a template file of that name");
            assert_eq!(on_disk, template.source, "{}", template.name);
        }
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("templates/")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut names: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        assert_eq!(files, names);
    }
}
