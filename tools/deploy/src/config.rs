//! The wrangler configs as typed values, each remembering where it was read,
//! so that a problem names the file and line to fix.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The service workers' configs, relative to the repository root.
pub const WORKERS_GLOB_DIR: &str = "workers";
/// The Pages project's config.
pub const PAGES_CONFIG: &str = "wrangler.toml";

#[derive(Debug, Deserialize)]
pub struct WorkerConfig {
    pub name: Spanned<String>,
    pub workers_dev: Option<Spanned<bool>>,
    pub preview_urls: Option<Spanned<bool>>,
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    pub durable_objects: DurableObjects,
    #[serde(default)]
    pub migrations: Vec<Spanned<Migration>>,
    #[serde(default)]
    pub d1_databases: Vec<Spanned<Database>>,
    #[serde(default)]
    pub queues: Queues,
    #[serde(default)]
    pub services: Vec<Spanned<ServiceBinding>>,
}

#[derive(Debug, Deserialize)]
pub struct PagesConfig {
    pub name: Spanned<String>,
    pub pages_build_output_dir: Spanned<String>,
    #[serde(default)]
    pub services: Vec<Spanned<ServiceBinding>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DurableObjects {
    #[serde(default)]
    pub bindings: Vec<Spanned<DurableObjectBinding>>,
}

#[derive(Debug, Deserialize)]
pub struct DurableObjectBinding {
    pub name: String,
    pub class_name: Spanned<String>,
    /// The worker that defines the class; absent: this one.
    pub script_name: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct Migration {
    pub tag: String,
    #[serde(default)]
    pub new_sqlite_classes: Vec<String>,
    #[serde(default)]
    pub new_classes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Database {
    pub binding: String,
    pub database_name: String,
    pub database_id: String,
    pub migrations_dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Queues {
    #[serde(default)]
    pub producers: Vec<Spanned<Producer>>,
    #[serde(default)]
    pub consumers: Vec<Spanned<Consumer>>,
}

#[derive(Debug, Deserialize)]
pub struct Producer {
    pub binding: String,
    pub queue: Spanned<String>,
}

#[derive(Debug, Deserialize)]
pub struct Consumer {
    pub queue: Spanned<String>,
    pub dead_letter_queue: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct ServiceBinding {
    pub binding: String,
    pub service: Spanned<String>,
}

/// A place in a config file: what a problem points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One config file: its path (relative to the root), its text and its values.
#[derive(Debug)]
pub struct Loaded<T> {
    pub file: PathBuf,
    text: String,
    pub config: T,
}

impl<T> Loaded<T> {
    /// The place of a byte offset of this file.
    pub fn place(&self, offset: usize) -> Place {
        let line = 1 + self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count();
        Place {
            file: self.file.clone(),
            line,
        }
    }

    pub fn place_of<V>(&self, value: &Spanned<V>) -> Place {
        self.place(value.span().start)
    }

    /// The folder the config's relative paths start from.
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }
}

/// A worker: its config and the Durable Object classes its source exports.
#[derive(Debug)]
pub struct Worker {
    /// Its folder under `workers/`, e.g. `tickets`.
    pub folder: String,
    pub config: Loaded<WorkerConfig>,
    pub exported_classes: Vec<String>,
}

impl Worker {
    pub fn name(&self) -> &str {
        self.config.config.name.get_ref()
    }
}

/// Every config of the project, read from a repository root.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub workers: Vec<Worker>,
    pub pages: Loaded<PagesConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}: cannot read: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{file}:{line}: {message}")]
    Parse {
        file: PathBuf,
        line: usize,
        message: String,
    },
}

fn read(root: &Path, file: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(root.join(file)).map_err(|e| LoadError::Read(file.to_path_buf(), e))
}

fn load<T: serde::de::DeserializeOwned>(
    root: &Path,
    file: PathBuf,
) -> Result<Loaded<T>, LoadError> {
    let text = read(root, &file)?;
    match toml::from_str(&text) {
        Ok(config) => Ok(Loaded { file, text, config }),
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let line = 1 + text[..offset.min(text.len())].matches('\n').count();
            Err(LoadError::Parse {
                file,
                line,
                message: e.message().to_string(),
            })
        }
    }
}

/// The Durable Object classes a worker's source exports: each struct marked
/// `#[durable_object]` in any file under `src/`.
fn exported_classes(src: &Path) -> Vec<String> {
    let mut classes = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                classes.extend(classes_marked_in(&text));
            }
        }
    }
    classes.sort();
    classes
}

/// The struct names that follow a `#[durable_object]` attribute.
fn classes_marked_in(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut marked = false;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[durable_object") {
            marked = true;
        } else if marked && !line.starts_with("#[") && !line.starts_with("//") {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Some(i) = words.iter().position(|w| *w == "struct") {
                if let Some(name) = words.get(i + 1) {
                    let name = name.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_');
                    found.push(name.to_string());
                }
            }
            marked = false;
        }
    }
    found
}

impl Project {
    /// Reads `wrangler.toml` (the Pages project) and `workers/*/wrangler.toml`.
    pub fn load(root: &Path) -> Result<Project, LoadError> {
        let workers_dir = root.join(WORKERS_GLOB_DIR);
        let mut folders: Vec<String> = std::fs::read_dir(&workers_dir)
            .map_err(|e| LoadError::Read(PathBuf::from(WORKERS_GLOB_DIR), e))?
            .flatten()
            .filter(|e| e.path().join("wrangler.toml").is_file())
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .collect();
        folders.sort();
        let workers = folders
            .into_iter()
            .map(|folder| {
                let dir = Path::new(WORKERS_GLOB_DIR).join(&folder);
                Ok(Worker {
                    config: load(root, dir.join("wrangler.toml"))?,
                    exported_classes: exported_classes(&root.join(&dir).join("src")),
                    folder,
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        Ok(Project {
            root: root.to_path_buf(),
            workers,
            pages: load(root, PathBuf::from(PAGES_CONFIG))?,
        })
    }

    pub fn worker(&self, name: &str) -> Option<&Worker> {
        self.workers.iter().find(|w| w.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_structs_marked_as_durable_objects() {
        let source = "use x;\n#[durable_object]\npub struct TicketObject {\n}\nstruct Other;\n#[durable_object]\n#[allow(dead_code)]\nstruct LimitObject;\n";
        assert_eq!(classes_marked_in(source), ["TicketObject", "LimitObject"]);
    }

    #[test]
    fn places_count_lines_from_one() {
        let loaded = Loaded {
            file: PathBuf::from("w.toml"),
            text: "a = 1\nb = 2\n".into(),
            config: (),
        };
        assert_eq!(loaded.place(0).line, 1);
        assert_eq!(loaded.place(6).to_string(), "w.toml:2");
    }
}
