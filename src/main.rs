use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = swarmaudit::cli::Cli::parse();
    ExitCode::from(swarmaudit::cli::run(cli).code())
}
