//! `/diff`'s text: `git diff` of the working tree, untracked files shown
//! as additions, run on the host (`duet_sandbox::host_std_command`).

use std::path::Path;

/// `git diff` of the working tree plus untracked files (as additions).
pub(super) fn git_diff(cwd: &Path) -> Result<String, String> {
    let git = |args: &[&str]| {
        duet_sandbox::host_std_command("git")
            .args(args)
            .current_dir(cwd)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|error| format!("cannot run `git`: {error}; install git to use `/diff`"))
    };
    let tracked = git(&["diff", "--no-color", "--no-ext-diff"])?;
    if !tracked.status.success() {
        let stderr = String::from_utf8_lossy(&tracked.stderr);
        return Err(format!(
            "`git diff` failed: {}; `/diff` works inside a git repository",
            stderr.trim()
        ));
    }
    let mut diff = String::from_utf8_lossy(&tracked.stdout).into_owned();
    let untracked = git(&["ls-files", "--others", "--exclude-standard", "-z"])?;
    for path in untracked
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
    {
        let path = String::from_utf8_lossy(path).into_owned();
        // `--no-index` exits 1 when the files differ, which they always do here.
        let added = git(&["diff", "--no-color", "--no-index", "--", "/dev/null", &path])?;
        diff.push_str(&String::from_utf8_lossy(&added.stdout));
    }
    Ok(diff)
}
