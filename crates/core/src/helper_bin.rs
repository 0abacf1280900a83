//! A directory of links to the running `duet` binary under helper names
//! (`apply_patch`, `applypatch`), put first on the `PATH` of every command,
//! so a model that types `apply_patch <<'EOF'` in a shell gets duet's patch
//! engine (the binary dispatches on argv[0]).
//!
//! The directory is named after the binary's path, so sessions of the same
//! binary share it and different binaries (a test build, a release) never
//! fight over one link.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

const HELPER_NAMES: [&str; 2] = ["apply_patch", "applypatch"];

/// Create (if needed) the link directory for the current executable under
/// `$DUET_HOME/tmp`, and return it.
pub(crate) fn ensure_links(duet_home: &Path) -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    exe.hash(&mut hasher);
    let dir = duet_home
        .join("tmp")
        .join(format!("bin-{:016x}", hasher.finish()));
    std::fs::create_dir_all(&dir)?;
    for name in HELPER_NAMES {
        let link = dir.join(name);
        if std::fs::read_link(&link).ok().as_deref() == Some(exe.as_path()) {
            continue;
        }
        // Another process may be doing the same: link under a private name,
        // then rename over, which is atomic.
        let staging = dir.join(format!(".{name}.{}", std::process::id()));
        let _ = std::fs::remove_file(&staging);
        std::os::unix::fs::symlink(&exe, &staging)?;
        std::fs::rename(&staging, &link)?;
    }
    Ok(dir)
}

/// Put `dir` first on the `PATH` of `env`.
pub(crate) fn prepend_to_path(env: &mut HashMap<String, String>, dir: &Path) {
    let dir = dir.display().to_string();
    let path = match env.get("PATH") {
        Some(path) if !path.is_empty() => format!("{dir}:{path}"),
        _ => format!("{dir}:/usr/local/bin:/usr/bin:/bin"),
    };
    env.insert("PATH".to_string(), path);
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn links_point_at_the_running_binary_and_are_idempotent() {
        let home = tempfile::tempdir().unwrap();
        let dir = ensure_links(home.path()).unwrap();
        let again = ensure_links(home.path()).unwrap();
        assert_eq!(dir, again);
        let exe = std::env::current_exe().unwrap();
        for name in HELPER_NAMES {
            assert_eq!(std::fs::read_link(dir.join(name)).unwrap(), exe);
        }
        let entries = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(
            entries,
            HELPER_NAMES.len(),
            "no staging links are left behind"
        );
    }

    #[test]
    fn the_link_directory_comes_first_on_path() {
        let mut env = HashMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]);
        prepend_to_path(&mut env, Path::new("/h/tmp/bin-1"));
        assert_eq!(env["PATH"], "/h/tmp/bin-1:/usr/bin:/bin");
        let mut empty = HashMap::new();
        prepend_to_path(&mut empty, Path::new("/h/tmp/bin-1"));
        assert_eq!(empty["PATH"], "/h/tmp/bin-1:/usr/local/bin:/usr/bin:/bin");
    }
}
