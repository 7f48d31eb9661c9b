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

pub(crate) struct Template {
    pub name: &'static str,
    pub source: &'static str,
    pub makes: Makes,
}

macro_rules! template {
    ($name:expr, $file:literal, $makes:ident) => {
        Template {
            name: $name,
            source: include_str!(concat!("../templates/", $file)),
            makes: Makes::$makes,
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
    template!(VERIFY, "40-verify.sql", Script),
    template!(CUTOVER, "50-cutover.sql", Script),
    template!(CUTOVER_DRIVER, "50-cutover.sh", Script),
    template!(AFTER_CUTOVER, "55-after-cutover.sql", Script),
    template!(ROLLBACK, "60-rollback.sql", Script),
    template!(ROLLBACK_DRIVER, "60-rollback.sh", Script),
    template!(CLEANUP, "70-cleanup.sql", Script),
    template!(CLEANUP_DRIVER, "70-cleanup.sh", Script),
    template!(STATUS, "90-status.sql", Script),
    template!(UNIT_LIST, "load-unit.list", UnitList),
    template!(REVIEW, "REVIEW.md", Review),
    template!(INIT_PLAN, "plan.yaml", Scaffold),
];

/// The scripts and lists made from the whole model, in run order.
pub(crate) fn scripts() -> impl Iterator<Item = &'static str> {
    TEMPLATES
        .iter()
        .filter(|t| t.makes == Makes::Script)
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
