//! The `earshot` binary: parse the command line, run it, pick the exit
//! code (0 ok, 1 failure, 2 refused config). Everything else is in the
//! library.

use std::process::ExitCode;

use clap::Parser;
use earshot::cli::{self, Cli, CliError};

fn main() -> ExitCode {
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Config(e)) => {
            eprintln!("earshot: config refused: {e}");
            ExitCode::from(2)
        }
        Err(CliError::Failed(e)) => {
            eprintln!("earshot: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
