//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Compile a staging-first restore plan for a live PostgreSQL database into reviewed,
/// deterministic scripts. restage never connects to a database: people review what it
/// writes, then run it with psql and pg_restore.
#[derive(Debug, Parser)]
#[command(
    name = "restage",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse a `pg_restore -l` / `pg_restore -l -v` listing and print its entries.
    ///
    /// Prints the header and every entry with its schema, name, owner and dependencies.
    /// Entries whose schema, name and owner the listing alone cannot split are marked
    /// ambiguous and list every possible reading.
    Toc {
        /// The listing file, or `-` for standard input.
        listing: PathBuf,
        /// Output format: an aligned table, or JSON for other tools.
        #[arg(long, value_enum, default_value_t = TocFormat::Text)]
        format: TocFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TocFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn arguments_are_consistent() {
        super::Cli::command().debug_assert();
    }
}
