//! Helpers for the file transfer tests.

use super::Agent;
use serde_json::json;
use std::path::{Path, PathBuf};

/// An agent allowed `<scratch>/share`; `<scratch>/secret` lies outside it.
pub fn agent_with(extra_files: serde_json::Value) -> (Agent, PathBuf) {
    let agent = Agent::start_with(|scratch| {
        std::fs::create_dir(scratch.join("share")).unwrap();
        std::fs::write(scratch.join("secret"), "top secret").unwrap();
        let mut files = json!({ "allowed_dirs": [scratch.join("share")] });
        files
            .as_object_mut()
            .unwrap()
            .extend(extra_files.as_object().unwrap().clone());
        json!({ "files": files })
    });
    let share = agent.scratch().join("share");
    (agent, share)
}

pub fn data(n: usize) -> Vec<u8> {
    let mut x: u32 = 12345;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

pub fn p(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kvmga"))
        .collect()
}
