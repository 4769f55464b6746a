//! Worksheets kept on disk: `<dir>/<id>.json` (the worksheet) and
//! `<dir>/<id>.md` (the drafts), mode 0600 in a 0700 directory, by default
//! `$XDG_STATE_HOME/oubli/incidents/`. They hold counts, kinds and
//! categories, never a value.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::Incident;

pub fn default_dir() -> Option<PathBuf> {
    crate::logging::state_dir().map(|d| d.join("incidents"))
}

/// Write the worksheet and its drafts; returns the two paths.
pub fn save(dir: &Path, i: &Incident) -> anyhow::Result<(PathBuf, PathBuf)> {
    crate::logging::private_dir(dir)?;
    let json = dir.join(format!("{}.json", i.id));
    let md = dir.join(format!("{}.md", i.id));
    crate::logging::write_private(&json, &serde_json::to_vec_pretty(i)?)?;
    crate::logging::write_private(&md, super::draft::markdown(i, Utc::now()).as_bytes())?;
    Ok((json, md))
}

pub fn load(dir: &Path, id: &str) -> anyhow::Result<Incident> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        anyhow::bail!("{id:?} is not an incident id (YYYYMMDD-HHMM-xxxx)");
    }
    let path = dir.join(format!("{id}.json"));
    let text = std::fs::read(&path)
        .map_err(|e| anyhow::anyhow!("no incident {id} in {}: {e}", dir.display()))?;
    serde_json::from_slice(&text).map_err(|e| anyhow::anyhow!("incident {id}: unreadable ({e})"))
}

/// Every worksheet in `dir`, oldest first; unreadable files are named in
/// the second list.
pub fn list(dir: &Path) -> (Vec<Incident>, Vec<String>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (out, bad);
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        match std::fs::read(&p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Incident>(&b).ok())
        {
            Some(i) => out.push(i),
            None => bad.push(crate::offline::shown_name(&p)),
        }
    }
    out.sort_by(|a, b| a.aware_at.cmp(&b.aware_at).then(a.id.cmp(&b.id)));
    (out, bad)
}
