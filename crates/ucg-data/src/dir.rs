//! Locating the data folder: `$UCG_DATA_DIR` if set, else `data/` at the workspace root.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data folder.
pub const DATA_DIR_ENV: &str = "UCG_DATA_DIR";

/// The data folder: `$UCG_DATA_DIR` if set and non-empty; otherwise `data/` in the workspace root found from the
/// current directory, or else from this crate's source location; otherwise `./data`.
///
/// The folder is not created here; the functions that write into it create it.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    workspace_root()
        .map(|root| root.join("data"))
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// The environment variable that overrides the cache folder.
pub const CACHE_DIR_ENV: &str = "UCG_CACHE_DIR";

/// The folder for derived files that can be rebuilt (binarisations) when the data folder cannot be
/// written: `$UCG_CACHE_DIR` if set and non-empty, else `$XDG_CACHE_HOME/ucg`, else `$HOME/.cache/ucg`,
/// else `ucg-cache` in the system's temporary folder.
pub fn cache_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var(CACHE_DIR_ENV)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("ucg")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("ucg")))
        .unwrap_or_else(|| std::env::temp_dir().join("ucg-cache"))
}

/// The workspace root: the nearest ancestor of the current directory, or else of this crate's source folder,
/// whose `Cargo.toml` declares a `[workspace]`.
pub fn workspace_root() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok();
    cwd.as_deref()
        .and_then(find_workspace_root)
        .or_else(|| find_workspace_root(Path::new(env!("CARGO_MANIFEST_DIR"))))
}

/// The nearest ancestor of `start` (itself included) whose `Cargo.toml` declares a `[workspace]`.
pub fn find_workspace_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        manifest
            .lines()
            .any(|l| l.trim() == "[workspace]")
            .then(|| dir.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_workspace_root_from_a_nested_folder() {
        let root = find_workspace_root(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert!(root.join("crates").join("ucg-data").is_dir());
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        let nested = tmp.path().join("a").join("b");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(find_workspace_root(&nested).unwrap(), tmp.path());
    }

    #[test]
    fn data_dir_is_absolute_or_relative_but_named() {
        // Whatever the environment, the answer is a usable path.
        assert!(!data_dir().as_os_str().is_empty());
    }
}
