//! restage compiles a staging-first restore plan into reviewed, deterministic artifacts.
//!
//! Each stage is a pure function of its inputs; errors are values that carry their source
//! location and become diagnostics only at the edge (`run`).

pub mod analysis;
mod artifacts;
mod cli;
pub mod compile;
mod diagnostic;
mod diagram;
mod digest;
mod error;
mod graph;
mod lint;
mod markdown;
mod output;
pub mod plan;
pub mod remap;
mod render;
pub mod schema;
pub mod sql;
pub mod toc;
mod units;

use std::io::{self, IsTerminal, Read, Write};

use clap::CommandFactory;
use std::path::Path;
use std::process::ExitCode;

pub use cli::Cli;
pub use error::Error;
pub use render::Templates;

use cli::{Color, Command, Deny, GraphFormat, TocFormat};
use compile::Compiled;
use diagnostic::report::Format;
use diagnostic::{Diagnostic, Source};

/// Runs one command line and reports its outcome: people's reports on stderr, machines' (JSON,
/// GitHub annotations) on stdout.
pub fn run(cli: Cli) -> ExitCode {
    let format = report_format(&cli);
    let console = Console {
        quiet: cli.quiet,
        color: cli.color,
    };
    let remap = matches!(cli.command, Command::Remap { .. });
    match execute(cli.command, format, &console) {
        Ok(code) => code,
        Err(err) => {
            // remap runs inside a pipeline, whose errors end up in logs: one plain line each.
            if remap && format == Format::Human {
                eprintln!("{err}");
            } else {
                console.report(format, &err.diagnostics());
            }
            ExitCode::from(err.exit_code())
        }
    }
}

/// How a command talks to the person running it: whether to say what it did, and whether to
/// colour what it draws.
struct Console {
    quiet: bool,
    color: Color,
}

impl Console {
    /// A line saying what was done, on stderr, unless `--quiet`.
    fn info(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    fn color_stderr(&self) -> bool {
        self.color.enabled(io::stderr().is_terminal())
    }

    fn color_stdout(&self) -> bool {
        self.color.enabled(io::stdout().is_terminal())
    }

    /// Writes `diagnostics` where their format goes.
    fn report(&self, format: Format, diagnostics: &[Diagnostic]) {
        if diagnostics.is_empty() {
            return;
        }
        if format.for_machines() {
            let _ = write_stdout(&diagnostic::report::render(format, diagnostics, false));
        } else {
            eprint!(
                "{}",
                diagnostic::report::render(format, diagnostics, self.color_stderr())
            );
        }
    }
}

/// The command's own `--format`, else `--message-format`, else what the environment suggests.
fn report_format(cli: &Cli) -> Format {
    let own = match &cli.command {
        Command::Compile { format, .. }
        | Command::Check { format, .. }
        | Command::Explain { format, .. } => *format,
        Command::Lint { format, .. } => format.map(Format::from),
        Command::Toc { .. }
        | Command::Graph { .. }
        | Command::Remap { .. }
        | Command::Init { .. }
        | Command::Completions { .. }
        | Command::Man { .. } => None,
    };
    own.or(cli.message_format).unwrap_or_else(Format::auto)
}

fn execute(command: Command, format: Format, console: &Console) -> Result<ExitCode, Error> {
    match command {
        Command::Toc {
            listing,
            format: output,
        } => {
            let (name, bytes) = read_input(&listing)?;
            let listing = toc::Listing::new(&name, &bytes);
            let printout = toc::Printout::new(
                &listing,
                match output {
                    TocFormat::Text => toc::Format::Text,
                    TocFormat::Json => toc::Format::Json,
                },
            )?;
            let warnings: Vec<Diagnostic> = printout
                .warnings()
                .iter()
                .map(|w| Diagnostic::warning("restage::listing", w.to_string()).path(&name))
                .collect();
            console.report(format, &warnings);
            to_stdout(|out| printout.write(out))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Compile {
            plan,
            out,
            templates,
            ..
        } => {
            let compiled = build(&plan, &load_templates(templates.as_deref())?)?;
            output::write(&out, &compiled)?;
            console.info(&format!(
                "restage: wrote {} files to {} (digest {})",
                compiled.files.len(),
                out.display(),
                compiled.digest
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            plan,
            out,
            templates,
            ..
        } => {
            let compiled = build(&plan, &load_templates(templates.as_deref())?)?;
            let drift = output::check(&out, &compiled)?;
            if drift.is_empty() {
                console.info(&format!("restage: {} is up to date", out.display()));
                return Ok(ExitCode::SUCCESS);
            }
            if format.for_machines() {
                console.report(format, &drift.diagnostics(&out));
            } else {
                to_stdout(|out| drift.write_report(out, console.color_stdout()))?;
            }
            eprintln!(
                "restage: {} differs from what restage compile writes; recompile and commit it",
                out.display()
            );
            Ok(ExitCode::FAILURE)
        }
        Command::Explain {
            plan, templates, ..
        } => {
            let compiled = build(&plan, &load_templates(templates.as_deref())?)?;
            write_stdout(&compiled.files[artifacts::REVIEW])?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph {
            plan,
            format: output,
        } => {
            let analysis = analysis::analyze(&plan)?;
            write_stdout(&match output {
                GraphFormat::Mermaid => diagram::mermaid(&analysis.resolved),
                GraphFormat::Dot => diagram::dot(&analysis.resolved),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lint { plan, deny, .. } => {
            let analysis = analysis::analyze(&plan)?;
            let findings = lint::findings(&analysis);
            let source = Source::new(plan.display().to_string(), analysis.plan.text.clone());
            let diagnostics: Vec<Diagnostic> =
                findings.iter().map(|f| f.diagnostic(&source)).collect();
            let path = plan.display().to_string();
            match format {
                Format::Json => write_stdout(&diagnostic::report::json(
                    &diagnostics,
                    &[("plan", serde_json::Value::String(path.clone()))],
                ))?,
                Format::Github => write_stdout(&diagnostic::report::github(&diagnostics))?,
                // For people, what the plan has not acknowledged.
                Format::Human => {
                    let shown: Vec<Diagnostic> = diagnostics
                        .iter()
                        .filter(|d| d.allowed != Some(true))
                        .cloned()
                        .collect();
                    write_stdout(&diagnostic::report::human(&shown, console.color_stdout()))?;
                }
            }
            let allowed = findings.iter().filter(|f| f.allowed).count();
            let warnings = findings.len() - allowed;
            let mut summary = match warnings {
                0 => "no findings".to_owned(),
                n => format!("{n} warning(s)"),
            };
            if allowed > 0 {
                summary.push_str(&format!(", {allowed} allowed by the plan"));
            }
            console.info(&format!("restage lint: {path}: {summary}"));
            Ok(match deny {
                Some(Deny::Warnings) if warnings > 0 => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            })
        }
        Command::Remap {
            maps,
            max_rate,
            share_rate_with,
            stats,
            progress,
            label,
            expected_bytes,
            redraw,
        } => {
            let mapping = remap_mapping(&maps)?;
            let stdin = io::stdin().lock();
            let stdout = io::stdout().lock();
            let counters = std::sync::Arc::new(remap::Counters::default());
            let reporter = progress.map(|seconds| {
                let settings = remap::ProgressSettings {
                    every: std::time::Duration::from_secs(seconds),
                    label,
                    expected_bytes,
                    redraw,
                };
                remap::Reporter::start(settings, std::sync::Arc::clone(&counters), io::stderr())
            });
            let done = match (max_rate, share_rate_with) {
                (Some(rate), Some(path)) => {
                    let throttled = remap::Throttled::shared(stdout, rate, &path)
                        .map_err(|source| Error::Write { path, source })?;
                    remap::remap_counted(stdin, throttled, &mapping, &counters)
                }
                (Some(rate), None) => remap::remap_counted(
                    stdin,
                    remap::Throttled::new(stdout, rate),
                    &mapping,
                    &counters,
                ),
                (None, _) => remap::remap_counted(stdin, stdout, &mapping, &counters),
            };
            if let Some(reporter) = reporter {
                reporter.finish();
            }
            let done = done.map_err(|err| Error::Remap {
                message: err.to_string(),
            })?;
            if let Some(path) = stats {
                let line = format!("{} {} {}\n", done.copies, done.rows, done.bytes);
                std::fs::write(&path, line).map_err(|source| Error::Write { path, source })?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Init {
            listing,
            schema,
            tables,
            dump,
            name,
            run_pg_restore,
        } => {
            let (listing, schema) = (listing.display().to_string(), schema.display().to_string());
            let dump = dump.map(|d| d.display().to_string());
            let request = plan::scaffold::Request {
                listing: &listing,
                schema: &schema,
                dump: dump.as_deref(),
                name: name.as_deref(),
                tables: &tables,
            };
            let text = init(&request, run_pg_restore, console)?;
            write_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "restage", &mut script);
            write_stdout(&String::from_utf8_lossy(&script))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => {
            let failed = |source| Error::Write {
                path: out.clone(),
                source,
            };
            std::fs::create_dir_all(&out).map_err(failed)?;
            clap_mangen::generate_to(Cli::command(), &out).map_err(failed)?;
            console.info(&format!(
                "restage: wrote the man pages to {}",
                out.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `restage init`: the listing and the schema SQL (made first with `--run-pg-restore`), the
/// plan laid out from them, and that plan compiled, so that what is printed compiles as it is.
fn init(
    request: &plan::scaffold::Request,
    run_pg_restore: bool,
    console: &Console,
) -> Result<String, Error> {
    let commands = request
        .dump
        .map(|dump| plan::scaffold::pg_restore_commands(dump, request.listing, request.schema));
    if let (Some(commands), true) = (&commands, run_pg_restore) {
        for words in commands {
            let line = plan::scaffold::shell_line(words);
            console.info(&format!("restage init: {line}"));
            let ran = std::process::Command::new(&words[0])
                .args(&words[1..])
                .stdout(std::process::Stdio::null())
                .output()
                .map_err(|err| Error::Init {
                    message: format!("cannot run {line}: {err}"),
                    help: "put pg_restore on the PATH, of the PostgreSQL version that made the dump or newer".into(),
                })?;
            if !ran.status.success() {
                return Err(Error::Init {
                    message: format!(
                        "{line} failed ({}): {}",
                        ran.status,
                        String::from_utf8_lossy(&ran.stderr).trim_end()
                    ),
                    help: "--dump names the archive: a pg_dump file in custom, directory or tar format".into(),
                });
            }
        }
    }
    let read = |path: &str, what: &str| {
        std::fs::read(path).map_err(|source| match &commands {
            Some(commands) if source.kind() == io::ErrorKind::NotFound => Error::Init {
                message: format!("cannot read the {what} {path}: {source}"),
                help: format!(
                    "make the listing and the schema SQL from the dump first, or add --run-pg-restore:\n  {}",
                    commands
                        .iter()
                        .map(|words| plan::scaffold::shell_line(words))
                        .collect::<Vec<_>>()
                        .join("\n  ")
                ),
            },
            _ => Error::Read {
                path: path.into(),
                source,
            },
        })
    };
    let toc = toc::parse(request.listing, &read(request.listing, "listing")?)?;
    let schema = schema::split(
        request.schema,
        &String::from_utf8_lossy(&read(request.schema, "schema SQL")?),
    )?;
    let templates = Templates::embedded();
    let text = plan::scaffold::scaffold(request, &toc, &schema, &templates)?;
    // The plan is to be saved where its paths start from: here.
    let analysis = analysis::analyze_text(Path::new("<restage init>"), &text)?;
    compile::compile(&analysis, &templates)?;
    console.info(&format!(
        "restage init: a plan of {} table(s); every other table of {} is there to uncomment",
        analysis.plan.tables.len(),
        request.listing
    ));
    if request.dump.is_none() {
        console.info("restage init: no --dump given: change source.dump to where the archive is");
    }
    Ok(text)
}

fn load_templates(dir: Option<&Path>) -> Result<Templates, Error> {
    match dir {
        Some(dir) => Templates::with_overrides(dir),
        None => Ok(Templates::embedded()),
    }
}

/// The whole pipeline for one plan: read it and its inputs, resolve, compile.
pub fn build(plan_path: &Path, templates: &Templates) -> Result<Compiled, Error> {
    let analysis = analysis::analyze(plan_path)?;
    compile::compile(&analysis, templates)
}

fn remap_mapping(maps: &[String]) -> Result<remap::Mapping, Error> {
    let mut mapping = remap::Mapping::new();
    for map in maps {
        let bad = |why: String| Error::Remap {
            message: format!("--map {map}: {why}"),
        };
        // Split at the `=` outside quotes: quoted names may hold `=`.
        let split = sql::lexer::tokenize(map)
            .into_iter()
            .find(|t| t.kind == sql::lexer::Kind::Operator && t.text(map) == "=")
            .map(|t| t.span.start)
            .ok_or_else(|| bad("expected SOURCE=TARGET".into()))?;
        let source = sql::QualifiedName::parse(&map[..split]).map_err(|e| bad(e.message))?;
        let target = sql::QualifiedName::parse(&map[split + 1..]).map_err(|e| bad(e.message))?;
        if mapping.insert(source.clone(), target).is_some() {
            return Err(bad(format!("{source} is mapped twice")));
        }
    }
    Ok(mapping)
}

/// The file's bytes and the name to show for it; `-` is standard input.
fn read_input(path: &Path) -> Result<(String, Vec<u8>), Error> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Read {
                path: "<stdin>".into(),
                source,
            })?;
        return Ok(("<stdin>".to_owned(), bytes));
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok((path.display().to_string(), bytes))
}

fn write_stdout(text: &str) -> Result<(), Error> {
    to_stdout(|out| out.write_all(text.as_bytes()))
}

/// Runs `write` on a buffered standard output, so that a large output is written as it is made,
/// never held whole in memory.
fn to_stdout(
    write: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
) -> Result<(), Error> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        // A reader that stops early (`restage toc big.list | head`) is not an error.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|source| Error::Write {
            path: "<stdout>".into(),
            source,
        }),
    }
}
