//! The `apply_patch` program, as the reference's: the patch is the one
//! argument, or stdin when there is none; the summary goes to stdout, one
//! error message to stderr; exit 0 applied, 1 not applied, 2 usage.
//!
//! The caller supplies the streams and the working directory, so this is
//! tested without a process and the binary stays glue.

use crate::{Diffs, parse_patch, stage};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::Path;

/// Run `apply_patch` with `args` (the arguments after `argv[0]`) against
/// `cwd`. Returns the exit code.
pub fn run_standalone(
    args: &[OsString],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    cwd: &Path,
) -> i32 {
    let patch = match args.first() {
        Some(arg) => match arg.to_str() {
            Some(text) => text.to_owned(),
            None => {
                let _ = writeln!(
                    stderr,
                    "Error: apply_patch requires a UTF-8 PATCH argument."
                );
                return 1;
            }
        },
        None => {
            let mut bytes = Vec::new();
            let read = stdin.read_to_end(&mut bytes).and_then(|_| {
                String::from_utf8(bytes).map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "stream did not contain valid UTF-8",
                    )
                })
            });
            match read {
                Ok(text) if text.is_empty() => {
                    let _ = writeln!(
                        stderr,
                        "Usage: apply_patch 'PATCH'\n       echo 'PATCH' | apply_patch"
                    );
                    return 2;
                }
                Ok(text) => text,
                Err(error) => {
                    let _ = writeln!(stderr, "Error: Failed to read PATCH from stdin.\n{error}");
                    return 1;
                }
            }
        }
    };
    if args.len() > 1 {
        let _ = writeln!(stderr, "Error: apply_patch accepts exactly one argument.");
        return 2;
    }
    let applied = parse_patch(&patch)
        .map_err(crate::Error::from)
        .and_then(|patch| stage(&patch, cwd, Diffs::No)?.commit());
    match applied {
        Ok(applied) => {
            // A closed stdout is the reader's choice: the patch is applied.
            let _ = stdout.write_all(applied.summary.as_bytes());
            let _ = stdout.flush();
            0
        }
        Err(error) => {
            let _ = writeln!(stderr, "{error}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_standalone(&args, &mut stdin.as_bytes(), &mut out, &mut err, dir.path());
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8");
        (code, text(out), text(err))
    }

    #[test]
    fn usage_errors_exit_2() {
        assert_eq!(
            run(&[], ""),
            (
                2,
                String::new(),
                "Usage: apply_patch 'PATCH'\n       echo 'PATCH' | apply_patch\n".to_owned()
            )
        );
        assert_eq!(
            run(&["a", "b"], ""),
            (
                2,
                String::new(),
                "Error: apply_patch accepts exactly one argument.\n".to_owned()
            )
        );
    }

    #[test]
    fn the_patch_comes_from_stdin_without_an_argument() {
        let patch = "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n";
        assert_eq!(
            run(&[], patch),
            (
                0,
                "Success. Updated the following files:\nA a.txt\n".to_owned(),
                String::new()
            )
        );
    }

    #[test]
    fn help_is_patch_text() {
        assert_eq!(
            run(&["--help"], ""),
            (
                1,
                String::new(),
                "Invalid patch: The first line of the patch must be '*** Begin Patch'\n".to_owned()
            )
        );
    }
}
