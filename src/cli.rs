//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::report::Format;

/// Compile a staging-first restore plan for a live PostgreSQL database into reviewed,
/// deterministic scripts. restage never connects to a database: people review what it
/// writes, then run it with psql and pg_restore.
#[derive(Debug, Parser)]
#[command(
    name = "restage",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = examples::RESTAGE
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How errors and warnings are reported: drawn for people, JSON, or GitHub Actions
    /// annotations (the default under GitHub Actions, GITHUB_ACTIONS=true).
    #[arg(long, value_enum, global = true, value_name = "FORMAT")]
    pub message_format: Option<Format>,
    /// Print only errors, warnings and what was asked for: no lines saying what was done.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour in drawn errors and in `check`'s diff: `auto` when writing to a terminal and
    /// NO_COLOR is unset.
    #[arg(long, value_enum, global = true, value_name = "WHEN", default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether to colour what goes to a stream that is (or is not) a terminal.
    pub fn enabled(self, terminal: bool) -> bool {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        self.decide(terminal, no_color)
    }

    /// NO_COLOR (set and not empty, https://no-color.org) only speaks for `auto`: an explicit
    /// `--color always` is the later, more specific wish.
    fn decide(self, terminal: bool, no_color: bool) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => terminal && !no_color,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse a `pg_restore -l` / `pg_restore -l -v` listing and print its entries.
    ///
    /// Prints the header and every entry with its schema, name, owner and dependencies.
    /// Entries whose schema, name and owner the listing alone cannot split are marked
    /// ambiguous and list every possible reading.
    #[command(after_help = examples::TOC)]
    Toc {
        /// The listing file, or `-` for standard input.
        listing: PathBuf,
        /// Output format: an aligned table, or JSON for other tools.
        #[arg(long, value_enum, default_value_t = TocFormat::Text)]
        format: TocFormat,
    },

    /// Compile a plan into its artifacts: SQL scripts, TOC lists, shell drivers, a manifest.
    ///
    /// The output is deterministic: the same plan, listing and schema SQL give byte-identical
    /// files on any machine. An existing output folder is updated in place: files a previous
    /// compile wrote and this one does not are removed (the old manifest.json names them).
    #[command(after_help = examples::COMPILE)]
    Compile {
        /// The plan file (YAML).
        plan: PathBuf,
        /// The folder to write the artifacts to.
        #[arg(long, short)]
        out: PathBuf,
        /// A folder of templates replacing the built-in ones of the same name.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// How errors are reported (as --message-format).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },

    /// Check that a folder holds exactly what `compile` would write (exit 1 and a diff if not).
    ///
    /// For CI: regenerate in memory, compare byte for byte, name missing and extra files.
    #[command(after_help = examples::CHECK)]
    Check {
        /// The plan file (YAML).
        plan: PathBuf,
        /// The folder that should hold the compiled artifacts.
        #[arg(long, short)]
        out: PathBuf,
        /// A folder of templates replacing the built-in ones of the same name.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// How errors and drift are reported (as --message-format).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },

    /// Print the review of a plan, REVIEW.md as `compile` writes it, without writing files.
    ///
    /// The tables and their order, each step with the locks it takes on production, the cutover
    /// window, what a rollback cannot undo, the lint findings, and the sha256 of every artifact.
    #[command(after_help = examples::EXPLAIN)]
    Explain {
        /// The plan file (YAML).
        plan: PathBuf,
        /// A folder of templates replacing the built-in ones of the same name.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// How errors are reported (as --message-format).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },

    /// Draw the plan's tables in load order, with the foreign keys, `after:` and inheritance
    /// that order them.
    ///
    /// Mermaid renders in GitHub and GitLab Markdown (REVIEW.md embeds it); dot is for
    /// Graphviz: `restage graph plan.yaml --format dot | dot -Tsvg > plan.svg`.
    #[command(after_help = examples::GRAPH)]
    Graph {
        /// The plan file (YAML).
        plan: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },

    /// Report what an approver should weigh before saying yes: foreign keys and views the
    /// cutover must re-create, shared sequences, default partitions, tables without a key,
    /// unlogged staging, missing data.
    ///
    /// Exit status: 0 when the plan is valid (even with warnings), 1 with warnings under
    /// `--deny warnings`, 2 when the plan itself has errors.
    #[command(after_help = examples::LINT)]
    Lint {
        /// The plan file (YAML).
        plan: PathBuf,
        /// How findings and errors are reported: drawn against the plan for people (text), JSON,
        /// or GitHub Actions annotations (the default under GitHub Actions).
        #[arg(long, value_enum)]
        format: Option<LintFormat>,
        /// Exit with status 1 when there are findings of this level.
        #[arg(long, value_enum, value_name = "LEVEL")]
        deny: Option<Deny>,
    },

    /// Filter a `pg_restore -f -` stream into psql, sending each COPY to its staging table.
    ///
    /// Rewrites the target of `COPY <table> (...) FROM stdin;` for every mapped table and
    /// passes its data rows through byte for byte. Session settings, comments and psql's
    /// \restrict pass too. Any other statement (a setval, a COPY into an unmapped table, DDL)
    /// stops the stream with an error, as does a COPY cut off before its `\.` line.
    #[command(after_help = examples::REMAP)]
    Remap {
        /// SOURCE=TARGET, both schema-qualified in PostgreSQL syntax; repeatable.
        #[arg(long = "map", value_name = "SOURCE=TARGET", required = true)]
        maps: Vec<String>,
        /// Pass at most this many bytes in any one second (a number, or with kB, MB or GB); a
        /// stall earns no credit, so there is no burst after one.
        #[arg(long, value_name = "BYTES_PER_SECOND", value_parser = parse_rate)]
        max_rate: Option<u64>,
        /// Share --max-rate with every remap given the same FILE (a schedule kept in it, under
        /// a lock): the loads running at each moment divide the rate between them.
        #[arg(long, value_name = "FILE", requires = "max_rate")]
        share_rate_with: Option<PathBuf>,
        /// Write `<copies> <rows> <bytes>` of the data that went through to this file.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
        /// Every SECONDS, a line on stderr with the bytes and rows gone through and the rate
        /// (and the time left, with --expected-bytes), as long as the stream lasts.
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
        progress: Option<u64>,
        /// What each progress line starts with.
        #[arg(
            long,
            value_name = "TEXT",
            requires = "progress",
            default_value = "restage remap"
        )]
        label: String,
        /// The size the stream is expected to reach (a number, or with kB, MB or GB): progress
        /// lines then estimate the time left.
        #[arg(long, value_name = "BYTES", requires = "progress", value_parser = parse_rate)]
        expected_bytes: Option<u64>,
        /// Redraw one progress line in place (for a terminal) instead of a line each time.
        #[arg(long, requires = "progress")]
        redraw: bool,
    },

    /// Write a first plan to standard output: the chosen tables, and every other table of the
    /// listing commented out, grouped by schema.
    ///
    /// The plan is compiled before it is printed, so it compiles as it is; its paths are
    /// written as given, relative to where the plan is to be saved. With --dump the plan names
    /// the archive and shows the pg_restore commands that make the listing and the schema SQL;
    /// --run-pg-restore runs them first.
    #[command(after_help = examples::INIT)]
    Init {
        /// The archive's listing (`pg_restore -l -v`).
        #[arg(long, value_name = "FILE")]
        listing: PathBuf,
        /// The archive's schema SQL (`pg_restore --schema-only -v`).
        #[arg(long, value_name = "FILE")]
        schema: PathBuf,
        /// A table to restore, schema-qualified in PostgreSQL syntax; repeatable.
        #[arg(long = "table", value_name = "SCHEMA.TABLE", required = true)]
        tables: Vec<String>,
        /// The archive the scripts will read when they run.
        #[arg(long, value_name = "PATH")]
        dump: Option<PathBuf>,
        /// The plan's name (default: from the listing's file name).
        #[arg(long)]
        name: Option<String>,
        /// Make the listing and the schema SQL from --dump with pg_restore first.
        #[arg(long, requires = "dump")]
        run_pg_restore: bool,
    },

    /// Print a completion script for a shell.
    ///
    /// Load it in the shell's own way; the script completes commands, options and their values.
    #[command(after_help = examples::COMPLETIONS)]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Write a man page for restage and one for each of its commands.
    #[command(after_help = examples::MAN)]
    Man {
        /// The folder to write `restage.1`, `restage-compile.1`, ... into (created if missing).
        #[arg(long, short)]
        out: PathBuf,
    },
}

/// The examples that close each command's help, as cargo's and terraform's do.
mod examples {
    pub(super) const RESTAGE: &str = "\
Examples:
  restage lint plans/kitchen/plan.yaml
  restage compile plans/kitchen/plan.yaml --out plans/kitchen/out
  restage check plans/kitchen/plan.yaml --out plans/kitchen/out

See 'restage help <command>' for more about a command.";

    pub(super) const TOC: &str = "\
Examples:
  restage toc kitchen.list
  pg_restore -l -v /backups/kitchen.dump | restage toc - --format json";

    pub(super) const COMPILE: &str = "\
Examples:
  restage compile plans/kitchen/plan.yaml --out plans/kitchen/out
  restage compile plan.yaml --out out --templates my-templates/";

    pub(super) const CHECK: &str = "\
Examples:
  restage check plans/kitchen/plan.yaml --out plans/kitchen/out
  restage check plan.yaml --out out --format github";

    pub(super) const EXPLAIN: &str = "\
Examples:
  restage explain plans/kitchen/plan.yaml | less";

    pub(super) const GRAPH: &str = "\
Examples:
  restage graph plans/kitchen/plan.yaml
  restage graph plans/kitchen/plan.yaml --format dot | dot -Tsvg > kitchen.svg";

    pub(super) const LINT: &str = "\
Examples:
  restage lint plans/kitchen/plan.yaml
  restage lint plans/kitchen/plan.yaml --deny warnings --format json";

    pub(super) const REMAP: &str = "\
Examples (20-load.sh runs it this way):
  pg_restore --data-only -L load/0001-public.reading.list -f - kitchen.dump \\
    | restage remap --map public.reading=restore_staging.reading --max-rate 50MB \\
    | psql -X -v ON_ERROR_STOP=1";

    pub(super) const INIT: &str = "\
Examples:
  restage init --listing kitchen.list --schema kitchen-schema.sql \\
    --table public.reading --table app.sensor > plan.yaml
  restage init --dump /backups/kitchen.dump --run-pg-restore \\
    --listing kitchen.list --schema kitchen-schema.sql --table public.reading > plan.yaml";

    pub(super) const COMPLETIONS: &str = "\
Examples:
  restage completions bash > ~/.local/share/bash-completion/completions/restage
  restage completions zsh > ~/.zfunc/_restage
  restage completions fish > ~/.config/fish/completions/restage.fish";

    pub(super) const MAN: &str = "\
Examples:
  restage man --out target/man && man target/man/restage-compile.1";
}

fn parse_rate(text: &str) -> Result<u64, String> {
    crate::units::parse_rate(text).ok_or_else(|| {
        format!("{text} is not a rate: a positive number of bytes, or with kB, MB or GB")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TocFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
    Github,
}

impl From<LintFormat> for Format {
    fn from(format: LintFormat) -> Format {
        match format {
            LintFormat::Text => Format::Human,
            LintFormat::Json => Format::Json,
            LintFormat::Github => Format::Github,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    Warnings,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Color;

    #[test]
    fn arguments_are_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn colour_follows_the_terminal_and_no_color_under_auto_only() {
        assert!(Color::Auto.decide(true, false));
        assert!(!Color::Auto.decide(true, true));
        assert!(!Color::Auto.decide(false, false));
        assert!(Color::Always.decide(false, true));
        assert!(!Color::Never.decide(true, false));
    }
}
