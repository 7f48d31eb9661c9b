use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    restage::run(restage::Cli::parse())
}
