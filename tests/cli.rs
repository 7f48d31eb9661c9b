//! What a new user meets before any plan: help with examples, `restage help <command>`,
//! completions, man pages, `--quiet` and `--color`.

use clap::CommandFactory;

use crate::test::{Test, compile, example};

/// Every command of restage, as clap knows them (so a new one is covered without listing it).
fn commands() -> Vec<String> {
    restage::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn every_help_is_wrapped_and_ends_with_examples() {
    let top = Test::new().args(["--help"]).run().stdout;
    assert!(
        top.contains("Examples:\n  restage lint plans/kitchen/plan.yaml\n"),
        "{top}"
    );
    assert!(
        top.contains("See 'restage help <command>' for more about a command."),
        "{top}"
    );
    for command in commands() {
        let help = Test::new().args([command.as_str(), "--help"]).run().stdout;
        let examples = help.split_once("\n\nExamples").map(|(_, rest)| rest);
        assert!(
            examples.is_some_and(|e| e.contains(&format!("restage {command} "))),
            "restage {command} --help has no paragraph of examples of it:\n{help}"
        );
        let widest = help.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(
            widest <= 100,
            "restage {command} --help is {widest} wide:\n{help}"
        );
        let via_help = Test::new().args(["help", command.as_str()]).run().stdout;
        assert_eq!(via_help, help, "restage help {command}");
    }
}

#[test]
fn completions_are_written_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = Test::new().args(["completions", shell]).run().stdout;
        for command in commands() {
            assert!(
                script.contains(&command),
                "the {shell} completions do not know {command}"
            );
        }
    }
    Test::new().args(["completions", "tcsh"]).status(2).run();
}

#[test]
fn bash_completes_a_subcommand_from_the_sourced_script() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("restage.bash");
    let completions = Test::new().args(["completions", "bash"]).run().stdout;
    std::fs::write(&script, completions).expect("script written");
    // What bash itself does on `restage com<TAB>` and `restage lint --de<TAB>`.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {script}; COMP_WORDS=({words}); COMP_CWORD={last}; COMP_LINE='{line}'; \
             COMP_POINT={point}; _restage restage '{current}' '{previous}'; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script = script.display(),
            words = words.join(" "),
            last = words.len() - 1,
            point = line.len(),
            current = words[words.len() - 1],
            previous = words[words.len() - 2],
        );
        let output = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &program])
            .output()
            .expect("bash runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let offered = complete("restage com");
    let offered: Vec<&str> = offered.lines().collect();
    assert_eq!(offered, ["compile", "completions"], "restage com<TAB>");
    let offered = complete("restage lint --de");
    assert_eq!(offered.trim(), "--deny", "restage lint --de<TAB>");
}

#[test]
fn man_writes_a_page_per_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("man");
    Test::new()
        .args(["man".as_ref(), "--out".as_ref(), out.as_os_str()])
        .stdout("")
        .run();
    let page = |name: &str| {
        std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert!(page("restage.1").starts_with(".ie \\n(.g .ds Aq \\(aq"));
    assert!(page("restage.1").contains(".TH restage 1"));
    for command in commands() {
        let text = page(&format!("restage-{command}.1"));
        assert!(
            text.contains(&format!(".TH restage-{command} 1")) && text.contains("Examples"),
            "restage-{command}.1:\n{text}"
        );
    }
    assert!(page("restage-compile.1").contains("restage compile plans/kitchen/plan.yaml"));
}

#[test]
fn quiet_leaves_only_what_was_asked_for_and_what_went_wrong() {
    let out = tempfile::tempdir().expect("temp dir");
    let plan = example("kitchen");
    let compile = |quiet: bool| {
        let mut args = vec![
            "compile".as_ref(),
            plan.as_os_str(),
            "--out".as_ref(),
            out.path().as_os_str(),
        ];
        if quiet {
            args.push("--quiet".as_ref());
        }
        Test::new().args(args).stdout("").run().stderr
    };
    assert!(compile(false).starts_with("restage: wrote "));
    assert_eq!(compile(true), "");
    let check = Test::new()
        .args([
            "-q".as_ref(),
            "check".as_ref(),
            plan.as_os_str(),
            "--out".as_ref(),
            out.path().as_os_str(),
        ])
        .run();
    assert_eq!((check.stdout.as_str(), check.stderr.as_str()), ("", ""));
    // Findings are what lint was asked for: they stay; the summary line goes.
    let lint = Test::new()
        .args(["lint".as_ref(), plan.as_os_str(), "-q".as_ref()])
        .stderr("")
        .run();
    assert!(lint.stdout.contains("L001"), "{}", lint.stdout);
    // And an error is never silenced.
    let missing = Test::new()
        .args([
            "-q",
            "compile",
            "no/such/plan.yaml",
            "--out",
            "/nonexistent",
        ])
        .status(2)
        .stdout("")
        .run();
    assert!(
        missing.stderr.contains("no/such/plan.yaml"),
        "{}",
        missing.stderr
    );
}

#[test]
fn color_paints_the_drift_diff_and_the_errors_only_when_asked() {
    let out = tempfile::tempdir().expect("temp dir");
    let plan = example("kitchen");
    compile(&plan, out.path());
    let cutover = out.path().join("50-cutover.sql");
    let edited = std::fs::read_to_string(&cutover).expect("cutover").replace(
        "SET LOCAL idle_in_transaction_session_timeout = 1000;",
        "SET LOCAL idle_in_transaction_session_timeout = 9000;",
    );
    std::fs::write(&cutover, edited).expect("edited");
    let check = |color: &str| {
        Test::new()
            .args([
                "check".as_ref(),
                plan.as_os_str(),
                "--out".as_ref(),
                out.path().as_os_str(),
                "--color".as_ref(),
                color.as_ref(),
            ])
            // NO_COLOR speaks for `auto` only.
            .env("NO_COLOR", "1")
            .status(1)
            .run()
            .stdout
    };
    let painted = check("always");
    assert!(
        painted.contains("\x1b[31m-SET LOCAL idle_in_transaction_session_timeout = 9000;\x1b[0m\n")
            && painted.contains(
                "\x1b[32m+SET LOCAL idle_in_transaction_session_timeout = 1000;\x1b[0m\n"
            )
            && painted.contains("\x1b[1m--- 50-cutover.sql (in the folder)\x1b[0m\n"),
        "{painted}"
    );
    for plain in [check("never"), check("auto")] {
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(
            plain.contains("-SET LOCAL idle_in_transaction_session_timeout = 9000;\n"),
            "{plain}"
        );
    }
    let error = |color: &str| {
        Test::new()
            .args([
                "compile",
                "no/such/plan.yaml",
                "--out",
                "x",
                "--color",
                color,
            ])
            .status(2)
            .run()
            .stderr
    };
    assert!(!error("never").contains('\x1b'));
    assert_eq!(
        error("auto"),
        error("never"),
        "stderr is not a terminal here"
    );
}

/// `restage init` over the kitchen example, as a user runs it next to the listing: the plan it
/// prints (snapshotted) compiles where it is saved, and lint finds in it what it finds in the
/// hand-written example's tables.
#[test]
fn init_writes_a_plan_that_compiles_as_it_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let example = example("kitchen");
    let examples = example.parent().expect("example folder");
    for file in ["kitchen.list", "kitchen-schema.sql"] {
        std::fs::copy(examples.join(file), dir.path().join(file)).expect("copied");
    }
    let made = Test::new()
        .args([
            "init",
            "--listing",
            "kitchen.list",
            "--schema",
            "kitchen-schema.sql",
            "--table",
            "public.reading",
            "--table",
            "\"Weird Schema\".\"Order Items\"",
            "--dump",
            "/backups/kitchen dump.pgdump",
        ])
        .current_dir(dir.path())
        .run();
    crate::test::snapshot_settings().bind(|| {
        insta::assert_snapshot!("init@kitchen.yaml", made.stdout);
    });
    assert!(
        made.stderr
            .starts_with("restage init: a plan of 2 table(s); every other table of kitchen.list is there to uncomment\n"),
        "{}",
        made.stderr
    );
    let plan = dir.path().join("plan.yaml");
    std::fs::write(&plan, &made.stdout).expect("plan saved");
    compile(&plan, &dir.path().join("out"));
    let manifest = std::fs::read_to_string(dir.path().join("out/manifest.json")).expect("manifest");
    assert!(
        manifest.contains("\"dump\": \"/backups/kitchen dump.pgdump\""),
        "{manifest}"
    );

    // Every commented-out table is one line to uncomment: the plan of all of them compiles
    // too, but for the partitions, which come with their partitioned table.
    let all: String = made
        .stdout
        .lines()
        .filter(|line| !line.contains("# partition of"))
        .map(|line| match line.strip_prefix("  # - ") {
            Some(table) => format!("  - {table}\n"),
            None => format!("{line}\n"),
        })
        .collect();
    assert!(all.matches("\n  - ").count() > 5, "{all}");
    std::fs::write(&plan, all).expect("plan saved");
    compile(&plan, &dir.path().join("out"));
}

#[test]
fn init_refuses_what_the_listing_does_not_hold_and_says_how_to_make_it() {
    let examples = example("kitchen");
    let dir = examples.parent().expect("example folder");
    let init = |args: &[&str]| {
        Test::new()
            .args([
                "init",
                "--listing",
                "kitchen.list",
                "--schema",
                "kitchen-schema.sql",
            ])
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .status(2)
            .stdout("")
            .run()
            .stderr
    };
    let said = init(&["--table", "public.nosuch"]);
    assert!(
        said.contains("--table public.nosuch: kitchen.list holds no table public.nosuch")
            && said.contains("restage toc kitchen.list lists its tables"),
        "{said}"
    );
    let said = init(&["--table", "public.reading", "--table", "PUBLIC.Reading"]);
    assert!(said.contains("public.reading is named twice"), "{said}");
    let said = Test::new()
        .args([
            "init",
            "--listing",
            "new.list",
            "--schema",
            "new-schema.sql",
            "--table",
            "public.reading",
            "--dump",
            "/backups/kitchen.dump",
        ])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .status(2)
        .stdout("")
        .run()
        .stderr;
    assert!(
        said.contains("cannot read the listing new.list")
            && said.contains("pg_restore -l -v -f new.list /backups/kitchen.dump")
            && said.contains("pg_restore --schema-only -v -f new-schema.sql /backups/kitchen.dump")
            && said.contains("--run-pg-restore"),
        "{said}"
    );
    // A plan table named with its partition is refused by the plan's own rules, before
    // anything is printed.
    let said = init(&[
        "--table",
        "app.measurement",
        "--table",
        "app.measurement_2025",
    ]);
    assert!(said.contains("app.measurement_2025"), "{said}");
}
