//! Which checkout the tool works on: the one it is run in, found from the
//! current directory. Not a path compiled into the binary: a `target/` copied
//! from another checkout would then check and deploy that other tree.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error(
    "{0} is not inside the project: no folder from there up holds the workspace \
     Cargo.toml and workers/ (run `make deploy` or `make deploy-check` in the checkout)"
)]
pub struct NotInProject(pub PathBuf);

/// The nearest folder from `start` up that holds the workspace's Cargo.toml
/// (one with a `[workspace]` table) and the `workers/` folder. A crate's own
/// Cargo.toml on the way up (e.g. in `tools/deploy`) is passed over.
pub fn find_project_root(start: &Path) -> Result<PathBuf, NotInProject> {
    start
        .ancestors()
        .find(|dir| is_workspace_root(dir) && dir.join("workers").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| NotInProject(start.to_path_buf()))
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|manifest| manifest.contains_key("workspace"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A checkout's skeleton: the workspace manifest, workers/, and a crate
    /// with its own manifest below.
    fn checkout() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"tools/deploy\"]\n",
        )
        .unwrap();
        fs::create_dir_all(dir.path().join("workers/auth")).unwrap();
        fs::create_dir_all(dir.path().join("tools/deploy/src")).unwrap();
        fs::write(
            dir.path().join("tools/deploy/Cargo.toml"),
            "[package]\nname = \"deploy\"\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn finds_the_checkout_it_is_run_in_from_its_root_or_below() {
        let checkout = checkout();
        let root = checkout.path();
        assert_eq!(find_project_root(root).unwrap(), root);
        assert_eq!(
            find_project_root(&root.join("tools/deploy/src")).unwrap(),
            root
        );
        assert_eq!(find_project_root(&root.join("workers/auth")).unwrap(), root);
    }

    #[test]
    fn two_checkouts_each_find_their_own() {
        let (one, two) = (checkout(), checkout());
        assert_eq!(find_project_root(two.path()).unwrap(), two.path());
        assert_eq!(find_project_root(one.path()).unwrap(), one.path());
    }

    #[test]
    fn a_folder_outside_any_checkout_is_refused() {
        let elsewhere = tempfile::tempdir().unwrap();
        let error = find_project_root(elsewhere.path()).unwrap_err();
        assert_eq!(error.0, elsewhere.path());
    }

    #[test]
    fn a_workspace_without_workers_is_not_the_project() {
        let checkout = checkout();
        fs::remove_dir_all(checkout.path().join("workers")).unwrap();
        assert!(find_project_root(checkout.path()).is_err());
    }

    #[test]
    fn this_checkout_is_found_from_this_crate() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = find_project_root(crate_dir).unwrap();
        assert_eq!(root, crate_dir.parent().unwrap().parent().unwrap());
    }
}
