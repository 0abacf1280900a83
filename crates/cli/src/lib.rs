//! duet-cli (being built)
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
