//! The shape of the code (README, "Code map"): engines know nothing of the
//! terminal, the command line uses no ratatui type, and neither face
//! imports the other except through the contract `main.rs` joins.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files under `src/` whose code (comments left out) names `needle`.
fn naming(needle: &str, keep: impl Fn(&Path) -> bool) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files
        .into_iter()
        .filter(|p| keep(p))
        .filter(|p| {
            std::fs::read_to_string(p)
                .expect("a source file")
                .lines()
                .map(str::trim_start)
                .filter(|l| !l.starts_with("//"))
                .any(|l| l.contains(needle))
        })
        .map(|p| p.display().to_string())
        .collect()
}

fn under(p: &Path, dir: &str) -> bool {
    p.starts_with(Path::new("src").join(dir))
}

#[test]
fn engines_and_the_command_line_never_import_the_console() {
    let outside_tui = |p: &Path| !under(p, "tui");
    assert_eq!(naming("crate::tui", outside_tui), Vec::<String>::new());
    assert_eq!(naming("ratatui", |p| under(p, "cli")), Vec::<String>::new());
    assert_eq!(
        naming("crossterm", |p| under(p, "cli")),
        Vec::<String>::new()
    );
}

#[test]
fn engines_never_import_a_face() {
    let engine = |p: &Path| {
        ![
            "tui", "cli", "main.rs", "lib.rs",
            // The demo seeder is a tool of the faces, not an engine.
            "demo",
        ]
        .iter()
        .any(|face| under(p, face))
    };
    for face in ["crate::tui", "crate::cli", "ratatui", "crossterm"] {
        assert_eq!(naming(face, engine), Vec::<String>::new(), "{face}");
    }
}
