//! The `guanxi` binary: parse the command line, load config, set up tracing, run.

use clap::Parser;

/// mimalloc instead of glibc's malloc: the write path allocates per event on several threads,
/// and glibc's arenas cost about a sixth of its CPU there (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = guanxi::cli::Cli::parse();
    match guanxi::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
