//! The `duet` binary: everything lives in `duet-cli`; this file only hands over.

fn main() -> std::process::ExitCode {
    duet_cli::main()
}
