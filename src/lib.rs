//! restage compiles a staging-first restore plan into reviewed, deterministic artifacts.
//!
//! Each stage is a pure function of its inputs; errors are values that carry their source
//! location and become diagnostics only at the edge (`run`).

pub mod cli;
pub mod error;
pub mod toc;

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use miette::{GraphicalReportHandler, GraphicalTheme};

pub use cli::Cli;
pub use error::Error;

use cli::{Command, TocFormat};

/// Runs one command line and reports its outcome on stderr.
pub fn run(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(code) => code,
        Err(err) => {
            eprint!("{}", render_error(&err));
            ExitCode::from(err.exit_code())
        }
    }
}

fn execute(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Toc { listing, format } => {
            let (name, bytes) = read_input(&listing)?;
            let toc = toc::parse(&name, &bytes)?;
            for warning in &toc.warnings {
                eprintln!("warning: {name}: {warning}");
            }
            let text = match format {
                TocFormat::Text => toc::to_text(&toc),
                TocFormat::Json => toc::to_json(&toc),
            };
            write_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
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
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A reader that stops early (`restage toc big.list | head`) is not an error.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|source| Error::Write {
            path: "<stdout>".into(),
            source,
        }),
    }
}

/// An error as miette draws it: colors only on a terminal, and never when `NO_COLOR` is set.
pub fn render_error(err: &Error) -> String {
    let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    match GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .render_report(&mut out, err)
    {
        Ok(()) => out,
        Err(_) => format!("error: {err}\n"),
    }
}
